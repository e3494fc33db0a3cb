"""Config models for the guard: what each detector does on the way in and on the way out.

A ``GuardPolicy`` says, per direction and detector, ``block`` / ``redact`` / ``flag`` / ``off``.
``GuardConfig`` is the policy used by default plus partial overrides per model alias and per API key
(a key override wins over an alias override, which wins over the default), and the operator's
registered canaries and protected-record files used by the output leakage detector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

from .secrets import EnvSecret

__all__ = [
    "PII_TYPES",
    "Action",
    "GuardConfig",
    "GuardInputPolicy",
    "GuardOutputPolicy",
    "GuardPolicy",
]


def _yaml_off(value: Any) -> Any:
    """YAML 1.1 reads a bare ``off`` as false; take it as the action the user wrote."""
    return "off" if value is False else value


Action = Annotated[Literal["block", "redact", "flag", "off"], BeforeValidator(_yaml_off)]

PII_TYPES = (
    "EMAIL",
    "PHONE",
    "CREDIT_CARD",
    "IBAN",
    "US_SSN",
    "IP_ADDRESS",
    "DATE_OF_BIRTH",
    "PERSON",
    "ADDRESS",
    "LOCATION",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuardInputPolicy(_Strict):
    """What happens to prompts before the upstream sees them."""

    injection: Action = "block"
    pii: Action = "redact"
    secrets: Action = "block"

    @field_validator("injection")
    @classmethod
    def _no_redact_injection(cls, v: str) -> str:
        if v == "redact":
            raise ValueError("an injection cannot be redacted: use block, flag or off")
        return v


class GuardOutputPolicy(_Strict):
    """What happens to model output before the caller sees it."""

    pii: Action = "flag"
    secrets: Action = "redact"
    leakage: Action = "block"


class GuardPolicy(_Strict):
    """One complete policy: actions, thresholds and the pseudonymize switch."""

    enabled: bool = Field(True, description="false turns every detector off for this scope")
    input: GuardInputPolicy = Field(default_factory=GuardInputPolicy)
    output: GuardOutputPolicy = Field(default_factory=GuardOutputPolicy)
    injection_threshold: float | None = Field(
        None, gt=0, lt=1, description="attack probability that triggers; default: the model's calibrated value"
    )
    document_injection_threshold: float | None = Field(
        None, gt=0, lt=1, description="the same for tool results and retrieved documents"
    )
    pii_types: list[str] | None = Field(None, description=f"PII types to act on (default all): {PII_TYPES}")
    scan_system_for_injection: bool = Field(
        False, description="system prompts are the operator's own text, so they are not scanned by default"
    )
    pseudonymize: bool = Field(
        False, description="restore redacted originals in the response; the upstream still never sees them"
    )
    hold_back_chars: int = Field(
        96, ge=16, le=4096, description="streaming: characters held back so a secret split across chunks is caught"
    )
    leak_min_words: int = Field(
        10, ge=4, le=200, description="a run of this many words copied from a protected text counts as a leak"
    )

    @field_validator("pii_types")
    @classmethod
    def _known_types(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        bad = sorted(set(t.upper() for t in v) - set(PII_TYPES))
        if bad:
            raise ValueError(f"unknown PII type(s) {bad}; choose from {list(PII_TYPES)}")
        return [t.upper() for t in v]


class GuardConfig(GuardPolicy):
    """``guard:`` in seedstack.yaml: the default policy, overrides, canaries and protected records."""

    aliases: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="model alias -> partial policy merged over the default"
    )
    keys: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="API key name -> partial policy merged over alias and default"
    )
    canaries: list[EnvSecret] = Field(
        default_factory=list, description="strings that must never appear in output (plant them in prompts)"
    )
    protected_records: list[Path] = Field(
        default_factory=list,
        description="text or JSONL files whose records must not be echoed verbatim (one record per line)",
    )
    max_scan_chars: int = Field(
        2_000_000, ge=1000, description="longer texts are scanned on their first and last halves of this budget"
    )

    @field_validator("aliases", "keys")
    @classmethod
    def _valid_overrides(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, override in v.items():
            try:
                GuardPolicy.model_validate(override)
            except Exception as exc:
                raise ValueError(f"override {name!r}: {exc}") from None
        return v

    def policy_for(self, alias: str | None = None, key_name: str | None = None) -> GuardPolicy:
        """The effective policy for one request: default, then the alias override, then the key's."""
        base = self.model_dump(include=set(GuardPolicy.model_fields))
        for scope, name in ((self.aliases, alias), (self.keys, key_name)):
            if name is not None and name in scope:
                base = _deep_merge(base, scope[name])
        return GuardPolicy.model_validate(base)

    def canary_values(self) -> list[str]:
        return [c.get_secret_value() if isinstance(c, SecretStr) else str(c) for c in self.canaries]


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out
