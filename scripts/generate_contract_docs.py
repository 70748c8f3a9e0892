"""Write the AsyncAPI document and the messages' JSON Schemas under ``docs/reference/``.

    python scripts/generate_contract_docs.py           # (re)write the files
    python scripts/generate_contract_docs.py --check   # write nothing; exit 1 when stale

Everything is generated from ``tracktion.contracts`` (see ``tracktion.contracts.asyncapi``):
``asyncapi.json`` and ``asyncapi.yaml`` hold the same document, ``schemas/<type>.json``
one standalone JSON Schema per message type. Schema files of types that no longer exist
are removed. ``tests/contracts/test_asyncapi.py`` fails while the files are out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracktion.contracts.asyncapi import build_asyncapi_document, message_json_schema
from tracktion.contracts.registry import MESSAGE_SPECS
from tracktion.services.cli.rendering import to_json, to_yaml

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path("docs/reference")
SCHEMAS = REFERENCE / "schemas"
REGENERATE = "make contracts-docs"


def expected_files() -> dict[Path, bytes]:
    """Every generated file, by its path relative to the repository root, with its content."""
    document = build_asyncapi_document()
    texts = {
        REFERENCE / "asyncapi.json": to_json(document),
        REFERENCE / "asyncapi.yaml": to_yaml(document),
    }
    for spec in MESSAGE_SPECS:
        texts[SCHEMAS / f"{spec.name}.json"] = to_json(message_json_schema(spec.name))
    return {path: text.encode() for path, text in texts.items()}


def extra_schema_files(root: Path, expected: dict[Path, bytes]) -> list[Path]:
    """Schema files under ``root`` that nothing generates any more, relative to ``root``."""
    directory = root / SCHEMAS
    if not directory.is_dir():
        return []
    found = (path.relative_to(root) for path in directory.glob("*.json"))
    return sorted(path for path in found if path not in expected)


def stale_files(root: Path, expected: dict[Path, bytes]) -> list[Path]:
    """Files under ``root`` that are missing, differ, or should not exist."""
    differing = [
        path
        for path, content in expected.items()
        if not (root / path).is_file() or (root / path).read_bytes() != content
    ]
    return sorted(differing + extra_schema_files(root, expected))


def write(root: Path, expected: dict[Path, bytes]) -> list[Path]:
    """Bring the files under ``root`` up to date; returns the paths written or removed."""
    changed = stale_files(root, expected)
    for path in changed:
        target = root / path
        if path in expected:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(expected[path])
        else:
            target.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )
    args = parser.parse_args(argv)
    expected = expected_files()
    if args.check:
        stale = stale_files(ROOT, expected)
        if stale:
            listing = "\n".join(f"  {path.as_posix()}" for path in stale)
            print(f"out of date (run `{REGENERATE}`):\n{listing}", file=sys.stderr)
            return 1
        return 0
    changed = write(ROOT, expected)
    for path in changed:
        print(f"{'wrote' if path in expected else 'removed'} {path.as_posix()}")
    if not changed:
        print("docs/reference is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
