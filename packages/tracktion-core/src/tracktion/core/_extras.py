"""Lazy imports of optional drivers, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingExtraError

__all__ = ["require"]


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming ``tracktion-core[extra]``.

    >>> require("json", "none", "a test").dumps([1])
    '[1]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] != module.split(".", maxsplit=1)[0]:
            raise  # the driver is there but broken: show the real cause
        raise MissingExtraError(module, extra, purpose) from exc
