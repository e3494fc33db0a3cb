"""Eval suites: YAML or JSONL files of cases (input messages, optional reference, tags, scorers).

YAML holds the whole suite (``name``, default ``scorers``, ``cases``); JSONL holds one case per line
and uses the file name as the suite name. A case's scorers replace the suite's defaults.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError

__all__ = ["EvalCase", "EvalSuite", "ScorerSpec", "load_suite"]


class ScorerSpec(BaseModel):
    """``type`` names the scorer; the other keys are its parameters (pattern, schema, rubric…)."""

    model_config = ConfigDict(extra="allow")

    type: str

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def name(self) -> str:
        """The column this scorer's results go in; ``name:`` overrides it so two regexes can coexist."""
        return str(self.params.get("name", self.type))


def _spec(raw: Any) -> Any:
    return {"type": raw} if isinstance(raw, str) else raw


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    messages: list[dict[str, Any]]
    reference: str | None = None
    tags: list[str] = Field(default_factory=list)
    scorers: list[ScorerSpec] | None = None
    params: dict[str, Any] = Field(default_factory=dict, description="extra request fields, e.g. max_tokens")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "input" in data and "messages" not in data:
                data["messages"] = [{"role": "user", "content": data.pop("input")}]
            if isinstance(data.get("scorers"), list):
                data["scorers"] = [_spec(s) for s in data["scorers"]]
            if "id" in data:
                data["id"] = str(data["id"])
        return data

    @property
    def prompt(self) -> str:
        """The last user message: what the simulator's scripted replies and the judge key on."""
        for m in reversed(self.messages):
            if m.get("role") == "user":
                return str(m.get("content", ""))
        return ""


class EvalSuite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    scorers: list[ScorerSpec] = Field(default_factory=list)
    cases: list[EvalCase]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("scorers"), list):
            data = {**data, "scorers": [_spec(s) for s in data["scorers"]]}
        return data

    @model_validator(mode="after")
    def _checks(self) -> EvalSuite:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"case id {case.id!r} appears twice; ids must be unique")
            seen.add(case.id)
            if not (case.scorers or self.scorers):
                raise ValueError(f"case {case.id!r} has no scorers and the suite sets no default 'scorers'")
        return self

    def scorers_for(self, case: EvalCase) -> list[ScorerSpec]:
        return case.scorers or self.scorers

    def select(self, tags: list[str] | None) -> list[EvalCase]:
        if not tags:
            return list(self.cases)
        return [c for c in self.cases if set(tags) & set(c.tags)]

    @property
    def digest(self) -> str:
        """Changes when any case or scorer changes, so a gate can tell it compares like with like."""
        return hashlib.sha256(orjson.dumps(self.model_dump(), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def load_suite(path: Path) -> EvalSuite:
    """Read a ``.yaml``/``.yml`` or ``.jsonl`` suite; errors name the file and the bad field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read suite {path}: {exc.strerror}") from None
    try:
        if path.suffix == ".jsonl":
            cases = [orjson.loads(line) for line in text.splitlines() if line.strip()]
            data: Any = {"name": path.stem, "cases": cases, "scorers": [{"type": "exact"}]}
        else:
            data = yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} cannot be parsed: {exc}") from None
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    try:
        return EvalSuite.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {loc}: {err['msg']}") from None
