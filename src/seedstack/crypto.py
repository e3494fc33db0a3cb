"""Encryption at rest for sampled payloads and the raw data zone: AES-256-GCM with named keys.

Every ciphertext names the key that sealed it, so a keyring holding old and new keys can read both
while ``seedstack keys rotate-data-key`` re-encrypts; once it has, the old keys are retired.

Blob layout: ``b"SSE1" | len(kid):u8 | kid | nonce(12) | AES-GCM(ciphertext+tag)``; the header is
bound to the ciphertext as associated data, so a swapped key id fails authentication.

Keys come from ``$SEEDSTACK_DATA_KEY`` / ``data.key`` (base64 of 32 bytes, managed by the operator)
or, when none is set, from ``<home>/data-keys.json`` written with mode 600 on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .config.store_settings import StoreSettings
from .errors import ConfigError, SeedstackError

if TYPE_CHECKING:
    from .config import Settings

__all__ = ["KEY_FILE_NAME", "DataKeyring", "DecryptionError", "is_encrypted"]

KEY_FILE_NAME = "data-keys.json"
_MAGIC = b"SSE1"
_NONCE = 12


class DecryptionError(SeedstackError):
    type = "decryption_error"


def is_encrypted(blob: bytes) -> bool:
    """True for blobs sealed by a DataKeyring (lets readers accept legacy plaintext rows)."""
    return bytes(blob[:4]) == _MAGIC


def _kid(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:12]


def _decode_key(b64: str, where: str) -> bytes:
    try:
        key = base64.b64decode(b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"{where} is not valid base64; generate one with: openssl rand -base64 32"
        ) from None
    if len(key) != 32:
        raise ConfigError(
            f"{where} must decode to 32 bytes (AES-256), got {len(key)}; use openssl rand -base64 32"
        )
    return key


class DataKeyring:
    """The data keys: one active key seals, every known key opens."""

    def __init__(self, keys: Mapping[str, bytes], active: str, *, path: Path | None = None) -> None:
        if active not in keys:
            raise ConfigError("the active data key is missing from the keyring")
        self._keys = dict(keys)
        self._active = active
        self._path = path

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def open(cls, home: Path, key_b64: str | None = None, previous_b64: Iterable[str] = ()) -> DataKeyring:
        """Operator-managed key when given, else the key file under ``home`` (created mode 600)."""
        if key_b64:
            key = _decode_key(key_b64, "the data key (SEEDSTACK_DATA_KEY / data.key)")
            keys = {_kid(key): key}
            for i, old in enumerate(previous_b64):
                k = _decode_key(old, f"data.previous_keys[{i}]")
                keys[_kid(k)] = k
            return cls(keys, _kid(key))
        path = Path(home) / KEY_FILE_NAME
        if not path.exists():
            key = AESGCM.generate_key(bit_length=256)
            ring = cls({_kid(key): key}, _kid(key), path=path)
            if ring._save(exclusive=True):
                return ring
            # Another process (a second gateway worker, its recorder) created the keyring first: use
            # that one, or the two would seal data with keys the other cannot open.
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = {kid: base64.b64decode(v) for kid, v in data["keys"].items()}
            return cls(keys, data["active"], path=path)
        except (OSError, ValueError, KeyError, TypeError):
            raise ConfigError(f"{path} is not a readable data keyring; restore it from backup") from None

    @classmethod
    def from_settings(cls, settings: Settings | StoreSettings) -> DataKeyring:
        """The keyring ``settings`` name: the full ``Settings`` or the part a store read needs."""
        s = settings if isinstance(settings, StoreSettings) else StoreSettings.of(settings)
        return cls.open(s.home, s.data_key, s.previous_data_keys)

    def _save(self, *, exclusive: bool = False) -> bool:
        """Write the keyring file atomically; ``exclusive`` only creates it (False if it exists)."""
        assert self._path is not None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"active": self._active, "keys": {k: base64.b64encode(v).decode() for k, v in self._keys.items()}}
        )
        tmp = self._path.with_suffix(f".{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        if not exclusive:
            os.replace(tmp, self._path)
            return True
        try:
            os.link(tmp, self._path)  # atomic, and fails if another process got there first
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink()

    # --- use ------------------------------------------------------------------------------------
    @property
    def active_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    @property
    def file_managed(self) -> bool:
        return self._path is not None

    def encrypt(self, plaintext: bytes) -> bytes:
        kid = self._active.encode()
        header = _MAGIC + bytes([len(kid)]) + kid
        nonce = os.urandom(_NONCE)
        return header + nonce + AESGCM(self._keys[self._active]).encrypt(nonce, plaintext, header)

    def key_id_of(self, blob: bytes) -> str:
        blob = bytes(blob)
        if not is_encrypted(blob) or len(blob) < 5:
            raise DecryptionError("not a seedstack-encrypted blob (missing SSE1 header)")
        n = blob[4]
        return blob[5 : 5 + n].decode("ascii", "replace")

    def decrypt(self, blob: bytes) -> bytes:
        blob = bytes(blob)
        kid = self.key_id_of(blob)
        key = self._keys.get(kid)
        if key is None:
            raise DecryptionError(
                f"data encrypted with key {kid}, which this keyring does not hold; "
                "add the old key to data.previous_keys (or restore data-keys.json)"
            )
        cut = 5 + len(kid)
        header, nonce, body = blob[:cut], blob[cut : cut + _NONCE], blob[cut + _NONCE :]
        try:
            return AESGCM(key).decrypt(nonce, body, header)
        except InvalidTag:
            raise DecryptionError(
                f"ciphertext sealed with key {kid} failed authentication (tampered?)"
            ) from None

    def needs_rotation(self, blob: bytes) -> bool:
        return not is_encrypted(blob) or self.key_id_of(blob) != self._active

    def rotate(self) -> str:
        """Make a fresh key active (file-managed keyrings); old keys stay until ``retire_old``."""
        if self._path is None:
            raise ConfigError(
                "the data key comes from SEEDSTACK_DATA_KEY/data.key: put the new key there, the old one "
                "in data.previous_keys, then run rotate-data-key again to re-encrypt"
            )
        key = AESGCM.generate_key(bit_length=256)
        self._keys[_kid(key)] = key
        self._active = _kid(key)
        self._save()
        return self._active

    def retire_old(self) -> list[str]:
        """Forget every key but the active one (call after everything was re-encrypted)."""
        old = [k for k in self._keys if k != self._active]
        for k in old:
            del self._keys[k]
        if self._path is not None and old:
            self._save()
        return old
