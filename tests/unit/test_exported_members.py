"""The public API is what __all__ says (as httpx guards its own)."""

from __future__ import annotations

import inspect

import simulator
import simulator.erp


def test_erp_exports_exactly_its_public_names() -> None:
    public = {
        name
        for name, value in vars(simulator.erp).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(simulator.erp.__all__)


def test_version_is_exported() -> None:
    assert simulator.__all__ == ["__version__"]
    assert simulator.__version__.count(".") >= 2
