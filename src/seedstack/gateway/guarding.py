"""The guard on the request path: prompts before the upstream sees them, answers before the caller
does (streams included, through a small hold-back window).

Policies are resolved once per (alias, key) and cached. Every verdict lands on the request record
and in the ``seedstack_guard_verdicts_total`` metric; offending text is never echoed back.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..config.guard import GuardConfig, GuardPolicy
from ..errors import GuardrailBlockedError
from ..guard import GuardEngine, OutputScanner, Verdict
from ..telemetry.metrics import GatewayMetrics
from ..telemetry.record import RequestRecord

__all__ = ["GatewayGuard", "rewrite_event", "system_prompt_of", "text_event"]

_MAX_POLICIES = 4096


class GatewayGuard:
    def __init__(self, config: GuardConfig, metrics: GatewayMetrics) -> None:
        self.config = config
        self.metrics = metrics
        self.engine = GuardEngine.from_config(config)
        self._policies: dict[tuple[str | None, str | None], GuardPolicy] = {}

    def policy(self, alias: str | None, key_name: str | None) -> GuardPolicy:
        scope = (alias, key_name if key_name in self.config.keys else None)
        policy = self._policies.get(scope)
        if policy is None:
            policy = self.config.policy_for(*scope)
            if len(self._policies) < _MAX_POLICIES:
                self._policies[scope] = policy
        return policy

    def _record(self, rec: RequestRecord, verdicts: list[Verdict], extra: dict[str, Any] | None = None) -> None:
        for v in verdicts:
            d = v.to_dict()
            if extra:
                d.update(extra)
            rec.guard.append(d)
            self.metrics.guard_by(v.detector, v.direction, v.action).inc()

    # --- input ---------------------------------------------------------------------------------
    def check_input(
        self, endpoint: str, body: dict[str, Any], policy: GuardPolicy, rec: RequestRecord
    ) -> dict[str, str]:
        """Redact ``body`` in place (a new messages list) or raise a block; return the restore map."""
        if not policy.enabled or endpoint == "embeddings":
            return {}
        if endpoint == "chat":
            messages = body["messages"]
        else:
            prompt = body.get("prompt")
            if not isinstance(prompt, str):
                return {}
            messages = [{"role": "user", "content": prompt}]
        verdict = self.engine.check_input(messages, policy)
        self._record(rec, verdict.verdicts)
        if verdict.blocked:
            raise GuardrailBlockedError(verdict.blocked, "input")
        if endpoint == "chat":
            body["messages"] = verdict.messages
        else:
            body["prompt"] = verdict.messages[0]["content"]
        return verdict.restore

    # --- output: whole responses ---------------------------------------------------------------
    def check_output(
        self,
        endpoint: str,
        data: dict[str, Any],
        policy: GuardPolicy,
        system_prompt: str | None,
        restore: dict[str, str],
        rec: RequestRecord,
    ) -> bool:
        """Guard every choice's text in place; return whether anything changed. Raises on a block."""
        if not policy.enabled or endpoint == "embeddings":
            return False
        changed = False
        for choice in data.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            holder, field = (choice.get("message"), "content") if endpoint == "chat" else (choice, "text")
            if not isinstance(holder, dict) or not isinstance(holder.get(field), str):
                continue
            verdict = self.engine.check_output(holder[field], policy, system_prompt=system_prompt, restore=restore)
            self._record(rec, verdict.verdicts)
            if verdict.blocked:
                raise GuardrailBlockedError(verdict.blocked, "output")
            if verdict.text != holder[field]:
                holder[field] = verdict.text
                changed = True
        return changed

    # --- output: streams -----------------------------------------------------------------------
    def stream_scanner(
        self, policy: GuardPolicy, system_prompt: str | None, restore: dict[str, str]
    ) -> OutputScanner | None:
        if not policy.enabled or (all(a == "off" for a in policy.output.model_dump().values()) and not restore):
            return None
        return self.engine.output_scanner(policy, system_prompt=system_prompt, restore=restore)

    def finish_stream(self, scanner: OutputScanner, rec: RequestRecord) -> None:
        self._record(rec, scanner.verdicts, {"held_ms": round(scanner.held_ms, 3)})


def system_prompt_of(body: dict[str, Any]) -> str | None:
    parts = [
        m["content"]
        for m in body.get("messages") or ()
        if isinstance(m, dict) and m.get("role") in ("system", "developer") and isinstance(m.get("content"), str)
    ]
    return "\n".join(parts) if parts else None


def rewrite_event(data: dict[str, Any], chat: bool, text: str) -> bytes:
    """The SSE event with its (single) choice's text replaced by what the guard released."""
    choice = data["choices"][0]
    if chat:
        choice["delta"] = {**(choice.get("delta") or {}), "content": text}
    else:
        choice["text"] = text
    return b"data: " + orjson.dumps(data) + b"\n\n"


def text_event(template: dict[str, Any] | None, chat: bool, text: str) -> bytes:
    """A content-only event carrying text the guard held back until the end of the stream."""
    base = {k: template[k] for k in ("id", "object", "created", "model") if k in template} if template else {}
    choice: dict[str, Any] = {"index": 0, "finish_reason": None}
    if chat:
        choice["delta"] = {"content": text}
    else:
        choice["text"] = text
    return b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"
