"""The recorder's child process (``python -m seedstack.http.record_writer``), spawned by the gateway.

It receives the gateway's settings as its first frame and builds the same recorder ``create_app``
would build in-process: the store, the sealed-payload encoder and the observability sinks (search
indexing, OTLP export). See ``seedstack.telemetry.process`` for the protocol.
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import Settings
from ..crypto import DataKeyring
from ..explain.wiring import observability_sinks
from ..store import open_store
from ..telemetry.process import run_child
from ..telemetry.recorder import Recorder

__all__ = ["build_recorder", "settings_spec"]


def settings_spec(settings: Settings) -> dict[str, Any]:
    """The settings as plain field values (picklable; the child does not re-read env or YAML)."""
    return {name: getattr(settings, name) for name in type(settings).model_fields}


def build_recorder(settings: Settings, store: Any, *, sinks: list[Any] | None = None) -> Recorder:
    """The thread recorder with the configured sinks and payloads sealed by the data keyring."""
    keyring = DataKeyring.from_settings(settings)
    return Recorder(
        store,
        spool_dir=settings.spool_dir,
        flush_interval_s=settings.telemetry.flush_interval_ms / 1000,
        batch_size=settings.telemetry.batch_size,
        sinks=observability_sinks(settings, store) if sinks is None else sinks,
        encode_payload=lambda body: (keyring.encrypt(body), keyring.active_id),
    )


def _build(spec: dict[str, Any]) -> tuple[Recorder, Any]:
    settings = Settings.model_construct(**spec)
    store = open_store(settings.store_url)
    return build_recorder(settings, store), store.close


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_child(_build)


if __name__ == "__main__":
    main()
