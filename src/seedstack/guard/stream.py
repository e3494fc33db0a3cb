"""Guarding streamed output: emit text as it arrives, minus a small hold-back window.

The scanner keeps the last ``hold`` characters back, so a secret, a canary or a placeholder that is
split across two chunks is seen whole before any of it leaves; a finding that reaches into the held
tail holds everything from its start. Each ``feed`` rescans only the unreleased text plus a little
context, so the total cost stays linear in the response length. ``held_ms`` is the longest time any
text waited in the window, the delay the guard added for the caller.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from ..config.guard import GuardPolicy
from ..errors import GuardrailBlockedError
from .leakage import SystemPromptMatcher
from .redact import PLACEHOLDER_RE, Redactor, restore_placeholders
from .types import Finding, Verdict

if TYPE_CHECKING:
    from .engine import GuardEngine

__all__ = ["OutputScanner"]

_DETECTORS = ("leakage", "secrets", "pii")
_CONTEXT = 256


class OutputScanner:
    """Feed chunks in, get safe text out; raises ``GuardrailBlockedError`` when a block rule fires."""

    def __init__(
        self,
        engine: GuardEngine,
        policy: GuardPolicy,
        *,
        system_prompt: str | None = None,
        restore: dict[str, str] | None = None,
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._system_prompt = SystemPromptMatcher(system_prompt, policy.leak_min_words) if system_prompt else None
        self._restore = restore or {}
        self._actions = policy.output.model_dump()
        self._enabled = policy.enabled and any(a != "off" for a in self._actions.values())
        longest = max([engine.canaries.longest, *(len(k) for k in self._restore)], default=0)
        self.hold = max(policy.hold_back_chars, longest + 1)
        self._buf = ""
        self._base = 0  # absolute offset of self._buf[0]
        self._emitted = 0  # absolute offset released so far
        self._counted: set[tuple[str, str, int]] = set()
        self._types: dict[str, dict[str, int]] = {d: {} for d in _DETECTORS}
        self._score = dict.fromkeys(_DETECTORS, 0.0)
        self._ms = dict.fromkeys(_DETECTORS, 0.0)
        self._arrivals: deque[tuple[int, float]] = deque()
        self._redactor = Redactor()
        self.blocked: str | None = None
        self.held_ms = 0.0

    @property
    def verdicts(self) -> list[Verdict]:
        out = []
        for det in _DETECTORS:
            action = self._actions[det]
            if action == "off" or not self._policy.enabled:
                continue
            types = self._types[det]
            taken = "block" if self.blocked == det else (action if types else "pass")
            out.append(Verdict(det, "output", taken, dict(types), self._score[det], self._ms[det]))
        return out

    def feed(self, chunk: str) -> str:
        """Add a chunk; return the text that is now safe to send (may be empty)."""
        if self.blocked:
            raise GuardrailBlockedError(self.blocked, "output")
        if not chunk:
            return ""
        self._arrivals.append((self._base + len(self._buf), time.perf_counter()))
        self._buf += chunk
        return self._release(final=False)

    def finish(self) -> str:
        """The end of the stream: scan and release whatever is still held."""
        if self.blocked:
            raise GuardrailBlockedError(self.blocked, "output")
        return self._release(final=True)

    def _release(self, *, final: bool) -> str:
        end = self._base + len(self._buf)
        if not self._enabled:
            upto = end if final else max(self._emitted, end - self.hold)
            return self._emit(upto, [], final)
        region_start = max(self._base, self._emitted - _CONTEXT)
        region = self._buf[region_start - self._base :]
        found, ms = self._engine.output_findings(region, self._policy, system_prompt=self._system_prompt)
        for det, t in ms.items():
            self._ms[det] += t
        findings = [
            Finding(f.detector, f.type, f.start + region_start, f.end + region_start, f.score)
            for fs in found.values()
            for f in fs
            if f.end + region_start > self._emitted
        ]
        blocking = [f for f in findings if self._actions[f.detector] == "block"]
        if blocking:
            f = blocking[0]
            self._count(f)
            self.blocked = f.detector
            raise GuardrailBlockedError(f.detector, "output")
        upto = end if final else end - self.hold
        if not final:
            for f in findings:
                if f.start < upto < f.end:
                    upto = f.start
            for m in PLACEHOLDER_RE.finditer(region):
                s, e = m.start() + region_start, m.end() + region_start
                if s < upto < e:
                    upto = s
            upto = max(upto, self._emitted)
        released = [f for f in findings if f.start < upto]
        return self._emit(upto, released, final)

    def _emit(self, upto: int, findings: list[Finding], final: bool) -> str:
        if upto <= self._emitted:
            return ""
        for f in findings:
            self._count(f)
        lo = self._emitted - self._base
        hi = upto - self._base
        segment = self._buf[lo:hi]
        redact = [
            Finding(
                f.detector,
                f.type,
                max(f.start, self._emitted) - self._emitted,
                min(f.end, upto) - self._emitted,
                f.score,
            )
            for f in findings
            if self._actions[f.detector] == "redact"
        ]
        if redact:
            segment = self._redactor.apply(segment, redact)
        segment = restore_placeholders(segment, self._restore)
        now = time.perf_counter()
        while self._arrivals and self._arrivals[0][0] < upto:
            _, t = self._arrivals[0]
            self.held_ms = max(self.held_ms, (now - t) * 1000)
            nxt = self._arrivals[1][0] if len(self._arrivals) > 1 else self._base + len(self._buf)
            if nxt <= upto:
                self._arrivals.popleft()
            else:
                self._arrivals[0] = (upto, t)
                break
        self._emitted = upto
        keep_from = max(self._base, upto - _CONTEXT)
        if keep_from - self._base > 4096:
            self._buf = self._buf[keep_from - self._base :]
            self._base = keep_from
        return segment

    def _count(self, f: Finding) -> None:
        key = (f.detector, f.type, f.start)
        if key in self._counted:
            return
        self._counted.add(key)
        types = self._types[f.detector]
        types[f.type] = types.get(f.type, 0) + 1
        self._score[f.detector] = max(self._score[f.detector], f.score)
