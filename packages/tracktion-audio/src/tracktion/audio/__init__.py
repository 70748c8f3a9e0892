"""Audio analysis for DJs: tempo, beat grid, key, loudness and energy."""

from importlib.metadata import version as _version

__version__ = _version("tracktion-audio")

__all__ = ["__version__"]
