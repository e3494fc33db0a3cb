"""The data keyring: AES-GCM blobs that name their key, key files with mode 600, rotation."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from seedstack.config import load_settings
from seedstack.crypto import KEY_FILE_NAME, DataKeyring, DecryptionError, is_encrypted
from seedstack.errors import ConfigError


def test_key_file_is_created_mode_600_and_reused(tmp_path: Path) -> None:
    ring = DataKeyring.open(tmp_path)
    path = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    blob = ring.encrypt(b"secret payload")
    assert is_encrypted(blob) and b"secret payload" not in blob
    assert DataKeyring.open(tmp_path).decrypt(blob) == b"secret payload"


def test_tampering_and_unknown_keys_fail_loudly(tmp_path: Path) -> None:
    ring = DataKeyring.open(tmp_path / "a")
    blob = bytearray(ring.encrypt(b"x" * 40))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError, match="failed authentication"):
        ring.decrypt(bytes(blob))
    other = DataKeyring.open(tmp_path / "b")
    with pytest.raises(DecryptionError, match="previous_keys"):
        other.decrypt(ring.encrypt(b"y"))


def test_rotation_keeps_old_blobs_readable_until_retired(tmp_path: Path) -> None:
    ring = DataKeyring.open(tmp_path)
    old_blob = ring.encrypt(b"old")
    old = ring.active_id
    new = ring.rotate()
    assert new != old and ring.needs_rotation(old_blob)
    assert DataKeyring.open(tmp_path).decrypt(old_blob) == b"old"
    ring.retire_old()
    with pytest.raises(DecryptionError):
        DataKeyring.open(tmp_path).decrypt(old_blob)


def test_env_key_is_used_and_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("SEEDSTACK_DATA_KEY", key)
    ring = DataKeyring.from_settings(load_settings())
    assert not ring.file_managed and not (Path(load_settings().home) / KEY_FILE_NAME).exists()
    with pytest.raises(ConfigError, match="put the new key there"):
        ring.rotate()
    monkeypatch.setenv("SEEDSTACK_DATA_KEY", "bm90IDMyIGJ5dGVz")
    with pytest.raises(ConfigError, match="32 bytes"):
        DataKeyring.from_settings(load_settings())


def test_env_managed_rotation_with_previous_keys(tmp_path: Path) -> None:
    k1, k2 = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    blob = DataKeyring.open(tmp_path, k1).encrypt(b"v1")
    ring = DataKeyring.open(tmp_path, k2, [k1])
    assert ring.decrypt(blob) == b"v1" and ring.needs_rotation(blob)
    assert not ring.needs_rotation(ring.encrypt(b"v2"))


def test_processes_creating_the_key_file_at_once_share_one_key(tmp_path: Path) -> None:
    """Two gateway workers (and their recorder processes) start on a fresh home at the same moment:
    they must all end up with the same key, or each would seal data the others cannot open."""
    import subprocess
    import sys
    import time

    code = (
        "import sys, time; from pathlib import Path; from seedstack.crypto import DataKeyring; "
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); "  # all open the keyring at one instant
        "print(DataKeyring.open(Path(sys.argv[1])).active_id)"
    )
    start = str(time.time() + 3.0)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path), start], stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    ids = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(ids) == 1 and ids == {DataKeyring.open(tmp_path).active_id}
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no temporary files left
