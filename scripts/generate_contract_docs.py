"""Write the AsyncAPI document and the messages' JSON Schemas under ``docs/reference/``.

    python -m scripts.generate_contract_docs           # (re)write the files
    python -m scripts.generate_contract_docs --check   # write nothing; exit 1 when stale

Everything is generated from ``tracktion.contracts`` (see ``tracktion.contracts.asyncapi``):
``asyncapi.json`` and ``asyncapi.yaml`` hold the same document, ``schemas/<type>.json``
one standalone JSON Schema per message type. Schema files of types that no longer exist
are removed. The document's version is the one in ``tracktion-contracts``'s
``pyproject.toml`` (``scripts/bump_version.py`` regenerates the files after setting it).
``tests/contracts/test_asyncapi.py`` fails while the files are out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scripts import _generated
from tracktion.contracts.asyncapi import build_asyncapi_document, message_json_schema
from tracktion.contracts.registry import MESSAGE_SPECS
from tracktion.services.cli.rendering import to_json, to_yaml

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path("docs/reference")
SCHEMAS = REFERENCE / "schemas"
REGENERATE = "make contracts-docs"
PROJECT = "packages/tracktion-contracts/pyproject.toml"


def expected_files(root: Path = ROOT) -> dict[Path, bytes]:
    """Every generated file, by its path relative to the repository root, with its content;
    the document carries the version of ``root``'s contracts project."""
    document = build_asyncapi_document()
    document["info"]["version"] = _generated.project_version(root, PROJECT)
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
    return _generated.stale_files(root, expected, extra_schema_files(root, expected))


def write(root: Path, expected: dict[Path, bytes]) -> list[Path]:
    """Bring the files under ``root`` up to date; returns the paths written or removed."""
    changed = stale_files(root, expected)
    _generated.write(root, expected, changed)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    return _generated.run(
        argv,
        description=__doc__.splitlines()[0] if __doc__ else None,
        root=ROOT,
        expected_files=expected_files,
        regenerate=REGENERATE,
        unwanted=extra_schema_files,
    )


if __name__ == "__main__":
    sys.exit(main())
