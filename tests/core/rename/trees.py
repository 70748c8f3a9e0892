"""Helpers of the rename tests: tiny trees of files and their exact snapshots."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def snapshot(root: Path) -> tuple[frozenset[str], dict[str, str]]:
    """Every folder (relative) and every file's SHA-256, so two trees compare exactly."""
    folders: set[str] = set()
    files: dict[str, str] = {}
    for current, _, names in os.walk(root):
        relative = os.path.relpath(current, root)
        folders.add(relative)
        for name in names:
            path = os.path.join(current, name)
            if name.startswith(".tracktion"):
                continue
            with open(path, "rb") as handle:
                files[os.path.join(relative, name)] = hashlib.sha256(handle.read()).hexdigest()
    return frozenset(folders), files


def make_files(root: Path, names: list[str]) -> list[Path]:
    """Create each file with distinct tiny content (its own name)."""
    paths = []
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
        paths.append(path)
    return paths
