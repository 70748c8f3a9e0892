"""The public API of tracktion.contracts is exactly its __all__, and complete."""

from __future__ import annotations

import importlib
import pkgutil

from tracktion import contracts


def test_all_names_resolve_and_are_sorted_uniquely() -> None:
    assert len(contracts.__all__) == len(set(contracts.__all__))
    for name in contracts.__all__:
        assert hasattr(contracts, name), name


def test_every_public_name_of_every_module_is_exported() -> None:
    missing = []
    for module_info in pkgutil.iter_modules(contracts.__path__):
        module = importlib.import_module(f"tracktion.contracts.{module_info.name}")
        if module_info.name == "_types":
            continue  # field types, reached through the models that use them
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"tracktion.contracts.{module_info.name} has no __all__"
        missing += [name for name in exported if name not in contracts.__all__]
    assert not missing, f"not exported from tracktion.contracts: {missing}"
