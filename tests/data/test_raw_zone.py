"""The raw zone: unscrubbed rows, AES-GCM encrypted at rest, readable only by data-admin."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedstack.access import Actor, read_audit
from seedstack.crypto import DataKeyring
from seedstack.data import rotate_data_key
from seedstack.errors import PermissionDeniedError

from .data_helpers import chat_rows, write_jsonl


def _files_contain(root: str, needle: bytes) -> bool:
    return any(needle in p.read_bytes() for p in Path(root).rglob("*.parquet"))


def test_raw_rows_are_encrypted_and_only_data_admin_reads_them(
    make_service, store, root, tmp_path: Path
) -> None:
    svc = make_service(keep_raw=True)
    svc.add("chats", [write_jsonl(tmp_path / "c.jsonl", chat_rows(20, pii_every=4))])
    assert not _files_contain(root, b"user4@example.com")  # neither scrubbed nor raw files hold it
    admin = make_service(Actor("dana", "data-admin", key_id="k1"))
    raw = admin.read_raw("chats@v0")
    assert raw.num_rows == 20
    assert "user4@example.com" in str(raw.column("messages").to_pylist())
    eng = make_service(Actor("eve", "ml-engineer", key_id="k2"))
    with pytest.raises(PermissionDeniedError, match=r"ml-engineer.*data\.read_raw"):
        eng.read_raw("chats@v0")
    denied = read_audit(store, denied_only=True)
    assert denied[0].actor == "key:eve" and denied[0].action == "data.read_raw" and not denied[0].allowed
    allowed = [e for e in read_audit(store, actor="key:dana") if e.action == "data.read_raw"]
    assert allowed and allowed[0].detail["rows"] == 20


def test_rotate_data_key_reencrypts_raw_zone_and_payloads(make_service, store, root, tmp_path: Path) -> None:
    svc = make_service(keep_raw=True)
    svc.add("chats", [write_jsonl(tmp_path / "c.jsonl", chat_rows(8, pii_every=2))])
    ring = svc.keyring()
    old = ring.active_id
    store.execute(
        "INSERT INTO payloads (request_id, ts, body) VALUES (?, ?, ?)", ("r1", 1.0, ring.encrypt(b"hello"))
    )
    store.execute(
        "INSERT INTO payloads (request_id, ts, body) VALUES (?, ?, ?)", ("r2", 1.0, b"legacy plain")
    )
    res = rotate_data_key(store, ring, svc.loc, svc.actor)
    assert res["previous_key"] == old and res["active_key"] != old and res["retired_keys"] == [old]
    assert res["payloads_reencrypted"] == 2 and res["raw_batches_reencrypted"] == {"chats": 1}
    fresh = DataKeyring.open(tmp_path / "home")
    assert fresh.key_ids == [res["active_key"]]
    bodies = {r[0]: bytes(r[1]) for r in store.query("SELECT request_id, body FROM payloads")}
    assert fresh.decrypt(bodies["r1"]) == b"hello" and fresh.decrypt(bodies["r2"]) == b"legacy plain"
    again = make_service(keep_raw=True)
    assert again.read_raw("chats@v0").num_rows == 8  # readable with only the new key


def test_rotation_is_refused_for_roles_without_keys_manage(make_service, store) -> None:
    svc = make_service(Actor("dana", "data-admin", key_id="k1"))
    with pytest.raises(PermissionDeniedError):
        rotate_data_key(store, svc.keyring(), svc.loc, svc.actor)
