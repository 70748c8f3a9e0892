"""How machine-readable output is written: by the CLI and the committed reference docs alike."""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml
from rich.console import Console

__all__ = ["EXIT_INVALID", "EXIT_USAGE", "stdout_console", "to_json", "to_yaml"]

EXIT_INVALID = 1
"""The exit status of a negative result: an invalid message or sheet, a failed file."""
EXIT_USAGE = 2
"""The exit status of a usage problem: an unknown name, an unreadable input."""

# Wide enough that rich never wraps a row when the output is not a terminal.
_UNWRAPPED_WIDTH = 10_000


class _Dumper(yaml.SafeDumper):
    """Writes every repeated object in full: no YAML anchors and aliases in a reference."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Multi-line text (descriptions) as a literal block, as it reads in the source.
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def to_json(data: Any) -> str:
    """Two-space indented JSON, keys in the order they were built, with a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_yaml(data: Any) -> str:
    """Block-style YAML, keys in the order they were built (AsyncAPI's natural order).

    Lines are not folded, so a changed word changes one line of a diff.
    """
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 16)


def stdout_console() -> Console:
    """A console that styles and wraps for a terminal only."""
    if sys.stdout.isatty():
        return Console(file=sys.stdout, highlight=False)
    return Console(
        file=sys.stdout,
        force_terminal=False,
        color_system=None,
        width=_UNWRAPPED_WIDTH,
        highlight=False,
        soft_wrap=True,
    )
