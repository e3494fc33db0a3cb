"""A search index that holds no plaintext: keyed-hash ("blind") tokens for encrypted payloads.

When payloads are encrypted at rest, copying their words into ``obs_docs`` / ``obs_fts`` would undo
the encryption. Instead each normalised word is replaced by ``k`` + 16 hex digits of
HMAC-SHA256(index key, word) and those tokens go through FTS5 / tsvector as if they were words; a
query is hashed the same way, so keyword search still works and snippets are decrypted from the
payload when shown.

The index key is random, made once per store and kept in ``obs_index_keys`` sealed by the data
keyring. Rotating the data key re-seals it (``rekey_search_index``), so the tokens never change
and nothing needs re-indexing; losing every key that sealed it means rebuilding the index.

What the tokens still reveal: which documents share a word and how often (equal words give equal
tokens), never the word itself without the key. Word order is not kept. The int8 embeddings stay.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, SeedstackError
from ..store import Store
from .embed import tokens
from .stopwords import STOPWORDS

if TYPE_CHECKING:
    from ..crypto import DataKeyring

__all__ = ["BlindIndex", "ensure_blind_index", "normalise", "open_blind_index", "rekey_search_index"]

_NAME = "search"
_TOKEN_HEX = 16  # 64 bits: no collision expected below billions of distinct words


def normalise(word: str) -> str:
    """A light stemmer so 'refunds'/'refunded'/'refund' and 'denied'/'deny' hash alike.

    The plaintext index gets this from FTS5's porter tokenizer and PostgreSQL's english stemmer;
    hashed tokens bypass both, so the folding happens before hashing. Words with digits (order
    numbers, ids) are kept as they are.
    """
    if len(word) < 4 or not word.isalpha():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


class BlindIndex:
    """Turns words into keyed-hash tokens; equal words give equal tokens, and nothing else leaks."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ConfigError("the search index key must be at least 32 bytes")
        self._key = key
        self._cache: dict[str, str] = {}

    def token(self, word: str) -> str:
        tok = self._cache.get(word)
        if tok is None:
            digest = hmac.digest(self._key, normalise(word).encode(), "sha256")
            tok = "k" + digest.hex()[:_TOKEN_HEX]
            if len(self._cache) < 200_000:
                self._cache[word] = tok
        return tok

    def text(self, text: str) -> str:
        """The tokens of ``text`` (stopwords dropped), sorted so word order is not stored."""
        return " ".join(sorted(self.token(w) for w in tokens(text) if w not in STOPWORDS))

    def terms(self, words: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(self.token(w) for w in words))


def _row(store: Store) -> tuple[Any, ...] | None:
    return store.query_one("SELECT sealed, key_ref FROM obs_index_keys WHERE name = ?", (_NAME,))


def open_blind_index(store: Store, decrypt: Any) -> BlindIndex | None:
    """The store's blind index, or ``None`` when it has none yet or no decryptor was given."""
    if decrypt is None:
        return None
    row = _row(store)
    if row is None:
        return None
    try:
        return BlindIndex(decrypt(bytes(row[0])))
    except SeedstackError as exc:
        raise ConfigError(
            f"cannot open the search index key (sealed with data key {row[1]}): {exc}; add that key to "
            "data.previous_keys, or rebuild the index: DELETE FROM obs_index_keys, then `seedstack search --reindex`"
        ) from None


def ensure_blind_index(store: Store, ring: DataKeyring) -> BlindIndex:
    """Open the store's blind index, making its key on first use (sealed with the active data key)."""
    row = _row(store)
    if row is None:
        sealed = ring.encrypt(os.urandom(32))
        store.execute(
            "INSERT INTO obs_index_keys (name, sealed, key_ref, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (_NAME, sealed, ring.active_id, time.time()),
        )
    found = open_blind_index(store, ring.decrypt)
    assert found is not None
    return found


def rekey_search_index(store: Store, ring: DataKeyring) -> dict[str, Any]:
    """After payloads were re-encrypted under ``ring``'s active key, before old keys are retired.

    Re-seals the index key, and re-indexes (blind) any payload whose index row still holds
    plaintext because the payload was stored unencrypted until this rotation.
    """
    from .index import sync_index

    row = _row(store)
    resealed = False
    if row is not None and row[1] != ring.active_id:
        key = ring.decrypt(bytes(row[0]))
        store.execute(
            "UPDATE obs_index_keys SET sealed = ?, key_ref = ? WHERE name = ?",
            (ring.encrypt(key), ring.active_id, _NAME),
        )
        resealed = True
    plain = "SELECT d.request_id FROM obs_docs d JOIN payloads p ON p.request_id = d.request_id "
    plain += "WHERE d.blind = 0 AND p.key_ref IS NOT NULL"

    def drop(tx: Any) -> int:
        if store.dialect == "sqlite":
            tx.execute(f"DELETE FROM obs_fts WHERE request_id IN ({plain})")
        n = tx.execute(f"DELETE FROM obs_docs WHERE request_id IN ({plain})")
        if n and store.dialect == "sqlite":  # merge the FTS segments, which still hold deleted terms
            tx.execute("INSERT INTO obs_fts (obs_fts) VALUES ('optimize')")
        return n

    dropped = store.transaction(drop)
    reindexed = 0
    if dropped:
        blind = ensure_blind_index(store, ring)
        reindexed = sync_index(store, decrypt=ring.decrypt, blind=blind, lookback_s=None)
    return {"index_key_resealed": resealed, "plaintext_rows_reindexed": reindexed}
