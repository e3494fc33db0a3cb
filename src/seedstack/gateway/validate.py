"""Request validation: catch what the caller got wrong, say how to fix it, and leave every field we
do not understand untouched for the upstream."""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import InvalidRequestError

__all__ = ["parse_body", "validate"]

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise InvalidRequestError('the request body is empty: send a JSON object, e.g. {"model": …, "messages": […]}')
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"the request body is not valid JSON ({exc.msg} at position {exc.pos}); check quoting and commas"
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestError("the request body must be a JSON object, not " + type(body).__name__)
    return body


def _type_error(param: str, expected: str, value: Any) -> InvalidRequestError:
    got = "null" if value is None else type(value).__name__
    return InvalidRequestError(f"'{param}' must be {expected}, got {got}", param=param)


def _check_common(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise InvalidRequestError(
            "'model' is required: set it to a model alias (GET /v1/models lists them)", param="model"
        )
    if not isinstance(model, str) or not model:
        raise _type_error("model", "a non-empty string (a model alias)", model)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _type_error("stream", "true or false", stream)
    for p in ("max_tokens", "max_completion_tokens", "n", "seed"):
        v = body.get(p)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise _type_error(p, "an integer", v)
    for p in ("max_tokens", "max_completion_tokens", "n"):
        v = body.get(p)
        if v is not None and v < 1:
            raise InvalidRequestError(f"'{p}' must be at least 1", param=p)
    for p in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        v = body.get(p)
        if v is not None and (not isinstance(v, int | float) or isinstance(v, bool)):
            raise _type_error(p, "a number", v)
    so = body.get("stream_options")
    if so is not None and not isinstance(so, dict):
        raise _type_error("stream_options", "an object", so)
    md = body.get("metadata")
    if md is not None and not isinstance(md, dict):
        raise _type_error("metadata", "an object of string keys", md)
    return model


def validate(endpoint: str, body: dict[str, Any]) -> str:
    """Check the fields the gateway relies on; return the model alias."""
    model = _check_common(body)
    if endpoint == "chat":
        messages = body.get("messages")
        if messages is None:
            raise InvalidRequestError(
                '\'messages\' is required: a list like [{"role": "user", "content": "hi"}]', param="messages"
            )
        if not isinstance(messages, list) or not messages:
            raise _type_error("messages", "a non-empty list of messages", messages)
        for i, m in enumerate(messages):
            if not isinstance(m, dict):
                raise _type_error(f"messages[{i}]", "an object with 'role' and 'content'", m)
            role = m.get("role")
            if role not in _ROLES:
                raise InvalidRequestError(
                    f"messages[{i}].role must be one of {sorted(_ROLES)}, got {role!r}",
                    param=f"messages[{i}].role",
                )
            content = m.get("content")
            if content is not None and not isinstance(content, str | list):
                raise _type_error(f"messages[{i}].content", "a string or a list of content parts", content)
    elif endpoint == "completions":
        prompt = body.get("prompt")
        if prompt is None:
            raise InvalidRequestError("'prompt' is required for /v1/completions", param="prompt")
        if not isinstance(prompt, str | list):
            raise _type_error("prompt", "a string or a list of strings", prompt)
    elif endpoint == "embeddings":
        inp = body.get("input")
        if inp is None:
            raise InvalidRequestError("'input' is required for /v1/embeddings", param="input")
        if not isinstance(inp, str | list) or (isinstance(inp, list) and not inp):
            raise _type_error("input", "a string or a non-empty list", inp)
    return model
