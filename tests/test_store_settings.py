"""``load_store_settings`` answers exactly what ``load_settings`` would, and skips building the full
model (pydantic) only when nothing but home, store and the data key is configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedstack.config import Settings, StoreSettings, load_settings, load_store_settings
from seedstack.config.store_settings import SETTINGS_FIELDS
from seedstack.errors import ConfigError

KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
OLD_KEY = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="


def test_the_field_list_is_the_settings_model() -> None:
    """A new Settings field must be known here, or a SEEDSTACK_<field> variable would be ignored."""
    assert set(Settings.model_fields) == SETTINGS_FIELDS


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"SEEDSTACK_STORE": "sqlite:////tmp/x.db"},
        {"SEEDSTACK_STORE": "postgresql://u@h/db", "SEEDSTACK_HOME": "/srv/seed"},
        {"SEEDSTACK_STORE": "", "SEEDSTACK_HOME": ""},
        {"seedstack_store": "sqlite:///lower.db", "Seedstack_Home": "mixed"},
        {"SEEDSTACK_DATA_KEY": KEY},
        {"SEEDSTACK_DATA_KEY": ""},
        {"SEEDSTACK_CONFIG": ""},
        {"SEEDSTACK_API_KEY": "sk-not-a-setting", "SEEDSTACK_TEST_PG": "postgresql://x"},
        {"SEEDSTACK_SERVER__PORT": "9000", "SEEDSTACK_STORE": "sqlite:///s.db"},
        {"SEEDSTACK_DATA__KEY": KEY},
        {"SEEDSTACK_DATA": f'{{"key": "{KEY}", "previous_keys": ["{OLD_KEY}"]}}'},
        {"SEEDSTACK_HOME": "a", "seedstack_home": "b"},
    ],
)
def test_environment_alone_gives_what_the_full_settings_give(env: dict[str, str], monkeypatch) -> None:
    monkeypatch.delenv("SEEDSTACK_HOME")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_store_settings() == StoreSettings.of(load_settings())


def test_a_config_file_is_read_by_the_full_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SEEDSTACK_HOME")  # (set by the autouse fixture; it would beat the file)
    monkeypatch.setenv("OLD_DATA_KEY", OLD_KEY)
    cfg = tmp_path / "other.yaml"
    cfg.write_text(
        f"home: {tmp_path / 'h'}\nstore: sqlite:///{tmp_path / 's.db'}\n"
        f"data: {{key: {KEY}, previous_keys: [{{$env: OLD_DATA_KEY}}]}}\n"
    )
    mine = load_store_settings(cfg)
    assert mine == StoreSettings.of(load_settings(cfg))
    assert mine == StoreSettings(tmp_path / "h", f"sqlite:///{tmp_path / 's.db'}", KEY, (OLD_KEY,))
    monkeypatch.setenv("SEEDSTACK_CONFIG", str(cfg))
    assert load_store_settings() == mine
    monkeypatch.delenv("SEEDSTACK_CONFIG")
    (tmp_path / "seedstack.yaml").write_text(cfg.read_text())  # the tests run in tmp_path
    assert load_store_settings() == mine


def test_what_the_full_settings_refuse_is_refused_with_the_same_message(tmp_path: Path, monkeypatch) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("store: sqlite:///s.db\nservr: {port: 1}\n")
    cases: list[tuple[Path | None, dict[str, str]]] = [
        (typo, {}),
        (tmp_path / "missing.yaml", {}),
        (None, {"SEEDSTACK_SERVER__PORT": "not-a-port"}),
        (None, {"SEEDSTACK_SERVER__WORKERS": "2"}),
    ]
    for path, env in cases:
        with monkeypatch.context() as m:
            for name, value in env.items():
                m.setenv(name, value)
            with pytest.raises(ConfigError) as full:
                load_settings(path)
            with pytest.raises(ConfigError) as mine:
                load_store_settings(path)
            assert str(mine.value) == str(full.value)


def _fresh(code: str, cwd: Path, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SEEDSTACK_")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_without_other_settings_no_pydantic_is_imported(tmp_path: Path) -> None:
    code = (
        "import sys; from seedstack.config import load_store_settings; s = load_store_settings(); "
        "print(s.store_url, 'pydantic' in sys.modules)"
    )
    assert _fresh(code, tmp_path, SEEDSTACK_STORE="sqlite:///a.db") == ["sqlite:///a.db", "False"]
    assert _fresh(code, tmp_path, SEEDSTACK_STORE="sqlite:///a.db", SEEDSTACK_SERVER__PORT="9000") == [
        "sqlite:///a.db",
        "True",
    ]
