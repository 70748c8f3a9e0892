"""Every public name of tracktion.audio is listed in ``__all__``, and every listed name exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tracktion.audio as package

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")
)


@pytest.mark.parametrize("name", MODULES)
def test_module_public_names_are_in_all(name: str) -> None:
    module = importlib.import_module(f"tracktion.audio.{name}")
    defined = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
    assert defined <= set(module.__all__)
    assert all(hasattr(module, attribute) for attribute in module.__all__)


def test_package_exports_resolve_lazily() -> None:
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = package.nothing_here
