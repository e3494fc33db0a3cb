"""The seedstack exception tree.

Every error a user can cause or meet is a ``SeedstackError``. Each carries an HTTP status, an
OpenAI error ``type`` and ``code`` and a message that says how to fix the problem, so the HTTP layer
and the CLI can both render it without knowing where it came from::

    SeedstackError
    ├── ConfigError                 a bad seedstack.yaml / env var (startup, CLI)
    ├── MissingExtraError           an optional backend whose extra is not installed
    ├── StoreError                  the store cannot be reached or refused a write
    ├── NotFoundError               404: an unknown request id, key, dataset, model …
    └── APIError                    anything answered over HTTP
        ├── InvalidRequestError     400: malformed JSON, missing/mistyped field
        │   └── GuardrailBlockedError   400: a guard policy blocked the text
        ├── PayloadTooLargeError    413
        ├── AuthenticationError     401: missing, unknown or revoked key
        ├── PermissionDeniedError   403: the key's role or model allow-list forbids it
        ├── ModelNotFoundError      404: unknown model alias
        ├── RateLimitError          429: rpm / tpm exceeded
        ├── BudgetExceededError     429: the key's daily USD budget is spent
        └── UpstreamError           502: every backend failed
            ├── UpstreamTimeoutError    504
            └── NoBackendAvailableError 503: all backends saturated or circuit-open

Library errors (aiohttp, sqlite3, psycopg, redis) are translated at the boundary that calls them.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConfigError",
    "GuardrailBlockedError",
    "InvalidRequestError",
    "MissingExtraError",
    "ModelNotFoundError",
    "NoBackendAvailableError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "SeedstackError",
    "StoreError",
    "UpstreamError",
    "UpstreamTimeoutError",
    "openai_error_body",
]


class SeedstackError(Exception):
    """Base class: ``str(err)`` is a one-line message that says what to do."""

    status = 500
    type = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def to_openai(self) -> dict[str, Any]:
        return openai_error_body(self.message, self.type, self.param, self.code)


class ConfigError(SeedstackError):
    type = "config_error"


class MissingExtraError(SeedstackError):
    type = "config_error"

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs an optional extra: pip install 'seedstack[{extra}]'")


class StoreError(SeedstackError):
    status = 503
    type = "store_error"


class NotFoundError(SeedstackError):
    status = 404
    type = "not_found_error"


class APIError(SeedstackError):
    pass


class InvalidRequestError(APIError):
    status = 400
    type = "invalid_request_error"


class GuardrailBlockedError(InvalidRequestError):
    code = "guardrail_blocked"

    def __init__(self, detector: str, direction: str) -> None:
        where = "prompt" if direction == "input" else "model output"
        super().__init__(
            f"The {where} was blocked by the '{detector}' guardrail. Remove the offending content "
            "or ask an admin to change the guard policy for this model or key.",
            param=detector,
        )
        self.detector = detector


class PayloadTooLargeError(APIError):
    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class AuthenticationError(APIError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(APIError):
    status = 403
    type = "permission_error"
    code = "permission_denied"


class ModelNotFoundError(APIError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class RateLimitError(APIError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float = 1.0, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class BudgetExceededError(RateLimitError):
    code = "budget_exceeded"


class UpstreamError(APIError):
    status = 502
    type = "upstream_error"
    code = "upstream_failed"


class UpstreamTimeoutError(UpstreamError):
    status = 504
    code = "upstream_timeout"


class NoBackendAvailableError(UpstreamError):
    status = 503
    code = "no_backend_available"


def openai_error_body(
    message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
