"""Errors the data layer adds to the seedstack tree (they render like every other SeedstackError)."""

from __future__ import annotations

from ..errors import InvalidRequestError, SeedstackError

__all__ = ["ConcurrentWriteError", "SchemaMismatchError"]


class SchemaMismatchError(InvalidRequestError):
    """The input does not match the dataset's Arrow schema exactly; nothing was written."""

    code = "schema_mismatch"

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None) -> None:
        super().__init__(message, param=column)
        self.column = column
        self.row = row


class ConcurrentWriteError(SeedstackError):
    """Another writer committed a conflicting change first; re-running the command is safe."""

    status = 409
    type = "conflict_error"
    code = "concurrent_write"
    retryable = True
