"""Secrets in config files are written ``{"$env": "NAME"}`` and resolved once, at load time.

A literal string is accepted too (handy in tests), but the README steers users to ``$env``.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr

__all__ = ["EnvSecret", "resolve_env_secret"]


def resolve_env_secret(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"$env"} or not isinstance(value["$env"], str):
            raise ValueError('a secret is a string or {"$env": "ENV_VAR_NAME"}')
        name = value["$env"]
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set; export it or change the config")
        return os.environ[name]
    return value


EnvSecret = Annotated[SecretStr, BeforeValidator(resolve_env_secret)]
