"""The reference services and the ``tracktion`` command line."""

from importlib.metadata import version as _version

__version__ = _version("tracktion-services")

__all__ = ["__version__"]
