"""Metadata views for keys without ``payloads.read``: what customers typed is taken out, the rest stays.

Like a tracing UI whose viewer role sees every trace and timing but masked inputs and outputs, the
observability endpoints answer a role that may read metadata with the full structure, payload text
set to ``null`` and a ``withheld`` note that names the permission and the roles that hold it.
"""

from __future__ import annotations

from typing import Any

from ...access import PERMISSIONS, holders

__all__ = ["reason", "withhold_drift", "withhold_story", "withhold_trace"]


def reason(permission: str) -> str:
    return f"withheld: needs {permission} ({PERMISSIONS[permission]}), held by {', '.join(holders(permission))}"


def _note(out: dict[str, Any], fields: list[str], permission: str = "payloads.read") -> dict[str, Any]:
    out["withheld"] = {"fields": fields, "permission": permission, "reason": reason(permission)}
    return out


def _calls_only(step: dict[str, Any]) -> dict[str, Any]:
    """A trace step without its tool calls and results (their labels quote the payload)."""
    kids = [_calls_only(c) for c in step.get("children") or [] if c.get("kind") == "call"]
    return {**step, "children": kids}


def withhold_trace(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_calls_only(s) for s in steps]


def withhold_story(story: dict[str, Any]) -> dict[str, Any]:
    """``explain_request``'s answer without payload text, template variables or judge rationales."""
    scores = story.get("eval_scores")
    out = {
        **story,
        "payload": {**story["payload"], "request": None, "response": None},
        "template": {**story["template"], "variables": None},
        "trace": {**story["trace"], "steps": withhold_trace(story["trace"]["steps"])},
        "eval_scores": [{k: v for k, v in s.items() if k != "detail"} for s in scores] if scores else scores,
    }
    fields = ["payload.request", "payload.response", "template.variables", "trace tool steps", "eval detail"]
    return _note(out, fields)


def withhold_drift(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drift scores stay; example prompts and top words (taken from payloads) go."""
    return [
        _note(
            {**r, "examples": [], "recent_top_words": [], "baseline_top_words": []},
            ["examples", "recent_top_words", "baseline_top_words"],
        )
        for r in reports
    ]
