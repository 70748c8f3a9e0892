"""Set one new version on every distribution, the sibling pins, the CHANGELOG and the
generated documents that embed it.

    python -m scripts.bump_version 0.2.0

Every ``pyproject.toml`` of the workspace gets ``version = "NEW"`` and its ``tracktion-*``
requirements ``==NEW``; the CHANGELOG's ``## Unreleased`` section becomes ``## NEW
(date)`` under a fresh empty ``## Unreleased``. Then the generated reference documents
that carry the version (the OpenAPI document of ``scripts/generate_reference_docs.py``,
the AsyncAPI document of ``scripts/generate_contract_docs.py``) are regenerated: the
generators read the version from the ``pyproject.toml`` files just written, not from the
installed metadata, which still holds the old one. Then run ``uv lock`` (``make install``
does) so the lock file and the installed metadata follow.
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
CHANGELOG = "CHANGELOG.md"

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


def regenerate_documents(root: Path) -> list[Path]:
    """Bring the generated documents under ``root`` up to date with the version of its
    ``pyproject.toml`` files; returns the paths written or removed."""
    # Imported here: the generators load the whole services stack.
    from scripts import generate_contract_docs, generate_reference_docs

    changed: list[Path] = []
    for generator in (generate_contract_docs, generate_reference_docs):
        changed += generator.write(root, generator.expected_files(root))
    return changed


def main(argv: list[str], *, root: Path = ROOT) -> int:
    """Command-line entry point (on the repository at ``root``); returns the exit status."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        version = str(Version(argv[0]))
    except InvalidVersion:
        print(f"error: {argv[0]!r} is not a PEP 440 version", file=sys.stderr)
        return 2
    for name in PROJECTS:
        path = root / name
        path.write_text(bump(path.read_text(encoding="utf-8"), version), encoding="utf-8")
    changelog = root / CHANGELOG
    changelog.write_text(
        release_changelog(changelog.read_text(encoding="utf-8"), version, datetime.date.today()),
        encoding="utf-8",
    )
    documents = regenerate_documents(root)
    print(
        f"version {version}: {len(PROJECTS)} pyproject files, CHANGELOG.md and "
        f"{len(documents)} generated documents updated"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
