"""Ports, embedded defaults and adapters of Tracktion."""

from importlib.metadata import version as _version

__version__ = _version("tracktion-core")

__all__ = ["__version__"]
