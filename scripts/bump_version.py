"""Set one new version on every distribution, the sibling pins and the CHANGELOG.

    python scripts/bump_version.py 0.2.0

Every ``pyproject.toml`` of the workspace gets ``version = "NEW"`` and its ``tracktion-*``
requirements ``==NEW``; the CHANGELOG's ``## Unreleased`` section becomes ``## NEW
(date)`` under a fresh empty ``## Unreleased``. Then run ``uv lock`` (``make install``
does) so the lock file follows.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = (
    "packages/tracktion-contracts/pyproject.toml",
    "packages/tracktion-core/pyproject.toml",
    "packages/tracktion-audio/pyproject.toml",
    "reference-services/pyproject.toml",
)
CHANGELOG = ROOT / "CHANGELOG.md"

_VERSION_LINE = re.compile(r'^version = "[^"]+"$', re.MULTILINE)
_SIBLING_PIN = re.compile(r'"(tracktion-[a-z]+(?:\[[a-z,]+\])?)==[^"]+"')


def bump(text: str, version: str) -> str:
    """``text`` (a pyproject.toml) with its version and sibling pins set to ``version``."""
    text, count = _VERSION_LINE.subn(f'version = "{version}"', text, count=1)
    if count != 1:
        raise ValueError("no version line")
    return _SIBLING_PIN.sub(rf'"\1=={version}"', text)


def release_changelog(text: str, version: str, today: datetime.date) -> str:
    """``text`` with its Unreleased notes released as ``version``."""
    if "## Unreleased" not in text:
        raise ValueError("CHANGELOG.md has no '## Unreleased' section")
    return text.replace("## Unreleased", f"## Unreleased\n\n## {version} ({today.isoformat()})", 1)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        version = str(Version(argv[0]))
    except InvalidVersion:
        print(f"error: {argv[0]!r} is not a PEP 440 version", file=sys.stderr)
        return 2
    for name in PROJECTS:
        path = ROOT / name
        path.write_text(bump(path.read_text(encoding="utf-8"), version), encoding="utf-8")
    CHANGELOG.write_text(
        release_changelog(CHANGELOG.read_text(encoding="utf-8"), version, datetime.date.today()),
        encoding="utf-8",
    )
    print(f"version {version}: {len(PROJECTS)} pyproject files and CHANGELOG.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
