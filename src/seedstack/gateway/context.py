"""Request metadata from headers or the body's ``metadata`` field: customer, tags, prompt template,
trace. Headers win when both are given."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidRequestError

__all__ = ["RequestMeta", "extract_meta"]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
_MAX = 256


@dataclass(slots=True)
class RequestMeta:
    customer: str | None = None
    tags: list[str] | None = None
    template: str | None = None
    template_version: str | None = None
    trace_id: str | None = None
    parent_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _short(value: Any, name: str) -> str:
    text = str(value)
    if len(text) > _MAX:
        raise InvalidRequestError(f"{name} is longer than {_MAX} characters; shorten it", param=name)
    return text


def extract_meta(headers: dict[str, str], body: dict[str, Any]) -> RequestMeta:
    raw_md = body.get("metadata")
    md: dict[str, Any] = raw_md if isinstance(raw_md, dict) else {}
    meta = RequestMeta()
    customer = headers.get("x-seedstack-customer") or md.get("customer")
    if customer:
        meta.customer = _short(customer, "x-seedstack-customer")
    tags = headers.get("x-seedstack-tags") or md.get("tags")
    if tags:
        items = tags.split(",") if isinstance(tags, str) else tags if isinstance(tags, list) else [tags]
        meta.tags = [_short(t, "x-seedstack-tags").strip() for t in items if str(t).strip()][:32]
    template = headers.get("x-seedstack-prompt-template") or md.get("prompt_template")
    if template:
        name, _, version = _short(template, "x-seedstack-prompt-template").partition("@")
        meta.template, meta.template_version = name, version or None
    tp = headers.get("traceparent")
    if tp:
        m = _TRACEPARENT.match(tp.strip().lower())
        if not m:
            raise InvalidRequestError(
                "traceparent must look like 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>",
                param="traceparent",
            )
        meta.trace_id, meta.parent_id = m.group(1), m.group(2)
    trace = headers.get("x-seedstack-trace-id") or md.get("trace_id")
    if trace and not meta.trace_id:
        meta.trace_id = _short(trace, "x-seedstack-trace-id")
    extra = {k: v for k, v in md.items() if k not in ("customer", "tags", "prompt_template", "trace_id")}
    if extra:
        meta.extra = extra
    return meta
