"""The package exports every public name of its modules, and nothing it does not have."""

from __future__ import annotations

import importlib
import pkgutil

import tracktion.core.tracklists as package


def test_all_lists_every_public_name_of_every_module() -> None:
    exported = set(package.__all__)
    assert len(exported) == len(package.__all__)
    for name in exported:
        assert hasattr(package, name), name
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        missing = set(module.__all__) - exported
        assert not missing, f"{module_info.name} exports {missing} that the package does not"
