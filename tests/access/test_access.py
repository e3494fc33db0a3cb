"""Roles, key lookup and the append-only audit log."""

from __future__ import annotations

import time

import pytest

from seedstack.access import (
    LOCAL_ADMIN,
    PERMISSIONS,
    ROLES,
    Actor,
    audit,
    authorize,
    check,
    hash_key,
    read_audit,
    resolve_actor,
)
from seedstack.errors import AuthenticationError, PermissionDeniedError, StoreError


def _add_key(store, key: str, role: str, *, name: str = "k", revoked: bool = False) -> None:
    store.execute(
        "INSERT INTO api_keys (id, name, hash, prefix, role, created_at, revoked_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (f"id-{name}", name, hash_key(key), key[:8], role, time.time(), time.time() if revoked else None),
    )


def test_permission_table_matches_the_documented_intent() -> None:
    assert {"admin", "app", "data-admin", "ml-engineer", "auditor"} <= set(ROLES)
    readers_of_raw = {r for r in ROLES if check(r, "data.read_raw")}
    assert readers_of_raw == {"admin", "data-admin"}
    assert {r for r in ROLES if check(r, "models.read_artifact")} == {"admin", "ml-engineer"}
    assert not any(check("app", p) for p in PERMISSIONS)
    assert not check("no-such-role", "data.read")  # unknown roles hold nothing
    with pytest.raises(ValueError):
        check("admin", "data.teleport")


def test_no_keys_means_local_admin_then_keys_are_required(store) -> None:
    assert resolve_actor(store, None) == LOCAL_ADMIN
    _add_key(store, "sk-data-1", "data-admin", name="dana")
    with pytest.raises(AuthenticationError, match="SEEDSTACK_API_KEY"):
        resolve_actor(store, None)
    actor = resolve_actor(store, "sk-data-1")
    assert (actor.name, actor.role, actor.label) == ("dana", "data-admin", "key:dana")
    with pytest.raises(AuthenticationError, match="unknown API key"):
        resolve_actor(store, "sk-wrong")
    _add_key(store, "sk-old", "admin", name="old", revoked=True)
    with pytest.raises(AuthenticationError, match="revoked"):
        resolve_actor(store, "sk-old")


def test_denials_are_refused_clearly_and_audited(store) -> None:
    eve = Actor("eve", "ml-engineer", key_id="k1")
    authorize(store, eve, "data.read", "dataset:chats@v1")  # allowed: no row
    with pytest.raises(PermissionDeniedError, match="role 'ml-engineer' may not read the raw"):
        authorize(store, eve, "data.read_raw", "dataset:chats@v1")
    entries = read_audit(store)
    assert len(entries) == 1
    e = entries[0]
    assert (e.actor, e.role, e.action, e.target, e.allowed) == (
        "key:eve",
        "ml-engineer",
        "data.read_raw",
        "dataset:chats@v1",
        False,
    )


def test_audit_log_is_append_only_in_the_database(store) -> None:
    audit(store, "key:a", "data.add", "dataset:x@v0", True, {"rows": 3})
    audit(store, "key:b", "models.promote", "model:m@1", False)
    assert [e.action for e in read_audit(store)] == ["models.promote", "data.add"]
    assert [e.actor for e in read_audit(store, target="dataset:x")] == ["key:a"]
    with pytest.raises(StoreError, match="append-only"):
        store.execute("UPDATE audit_log SET allowed = 1")
    with pytest.raises(StoreError, match="append-only"):
        store.execute("DELETE FROM audit_log")
    assert len(read_audit(store)) == 2
