"""The part of ``Settings`` that reading the store needs: the store URL and the data keys.

``seedstack why`` is what someone runs in a fresh shell to answer a complaint, and building the
full ``Settings`` (pydantic, pydantic-settings, every section's model) costs that process ~100 ms
before it reads a row. When no config file is in play and no ``SEEDSTACK_*`` variable sets any
other field, ``Settings`` is its defaults plus ``home``, ``store`` and the data key, so those are
read here directly, exactly as ``Settings`` reads them. In every other case the full ``Settings``
is built and decides, with its validation and its error messages.
``tests/test_config.py`` pins the two paths to the same answers and ``SETTINGS_FIELDS`` to the model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from .settings import Settings

__all__ = [
    "DEFAULT_HOME",
    "SETTINGS_FIELDS",
    "StoreSettings",
    "find_config_file",
    "load_store_settings",
    "store_url",
]

# Settings' top-level fields: SEEDSTACK_<field> and SEEDSTACK_<field>__<key> set them (any case)
SETTINGS_FIELDS = frozenset(
    {
        "home",
        "store",
        "server",
        "models",
        "routing",
        "limits",
        "telemetry",
        "slo",
        "data",
        "observability",
        "bench",
        "evals",
        "cost",
        "guard",
    }
)
_PREFIX = "seedstack_"
_READ_HERE = ("home", "store")
DEFAULT_HOME = Path(".seedstack")


@dataclass(frozen=True)
class StoreSettings:
    """Where the store is, and the keys that open payloads sealed by the data keyring."""

    home: Path
    store_url: str
    data_key: str | None = None
    previous_data_keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> StoreSettings:
        data = settings.data
        return cls(
            home=settings.home,
            store_url=settings.store_url,
            data_key=data.key.get_secret_value() if data.key else None,
            previous_data_keys=tuple(k.get_secret_value() for k in data.previous_keys),
        )


def store_url(store: str | None, home: Path) -> str:
    """The configured store, else the embedded SQLite under ``home``."""
    return store or f"sqlite:///{home / 'seedstack.db'}"


def find_config_file(path: str | Path | None) -> Path | None:
    """``path``, else ``$SEEDSTACK_CONFIG``, else ``./seedstack.yaml`` if present."""
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file {p} does not exist")
        return p
    env = os.environ.get("SEEDSTACK_CONFIG")
    if env:
        return find_config_file(env)
    default = Path("seedstack.yaml")
    return default if default.exists() else None


def _home_and_store_from_env() -> dict[str, str] | None:
    """``home``/``store`` as set by the environment (names in any case, the last one wins, as in
    pydantic-settings), or None when a variable sets any other field."""
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        lower = name.lower()
        if not lower.startswith(_PREFIX):
            continue
        key = lower[len(_PREFIX) :]
        field = key.split("__", 1)[0]
        if field not in SETTINGS_FIELDS:
            continue  # not a setting (SEEDSTACK_DATA_KEY, SEEDSTACK_CONFIG, a $env secret …)
        if key not in _READ_HERE:
            return None
        found[key] = value
    return found


def load_store_settings(path: str | Path | None = None) -> StoreSettings:
    """The store settings ``load_settings(path)`` would give, without building it when it would be
    the defaults plus ``home``, ``store`` and the data key."""
    env = _home_and_store_from_env() if find_config_file(path) is None else None
    if env is None:
        from .settings import load_settings  # the full model only when something else is configured

        return StoreSettings.of(load_settings(path))
    home = Path(env["home"]) if "home" in env else DEFAULT_HOME
    return StoreSettings(
        home=home,
        store_url=store_url(env.get("store"), home),
        data_key=os.environ.get("SEEDSTACK_DATA_KEY") or None,  # DataConfig.key's default, exact case
    )
