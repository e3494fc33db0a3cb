"""The public API of the data layer is what ``__all__`` says, and every name in it exists."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module", ["seedstack.access", "seedstack.crypto", "seedstack.data", "seedstack.registry"]
)
def test_all_names_exist_and_nothing_private_leaks(module: str) -> None:
    mod = importlib.import_module(module)
    assert len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name} is in __all__ but missing"
        assert not name.startswith("_")


def test_role_names_the_gateway_imports() -> None:
    from seedstack.access import ROLE_ADMIN, ROLE_APP, ROLE_AUDITOR, ROLE_DATA_ADMIN, ROLE_ML_ENGINEER, ROLES

    assert [ROLE_ADMIN, ROLE_APP, ROLE_DATA_ADMIN, ROLE_ML_ENGINEER, ROLE_AUDITOR] == [
        "admin",
        "app",
        "data-admin",
        "ml-engineer",
        "auditor",
    ]
    assert set(ROLES) == {ROLE_ADMIN, ROLE_APP, ROLE_DATA_ADMIN, ROLE_ML_ENGINEER, ROLE_AUDITOR}
