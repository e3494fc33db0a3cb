"""``GuardEngine``: one object shared by the gateway's hot path, the batch scrubber and the CLI.

It owns the loaded injection model and the operator's leakage material (canaries, protected-record
fingerprints); everything per request (policy, system prompt, restore map) is passed in, so one engine
serves every alias and key concurrently without locks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..config.guard import GuardConfig, GuardPolicy
from ..errors import ConfigError
from . import needles
from .charclass import CharClasses
from .injection import InjectionModel
from .leakage import CanaryMatcher, Fingerprints, SystemPromptMatcher, load_protected_records
from .normalize import to_text
from .pii import find_pii
from .redact import Redactor, restore_placeholders
from .secrets import find_secrets
from .stream import OutputScanner
from .types import Finding, InputVerdict, OutputVerdict, Verdict

__all__ = ["GuardEngine"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INPUT_DETECTORS = ("injection", "secrets", "pii")
_OUTPUT_DETECTORS = ("leakage", "secrets", "pii")
_DOCUMENT_ROLES = frozenset({"tool", "function", "document", "retrieval", "ipython"})


class GuardEngine:
    """Detectors for prompt injection, PII, secrets and output leakage, and the policies around them."""

    def __init__(
        self,
        model: InjectionModel,
        *,
        canaries: Iterable[str] = (),
        protected_texts: Iterable[str] = (),
        leak_min_words: int = 10,
        max_scan_chars: int = 2_000_000,
    ) -> None:
        self.model = model
        self.canaries = CanaryMatcher(canaries)
        self.protected = Fingerprints(protected_texts, n=leak_min_words)
        self.max_scan_chars = max_scan_chars
        # build the one-pass literal/shape matcher now (~80 ms once per process), not on the first request
        needles.prepare()

    @classmethod
    def default(cls) -> GuardEngine:
        """The shipped injection model, no canaries or protected records."""
        return cls(InjectionModel.load())

    @classmethod
    def from_config(cls, config: GuardConfig, *, model_path: Path | None = None) -> GuardEngine:
        """An engine with the operator's canaries and protected-record files from ``guard:``."""
        try:
            texts = load_protected_records(config.protected_records)
        except OSError as exc:
            raise ConfigError(f"guard.protected_records: cannot read {exc.filename}: {exc.strerror}") from None
        return cls(
            InjectionModel.load(model_path),
            canaries=config.canary_values(),
            protected_texts=texts,
            leak_min_words=config.leak_min_words,
            max_scan_chars=config.max_scan_chars,
        )

    # ------------------------------------------------------------------ scanning
    def scan(self, text: str | bytes, *, channel: str = "user", detectors: set[str] | None = None) -> list[Finding]:
        """Every finding in ``text``; injection uses the model's own threshold for ``channel``."""
        text = to_text(text)
        if detectors is None:
            detectors = {"injection", "pii", "secrets"}
            if self.canaries.longest or len(self.protected):
                detectors.add("leakage")
        out: list[Finding] = []
        if "injection" in detectors:
            f = self._injection(text, channel, self.model.threshold(channel))
            if f is not None:
                out.append(f)
        for part, offset in self._windows(text):
            if "secrets" in detectors:
                out.extend(_shift(find_secrets(part), offset))
            if "pii" in detectors:
                out.extend(_shift(find_pii(part), offset))
            if "leakage" in detectors:
                out.extend(_shift(self.canaries.find(part), offset))
                out.extend(_shift(self.protected.find(part), offset))
        out.sort(key=lambda f: (f.start, f.end))
        return out

    def injection_score(self, text: str, channel: str = "user") -> float:
        """Attack probability of ``text`` on ``channel`` (for evals and dashboards)."""
        return self.model.score(self._bounded(to_text(text)), channel)

    def redact(
        self, text: str, findings: list[Finding], *, mode: str = "placeholder", hmac_key: bytes | None = None
    ) -> str:
        """``text`` with PII/secret/leak findings replaced by ``<TYPE_n>`` or keyed ``<TYPE_hash>``."""
        try:
            return Redactor(mode, hmac_key).apply(text, findings)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    # ------------------------------------------------------------------ input
    def check_input(self, messages: list[dict[str, Any]], policy: GuardPolicy) -> InputVerdict:
        """Guard a chat request's messages; the returned messages are a new list, the input is untouched."""
        if not policy.enabled:
            return InputVerdict(None, list(messages), {}, [])
        actions: dict[str, str] = {
            "injection": policy.input.injection,
            "secrets": policy.input.secrets,
            "pii": policy.input.pii,
        }
        pii_types = frozenset(policy.pii_types) if policy.pii_types else None
        found: dict[str, list[tuple[int, int | None, Finding]]] = {d: [] for d in _INPUT_DETECTORS}
        ms = dict.fromkeys(_INPUT_DETECTORS, 0.0)
        for i, msg in enumerate(messages):
            role = msg.get("role", "user") if isinstance(msg, dict) else "user"
            for j, text in _message_texts(msg):
                channel = "document" if role in _DOCUMENT_ROLES else "user"
                wants_injection = role in ("user", *_DOCUMENT_ROLES) or (
                    role in ("system", "developer") and policy.scan_system_for_injection
                )
                if actions["injection"] != "off" and wants_injection:
                    t0 = time.perf_counter()
                    f = self._injection(text, channel, self._threshold(policy, channel))
                    ms["injection"] += (time.perf_counter() - t0) * 1000
                    if f is not None:
                        found["injection"].append((i, j, f))
                classes: dict[int, CharClasses] = {}  # each window classified once, for both detectors
                for det in ("secrets", "pii"):
                    if actions[det] == "off":
                        continue
                    t0 = time.perf_counter()
                    for part, offset in self._windows(text):
                        chars = classes.get(offset)
                        if chars is None:
                            chars = classes[offset] = CharClasses(part)
                        if det == "pii":
                            hits = find_pii(part, pii_types, chars=chars)
                        else:
                            hits = find_secrets(part, chars=chars)
                        found[det].extend((i, j, f) for f in _shift(hits, offset))
                    ms[det] += (time.perf_counter() - t0) * 1000
        verdicts, blocked = _verdicts("input", actions, found, ms)
        redactor = Redactor()
        to_redact = [x for det in ("secrets", "pii") if actions[det] == "redact" for x in found[det]]
        new_messages = _redact_messages(messages, to_redact, redactor) if to_redact else list(messages)
        restore = dict(redactor.restore) if policy.pseudonymize else {}
        return InputVerdict(blocked, new_messages, restore, verdicts)

    # ------------------------------------------------------------------ output
    def output_scanner(
        self, policy: GuardPolicy, *, system_prompt: str | None = None, restore: dict[str, str] | None = None
    ) -> OutputScanner:
        """A streaming scanner for one response: ``feed(chunk)`` returns text safe to emit now."""
        return OutputScanner(self, policy, system_prompt=system_prompt, restore=restore)

    def check_output(
        self,
        text: str,
        policy: GuardPolicy,
        *,
        system_prompt: str | None = None,
        restore: dict[str, str] | None = None,
    ) -> OutputVerdict:
        """Guard a complete response; ``text`` of the verdict is what the caller may see."""
        if not policy.enabled:
            return OutputVerdict(None, restore_placeholders(text, restore or {}), [])
        actions = policy.output.model_dump()
        found, ms = self.output_findings(text, policy, system_prompt=system_prompt)
        verdicts, blocked = _verdicts("output", actions, {d: [(0, None, f) for f in fs] for d, fs in found.items()}, ms)
        if blocked:
            return OutputVerdict(blocked, "", verdicts)
        redact = [f for det in _OUTPUT_DETECTORS if actions[det] == "redact" for f in found[det]]
        safe = Redactor().apply(text, redact) if redact else text
        return OutputVerdict(None, restore_placeholders(safe, restore or {}), verdicts)

    def output_findings(
        self, text: str, policy: GuardPolicy, *, system_prompt: str | SystemPromptMatcher | None
    ) -> tuple[dict[str, list[Finding]], dict[str, float]]:
        """Findings per output detector (only those whose action is not ``off``) and ms spent on each."""
        if isinstance(system_prompt, str):
            system_prompt = SystemPromptMatcher(system_prompt, policy.leak_min_words)
        actions = policy.output.model_dump()
        pii_types = frozenset(policy.pii_types) if policy.pii_types else None
        found: dict[str, list[Finding]] = {d: [] for d in _OUTPUT_DETECTORS}
        ms = dict.fromkeys(_OUTPUT_DETECTORS, 0.0)
        for part, offset in self._windows(text):
            chars = CharClasses(part) if actions["secrets"] != "off" or actions["pii"] != "off" else None
            if actions["leakage"] != "off":
                t0 = time.perf_counter()
                hits = self.canaries.find(part) + self.protected.find(part)
                if system_prompt is not None:
                    hits += system_prompt.find(part)
                found["leakage"].extend(_shift(hits, offset))
                ms["leakage"] += (time.perf_counter() - t0) * 1000
            if actions["secrets"] != "off":
                t0 = time.perf_counter()
                found["secrets"].extend(_shift(find_secrets(part, chars=chars), offset))
                ms["secrets"] += (time.perf_counter() - t0) * 1000
            if actions["pii"] != "off":
                t0 = time.perf_counter()
                found["pii"].extend(_shift(find_pii(part, pii_types, chars=chars), offset))
                ms["pii"] += (time.perf_counter() - t0) * 1000
        return found, ms

    # ------------------------------------------------------------------ helpers
    def _threshold(self, policy: GuardPolicy, channel: str) -> float:
        custom = policy.document_injection_threshold if channel == "document" else policy.injection_threshold
        return custom if custom is not None else self.model.threshold(channel)

    def _injection(self, text: str, channel: str, threshold: float) -> Finding | None:
        if not text.strip():
            return None
        score = self.model.score(self._bounded(text), channel)
        # mostly-binary text is not language: there is no instruction to follow in it (checked only
        # on a hit, so ordinary prompts skip the control-character scan)
        if score >= threshold and not _mostly_binary(text):
            return Finding("injection", "JAILBREAK" if channel == "user" else "INDIRECT_INJECTION", 0, len(text), score)
        return None

    def _bounded(self, text: str) -> str:
        if len(text) <= self.max_scan_chars:
            return text
        half = self.max_scan_chars // 2
        return text[:half] + "\n" + text[-half:]

    def _windows(self, text: str) -> list[tuple[str, int]]:
        """Huge texts are scanned on their head and tail only, so the cost has a ceiling."""
        if len(text) <= self.max_scan_chars:
            return [(text, 0)]
        half = self.max_scan_chars // 2
        return [(text[:half], 0), (text[-half:], len(text) - half)]


def _mostly_binary(text: str) -> bool:
    """Undecodable or control bytes make up over 30% of the text (a file upload gone wrong, not a prompt)."""
    if "\ufffd" not in text and _CONTROL.search(text) is None:
        return False
    junk = text.count("\ufffd") + len(_CONTROL.findall(text))
    return junk > 0.3 * len(text)


def _shift(findings: list[Finding], offset: int) -> list[Finding]:
    if not offset:
        return findings
    return [Finding(f.detector, f.type, f.start + offset, f.end + offset, f.score) for f in findings]


def _message_texts(msg: Any) -> list[tuple[int | None, str]]:
    """(part index or None, text) for a message's string content or its text parts."""
    if not isinstance(msg, dict):
        return []
    content = msg.get("content")
    if isinstance(content, str):
        return [(None, content)]
    if isinstance(content, list):
        return [
            (j, p["text"])
            for j, p in enumerate(content)
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        ]
    return []


def _redact_messages(
    messages: list[dict[str, Any]], hits: list[tuple[int, int | None, Finding]], redactor: Redactor
) -> list[dict[str, Any]]:
    by_part: dict[tuple[int, int | None], list[Finding]] = {}
    for i, j, f in hits:
        by_part.setdefault((i, j), []).append(f)
    out = list(messages)
    for (i, j), findings in sorted(by_part.items(), key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1])):
        msg = dict(out[i])
        if j is None:
            msg["content"] = redactor.apply(msg["content"], findings)
        else:
            parts = list(msg["content"])
            parts[j] = {**parts[j], "text": redactor.apply(parts[j]["text"], findings)}
            msg["content"] = parts
        out[i] = msg
    return out


def _verdicts(
    direction: str,
    actions: dict[str, str],
    found: dict[str, list[tuple[int, int | None, Finding]]],
    ms: dict[str, float],
) -> tuple[list[Verdict], str | None]:
    verdicts: list[Verdict] = []
    blocked: str | None = None
    for det, hits in found.items():
        action = actions[det]
        if action == "off":
            continue
        types: dict[str, int] = {}
        for _, _, f in hits:
            types[f.type] = types.get(f.type, 0) + 1
        taken = action if hits else "pass"
        if taken == "block" and blocked is None:
            blocked = det
        score = max((f.score for _, _, f in hits), default=0.0)
        verdicts.append(Verdict(det, direction, taken, types, score, ms.get(det, 0.0)))
    return verdicts, blocked
