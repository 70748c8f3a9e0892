"""Every error tracktion.core exports derives from ``TracktionError``, so that a caller can
catch all of Tracktion's errors at once (see docs/concepts/errors.md)."""

from __future__ import annotations

import importlib

import pytest

from tests.public_api import public_modules
from tracktion.contracts import TracktionError

# Exported exception classes that are deliberately not TracktionErrors, by qualified name,
# each with its reason. None so far.
OUTSIDE_THE_TREE: dict[str, str] = {}

MODULES = public_modules("tracktion.core", skip=("tracktion.core.catalog.migrations",))


def _exported_errors() -> dict[str, type[BaseException]]:
    """Every exception class in the ``__all__`` of a public module of tracktion.core (the
    subpackages and the modules they keep apart), by its defining module and name."""
    found: dict[str, type[BaseException]] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for exported in getattr(module, "__all__", ()):
            value = getattr(module, exported)
            if isinstance(value, type) and issubclass(value, BaseException):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


ERRORS = _exported_errors()


def test_the_walk_finds_the_errors_of_every_subpackage() -> None:
    found = {cls.__name__ for cls in ERRORS.values()}
    assert {
        "ConfigurationError",
        "TopologyConflictError",
        "CatalogNotFoundError",
        "CueParseError",
        "HashingError",
        "ScanError",
        "NotifierConfigurationError",
        "RenameError",
        "TracklistError",
    } <= found


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_exported_error_is_a_tracktion_error(name: str) -> None:
    cls = ERRORS[name]
    if name in OUTSIDE_THE_TREE:
        assert not issubclass(cls, TracktionError), f"{name} joined the tree: drop its entry"
        return
    assert issubclass(cls, TracktionError), f"{name} does not derive from TracktionError"


def test_every_listed_exception_is_still_exported() -> None:
    assert set(OUTSIDE_THE_TREE) <= set(ERRORS)


def test_scan_error_is_still_a_value_error() -> None:
    from tracktion.core.files import ScanError, normalize_roots

    with pytest.raises(ValueError, match="at least one"):
        normalize_roots([])
    assert issubclass(ScanError, ValueError)
