"""Config for the data layer: where datasets live, how PII is scrubbed on the way in, the data key.

``data.key`` falls back to the ``SEEDSTACK_DATA_KEY`` environment variable (base64 of 32 bytes) so
the key never has to sit in seedstack.yaml; without either, a key file under ``home`` is used.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .secrets import EnvSecret

__all__ = ["DataConfig", "ScrubConfig"]


def _env_data_key() -> SecretStr | None:
    value = os.environ.get("SEEDSTACK_DATA_KEY")
    return SecretStr(value) if value else None


class ScrubConfig(BaseModel):
    """How PII found by the guard engine is treated before a row is written to a dataset."""

    model_config = ConfigDict(extra="forbid")

    policy: Literal["redact", "pseudonymize", "drop", "off"] = Field(
        "redact",
        description="redact: <TYPE> placeholders; pseudonymize: keyed HMAC tokens (joins still work); "
        "drop: skip rows that contain PII; off: no scrub (refused unless allow_off is set)",
    )
    hmac_key: EnvSecret | None = Field(
        None, description='key for pseudonymize, e.g. {"$env": "SEEDSTACK_PII_HMAC_KEY"}'
    )
    entities: list[str] | None = Field(
        None, description="only these entity types (default: all the engine finds)"
    )
    columns: list[str] | None = Field(
        None, description="only these top-level columns (default: every text column)"
    )


class DataConfig(BaseModel):
    """Datasets are Delta tables under ``root``; the raw zone (when kept) is encrypted and role-gated."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    root: str | None = Field(
        None, description="local dir or s3://, gs://, az:// URI; default <home>/datasets"
    )
    storage_options: dict[str, EnvSecret] = Field(
        default_factory=dict,
        description="delta-rs object store options, e.g. AWS_ENDPOINT_URL, AWS_ALLOW_HTTP, AWS_REGION",
    )
    scrub: ScrubConfig = Field(default_factory=ScrubConfig)
    keep_raw: bool = Field(
        False, description="also keep the unscrubbed rows, encrypted, readable by data-admin only"
    )
    block_bytes: int = Field(16 << 20, ge=1 << 16, description="bytes read per streamed block on ingest")
    key: EnvSecret | None = Field(
        default_factory=_env_data_key, description="base64 AES-256 data key (default: $SEEDSTACK_DATA_KEY)"
    )
    previous_keys: list[EnvSecret] = Field(
        default_factory=list, description="old keys still needed to decrypt until rotate-data-key has run"
    )
