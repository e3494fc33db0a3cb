"""Settings precedence (one test per rule), typos, and $env secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedstack.config import load_settings
from seedstack.errors import ConfigError


def _yaml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "seedstack.yaml"
    p.write_text(text)
    return p


def test_defaults_embedded_sqlite_and_demo_simulator(tmp_path: Path) -> None:
    s = load_settings()
    assert s.store_url.startswith("sqlite:///") and s.store_url.endswith("seedstack.db")
    assert list(s.models) == ["demo"] and s.models["demo"].backends[0].provider == "simulator"
    assert s.telemetry.payload_sample_rate == 0.1 and s.slo.chat_p99_ms == 300


def test_yaml_beats_defaults(tmp_path: Path) -> None:
    s = load_settings(_yaml(tmp_path, "server: {port: 9100}\n"))
    assert s.server.port == 9100


def test_env_beats_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDSTACK_SERVER__PORT", "9200")
    assert load_settings(_yaml(tmp_path, "server: {port: 9100}\n")).server.port == 9200


def test_arguments_beat_env_and_merge_with_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDSTACK_SERVER__PORT", "9200")
    s = load_settings(_yaml(tmp_path, "server: {port: 9100, host: 0.0.0.0}\n"), server={"port": 9300})
    assert s.server.port == 9300 and s.server.host == "0.0.0.0"


def test_seedstack_yaml_in_cwd_is_found(tmp_path: Path) -> None:
    _yaml(tmp_path, "slo: {chat_p99_ms: 250}\n")
    assert load_settings().slo.chat_p99_ms == 250


def test_typo_names_key_and_file(tmp_path: Path) -> None:
    p = _yaml(
        tmp_path,
        "models:\n  chat:\n    backends:\n      - {provider: openai, base_url: 'http://x', modle: m}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    assert str(p) in str(err.value) and "models.chat.backends.0.modle" in str(err.value)


def test_env_secret_is_resolved_and_a_missing_one_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "models:\n  chat:\n    backends:\n      - {provider: openai, base_url: 'http://x', api_key: {$env: MY_KEY}}\n"
    )
    p = _yaml(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    assert "MY_KEY is not set" in str(err.value)
    monkeypatch.setenv("MY_KEY", "sk-secret-123")
    s = load_settings(p)
    key = s.models["chat"].backends[0].api_key
    assert key is not None and key.get_secret_value() == "sk-secret-123"
    assert "sk-secret-123" not in repr(s)


def test_openai_backend_needs_a_url_and_tls_needs_both_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        load_settings(_yaml(tmp_path, "models: {chat: {backends: [{provider: openai}]}}\n"))
    with pytest.raises(ConfigError, match="tls_key"):
        load_settings(_yaml(tmp_path, "server: {tls_cert: cert.pem}\n"))


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")
