"""Access control for datasets, models and payloads: roles, key lookup, and the audit log."""

from .actor import LOCAL_ADMIN, Actor, authorize, hash_key, key_actor, resolve_actor
from .audit import AuditEntry, audit, read_audit
from .roles import (
    PERMISSIONS,
    ROLE_ADMIN,
    ROLE_APP,
    ROLE_AUDITOR,
    ROLE_DATA_ADMIN,
    ROLE_ML_ENGINEER,
    ROLES,
    check,
    holders,
    permissions_of,
)

__all__ = [
    "LOCAL_ADMIN",
    "PERMISSIONS",
    "ROLES",
    "ROLE_ADMIN",
    "ROLE_APP",
    "ROLE_AUDITOR",
    "ROLE_DATA_ADMIN",
    "ROLE_ML_ENGINEER",
    "Actor",
    "AuditEntry",
    "audit",
    "authorize",
    "check",
    "hash_key",
    "holders",
    "key_actor",
    "permissions_of",
    "read_audit",
    "resolve_actor",
]
