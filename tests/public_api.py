"""Checks that keep a package's ``__all__`` complete, shared by the public-API tests.

A *public module* is one whose dotted path has no part starting with ``_``. Its public
names are those it defines itself (the object's ``__module__`` is the module) without a
leading underscore, type variables excepted; every one must be in its ``__all__``, and
every name in ``__all__`` must resolve.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any, ParamSpec, TypeVar


def public_modules(package: str, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Every public module under ``package`` (itself included), minus those under ``skip``."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        parts = info.name.removeprefix(package + ".").split(".")
        if any(part.startswith("_") for part in parts):
            continue
        if any(info.name == s or info.name.startswith(s + ".") for s in skip):
            continue
        names.append(info.name)
    return sorted(names)


def _is_type_variable(value: Any) -> bool:
    return isinstance(value, TypeVar | ParamSpec)


def defined_names(module: ModuleType) -> set[str]:
    """The public names ``module`` defines itself."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
        and not _is_type_variable(value)
    }


def missing_from_all(module: ModuleType) -> list[str]:
    """Public names of ``module`` that its ``__all__`` leaves out (all of them when it has
    no ``__all__``)."""
    return sorted(defined_names(module) - set(getattr(module, "__all__", ())))


def unresolved(module: ModuleType) -> list[str]:
    """Names in ``__all__`` that ``module`` does not have, and duplicates."""
    exported = list(getattr(module, "__all__", []))
    duplicates = sorted({name for name in exported if exported.count(name) > 1})
    return [name for name in exported if not hasattr(module, name)] + duplicates


def not_reexported(package: ModuleType, *, keep_apart: tuple[str, ...] = ()) -> list[str]:
    """Names in a public submodule's ``__all__`` that ``package.__all__`` leaves out.

    ``keep_apart`` names submodules deliberately reached through their own path.
    """
    exported = set(getattr(package, "__all__", []))
    missing = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in keep_apart or info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        missing += [
            f"{info.name}.{name}" for name in getattr(module, "__all__", []) if name not in exported
        ]
    return missing
