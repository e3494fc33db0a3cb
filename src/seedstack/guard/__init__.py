"""Guardrails: fast offline detectors for prompt injection, PII, secrets and output leakage.

One :class:`GuardEngine` serves the gateway's request path, the batch PII scrubber and the CLI::

    engine = GuardEngine.default()
    findings = engine.scan("mail me at ann@example.com")
    safe = engine.redact("mail me at ann@example.com", findings)   # 'mail me at <EMAIL_1>'
"""

from ..config.guard import GuardConfig, GuardPolicy
from .engine import GuardEngine
from .stream import OutputScanner
from .types import DETECTORS, Finding, InputVerdict, OutputVerdict, Verdict

__all__ = [
    "DETECTORS",
    "Finding",
    "GuardConfig",
    "GuardEngine",
    "GuardPolicy",
    "InputVerdict",
    "OutputScanner",
    "OutputVerdict",
    "Verdict",
]
