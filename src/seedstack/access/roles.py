"""Who may do what: the role -> permission table, kept as plain data so it can be read and reviewed.

Raw (unscrubbed) data and artifact URIs are the crown jewels: only ``data-admin`` and ``admin``
read raw rows, and ``app`` keys (the ones baked into products) touch nothing here at all.
Request metadata (``observability.read``) and payload text (``payloads.read``) are separate, so an
ML engineer sees latency, traces and drift but not what customers typed.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ROLE_ADMIN",
    "ROLE_APP",
    "ROLE_AUDITOR",
    "ROLE_DATA_ADMIN",
    "ROLE_ML_ENGINEER",
    "check",
    "holders",
    "permissions_of",
]

ROLE_ADMIN: Final = "admin"
ROLE_APP: Final = "app"
ROLE_DATA_ADMIN: Final = "data-admin"
ROLE_ML_ENGINEER: Final = "ml-engineer"
ROLE_AUDITOR: Final = "auditor"

PERMISSIONS: Final = MappingProxyType(
    {
        "data.read_meta": "list datasets, read versions, schemas, scrub reports and diffs (no rows)",
        "data.read": "read scrubbed rows (export, diff samples)",
        "data.read_raw": "read the raw, unscrubbed zone",
        "data.write": "add versions, tag versions",
        "data.vacuum": "remove files of untagged, unreferenced old versions",
        "models.read": "list and show registered models and their lineage",
        "models.register": "register a model version",
        "models.promote": "move a model version between stages",
        "models.read_artifact": "see artifact URIs and checksums of model weights",
        "observability.read": "read request metadata, traces, SLOs, drift and the overview (no payload text)",
        "payloads.read": "read sampled request/response payloads",
        "audit.read": "read the audit log",
        "keys.manage": "create and revoke API keys, rotate the data key",
    }
)

_ALL = frozenset(PERMISSIONS)

ROLES: Final = MappingProxyType(
    {
        ROLE_ADMIN: _ALL,
        ROLE_DATA_ADMIN: frozenset(
            {
                "data.read_meta",
                "data.read",
                "data.read_raw",
                "data.write",
                "data.vacuum",
                "models.read",
                "audit.read",
            }
        ),
        ROLE_ML_ENGINEER: frozenset(
            {
                "data.read_meta",
                "data.read",
                "data.write",
                "models.read",
                "models.register",
                "models.promote",
                "models.read_artifact",
                "observability.read",
            }
        ),
        ROLE_AUDITOR: frozenset({"data.read_meta", "models.read", "observability.read", "payloads.read", "audit.read"}),
        ROLE_APP: frozenset(),
    }
)


def check(role: str, permission: str) -> bool:
    """True when ``role`` holds ``permission``; unknown roles hold nothing (fail closed)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in ROLES.get(role, frozenset())


def permissions_of(role: str) -> frozenset[str]:
    return ROLES.get(role, frozenset())


def holders(permission: str) -> tuple[str, ...]:
    """The roles holding ``permission``, in table order: what a refusal tells the user to ask for."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return tuple(role for role, perms in ROLES.items() if permission in perms)
