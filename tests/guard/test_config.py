"""``guard:`` in seedstack.yaml: typos name the key, overrides are validated at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedstack.config import load_settings
from seedstack.errors import ConfigError


def test_yaml_guard_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_CANARY", "CANARY-from-env")
    cfg = tmp_path / "seedstack.yaml"
    cfg.write_text(
        "guard:\n  input: {injection: flag, pii: redact}\n  output: {leakage: block}\n"
        "  pseudonymize: true\n  canaries: [{$env: MY_CANARY}]\n"
        "  aliases: {chat: {input: {pii: off}}}\n"
    )
    s = load_settings(cfg)
    assert s.guard.input.injection == "flag" and s.guard.pseudonymize
    assert s.guard.canary_values() == ["CANARY-from-env"]
    assert s.guard.policy_for("chat").input.pii == "off"


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("guard:\n  input: {injektion: block}\n", "injektion"),
        ("guard:\n  input: {injection: redact}\n", "cannot be redacted"),
        ("guard:\n  keys: {bot: {output: {pii: shout}}}\n", "bot"),
        ("guard:\n  pii_types: [EMAIL, SHOE_SIZE]\n", "SHOE_SIZE"),
    ],
)
def test_bad_guard_config_is_a_clear_error(tmp_path: Path, yaml_text: str, needle: str) -> None:
    cfg = tmp_path / "seedstack.yaml"
    cfg.write_text(yaml_text)
    with pytest.raises(ConfigError, match=needle):
        load_settings(cfg)
