"""With payloads encrypted at rest, the search index holds no plaintext, and search still works.

Runs on both stores: the tokens must survive FTS5's porter tokenizer and PostgreSQL's english
tsvector alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seedstack.access import LOCAL_ADMIN
from seedstack.config import load_settings
from seedstack.crypto import DataKeyring
from seedstack.data import rotate_data_key
from seedstack.data.tables import TableLocation
from seedstack.explain import SearchFilters, search, sync_index
from seedstack.explain.blind import normalise
from seedstack.explain.demo import insert_records
from seedstack.explain.payload import keyring_decryptor
from seedstack.store.schema import m0202_obs_blind_index

from .obs_records import NOW, chat_payload, make_record

PROMPT = "Where is my zanzibar teapot? Order Q77123 never arrived"
ANSWER = "Your zanzibar teapot parcel was denied by the warehouse in Quillsby"
SECRET_WORDS = ["zanzibar", "teapot", "q77123", "arrived", "warehouse", "quillsby", "parcel", "denied"]


def _records() -> list[Any]:
    return [
        make_record("req_secret", customer="acme", payload_kept=True, payload=chat_payload(PROMPT, ANSWER)),
        make_record(
            "req_other",
            customer="acme",
            ts=NOW - 60,
            payload_kept=True,
            payload=chat_payload("What does the team plan include?", "SSO and audit logs."),
        ),
    ]


def _index_text(store: Any) -> str:
    """Every text the index tables hold, as one lower-cased string."""
    cols = "request_id, customer, key_id, alias, template, prompt, response"
    if store.dialect == "postgres":
        cols += ", tsv::text"
    parts = [str(v) for row in store.query(f"SELECT {cols} FROM obs_docs") for v in row]
    parts += [bytes(r[0]).decode("latin-1") for r in store.query("SELECT vec FROM obs_docs")]
    if store.dialect == "sqlite":
        parts += [str(v) for row in store.query("SELECT prompt, response FROM obs_fts") for v in row]
        parts += [bytes(r[0]).decode("latin-1") for r in store.query("SELECT block FROM obs_fts_data")]
    return "\n".join(parts).lower()


@pytest.fixture
def ring(tmp_path: Path) -> DataKeyring:
    return DataKeyring.open(tmp_path / "seedstack-home")


def test_no_plaintext_of_an_encrypted_payload_reaches_the_index(store, ring):
    insert_records(store, _records(), keyring=ring)
    text = _index_text(store)
    assert "req_secret" in text  # the dump did read the index
    leaked = [w for w in SECRET_WORDS if w in text]
    assert leaked == []
    assert store.query("SELECT blind FROM obs_docs WHERE request_id = 'req_secret'") == [(1,)]


def test_search_by_a_keyword_finds_the_encrypted_request_and_decrypts_its_snippet(store, ring):
    insert_records(store, _records(), keyring=ring)
    hits = search(store, "teapots quillsby", SearchFilters(customer="acme"), decrypt=ring.decrypt)
    assert hits[0].request_id == "req_secret"
    assert "keyword" in hits[0].matched
    assert "Quillsby" in hits[0].snippet
    blind = search(store, "teapots quillsby", SearchFilters(customer="acme"))
    assert all("keyword" not in h.matched and h.snippet == "" for h in blind)  # no keyring: no words


def test_catch_up_indexes_encrypted_payloads_blind_and_never_as_plaintext(store):
    decrypt = keyring_decryptor(load_settings())
    insert_records(store, _records(), index=False, keyring=decrypt.keyring)
    assert sync_index(store, decrypt=decrypt.keyring.decrypt) == 0  # a bare decryptor cannot make the index key
    assert store.query("SELECT request_id FROM obs_docs") == []
    assert sync_index(store, decrypt=decrypt) == 2  # the settings' keyring makes the index key
    assert not [w for w in SECRET_WORDS if w in _index_text(store)]
    assert search(store, "zanzibar", decrypt=decrypt)[0].request_id == "req_secret"


def test_rotating_the_data_key_keeps_search_working_and_seals_legacy_rows(store, tmp_path):
    home = tmp_path / "seedstack-home"
    ring = DataKeyring.open(home)
    insert_records(store, _records(), keyring=ring)
    legacy = make_record("req_legacy", ts=NOW - 120, payload_kept=True, payload=chat_payload("hi", "marmalade"))
    insert_records(store, [legacy])  # stored before encryption was on: plaintext payload and index
    assert "marmalade" in _index_text(store)
    res = rotate_data_key(store, ring, TableLocation(str(tmp_path / "datasets")), LOCAL_ADMIN)
    assert res["search_index"] == {"index_key_resealed": True, "plaintext_rows_reindexed": 1}
    fresh = DataKeyring.open(home)
    assert len(fresh.key_ids) == 1  # the old key is gone
    assert "marmalade" not in _index_text(store)
    assert search(store, "teapot", decrypt=fresh.decrypt)[0].request_id == "req_secret"
    assert search(store, "marmalade", decrypt=fresh.decrypt)[0].snippet == "marmalade"


def test_upgrade_drops_plaintext_rows_of_encrypted_payloads_and_reindexes_them(store, ring):
    insert_records(store, _records(), keyring=ring)
    store.execute("DELETE FROM obs_docs")  # what the index looked like before: plaintext rows
    if store.dialect == "sqlite":
        store.execute("DELETE FROM obs_fts")
    from seedstack.explain.index import index_rows

    index_rows(store, [{"request_id": "req_secret", "ts": NOW, "payload": chat_payload(PROMPT, ANSWER)}])
    assert "zanzibar" in _index_text(store)
    store.execute("DELETE FROM obs_state WHERE name = 'index_resync'")  # a store past its first search
    for stmt in m0202_obs_blind_index.statements(store.dialect)[2:]:  # the migration's data steps
        store.execute(stmt)
    assert "zanzibar" not in _index_text(store)
    sync_index(store, decrypt=ring.decrypt)  # the next search catches up on every payload, however old
    assert {r[0] for r in store.query("SELECT request_id FROM obs_docs WHERE blind = 1")} == {
        "req_secret",
        "req_other",
    }


def test_word_forms_hash_alike():
    assert {normalise(w) for w in ("refund", "refunds", "refunded", "refunding")} == {"refund"}
    assert normalise("denied") == normalise("deny") == normalise("denies")
    assert normalise("returned") == normalise("return") and normalise("closed") == normalise("close")
    assert normalise("a48213") == "a48213"
