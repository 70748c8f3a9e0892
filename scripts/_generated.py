"""What the documentation generators share: the version they embed, finding stale files,
writing them, ``--check``."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["project_version", "run", "stale_files", "write"]


def project_version(root: Path, project: str) -> str:
    """The version in ``root / project`` (a ``pyproject.toml``).

    The documents embed this version rather than the installed package's metadata, which
    changes only at the next ``uv sync``: so ``scripts/bump_version.py`` can regenerate
    them right after it sets the new version, and ``--check`` agrees at once."""
    with (root / project).open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def stale_files(
    root: Path, expected: dict[Path, bytes], unwanted: Iterable[Path] = ()
) -> list[Path]:
    """Paths (relative to ``root``) that are missing, differ from ``expected``, or are
    ``unwanted`` leftovers of an earlier generation."""
    differing = [
        path
        for path, content in expected.items()
        if not (root / path).is_file() or (root / path).read_bytes() != content
    ]
    return sorted([*differing, *unwanted])


def write(root: Path, expected: dict[Path, bytes], stale: list[Path]) -> None:
    """Write the ``stale`` paths that are ``expected``; remove the others."""
    for path in stale:
        target = root / path
        if path in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(expected[path])
        else:
            target.unlink()


def run(
    argv: list[str] | None,
    *,
    description: str | None,
    root: Path,
    expected_files: Callable[[], dict[Path, bytes]],
    regenerate: str,
    unwanted: Callable[[Path, dict[Path, bytes]], Iterable[Path]] = lambda root, expected: (),
) -> int:
    """The command line of a generator: write the stale files, or with ``--check`` write
    nothing and exit 1 listing them. Returns the exit status."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )
    args = parser.parse_args(argv)
    expected = expected_files()
    stale = stale_files(root, expected, unwanted(root, expected))
    if args.check:
        if stale:
            listing = "\n".join(f"  {path.as_posix()}" for path in stale)
            print(f"out of date (run `{regenerate}`):\n{listing}", file=sys.stderr)
            return 1
        return 0
    write(root, expected, stale)
    for path in stale:
        print(f"{'wrote' if path in expected else 'removed'} {path.as_posix()}")
    if not stale:
        print("the generated files are up to date")
    return 0
