"""The JSON examples of the vendored specification, and their placeholders.

The specification's examples stand in for real values with placeholders: ``uuid-string``
and ``recording-uuid-N`` for UUIDs, ``sha256-hash`` and ``xxhash`` for digests, and
``a|b|c`` for "one of these". :func:`replace_placeholders` swaps them for values of the
kind they stand for and says which fields it touched, so a test can check both that the
example validates once filled in and that the raw example is rejected at exactly those
fields. Nothing else counts as a placeholder: ``/data/music/track.mp3``, ``user-id`` or
``Error description`` are real values of their fields.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "SPEC_DIR",
    "SPEC_DOCUMENTS",
    "SpecExample",
    "alternative_placeholders",
    "extract_examples",
    "load_examples",
    "replace_placeholders",
]

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "docs" / "specification"
SPEC_DOCUMENTS = (
    SPEC_DIR / "websocket-and-queue-contracts.md",
    SPEC_DIR / "service-interactions.md",
)

_TITLE = re.compile(r"^\*\*(?P<title>[^*]+?)\*\*\s*$")
_ROUTING_KEYS = re.compile(r"^\s*[-*]\s+\*\*Routing Keys?\*\*:\s*(?P<keys>.+)$")
_BACKTICKED = re.compile(r"`([^`]+)`")
_FENCE_OPEN = re.compile(r"^```\s*(?P<lang>\S*)\s*$")
_FENCE_CLOSE = re.compile(r"^```\s*$")

_UUID_PLACEHOLDER = re.compile(r"^(?:uuid-string|recording-uuid-\d+)$")
_SHA256_PLACEHOLDER = "sha256-hash"
_XXH128_PLACEHOLDER = "xxhash"
_ALTERNATIVES = re.compile(r"^[A-Za-z0-9_.-]+(?:\|[A-Za-z0-9_.-]+)+$")


@dataclass(frozen=True)
class SpecExample:
    """One ```json block of a specification document.

    Attributes:
        title: The nearest ``**Bold Title**`` line above the block.
        document: The document's file name.
        line: 1-based line of the opening fence.
        data: The decoded JSON.
        routing_keys: The routing keys listed between the title and the block (AMQP
            examples), in document order; empty for WebSocket examples.
    """

    title: str
    document: str
    line: int
    data: Any
    routing_keys: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A pytest id: the title."""
        return self.title


def extract_examples(text: str, document: str = "<text>") -> tuple[SpecExample, ...]:
    """Every ```json block of a Markdown ``text`` with its title and routing keys.

    Raises:
        ValueError: a block has no title above it, is not closed, or is not valid JSON.
    """
    examples: list[SpecExample] = []
    title: str | None = None
    routing_keys: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE_OPEN.match(line)
        if fence is not None:
            end = index + 1
            while end < len(lines) and not _FENCE_CLOSE.match(lines[end]):
                end += 1
            if end == len(lines):
                raise ValueError(f"{document}:{index + 1}: code block is not closed")
            if fence["lang"].lower() == "json":
                if title is None:
                    raise ValueError(f"{document}:{index + 1}: json block without a title")
                body = "\n".join(lines[index + 1 : end])
                try:
                    data = json.loads(body)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{document}:{index + 1}: invalid JSON: {exc}") from exc
                examples.append(SpecExample(title, document, index + 1, data, tuple(routing_keys)))
            index = end + 1
            continue
        if (match := _TITLE.match(line)) is not None:
            title = match["title"].strip()
            routing_keys = []
        elif (match := _ROUTING_KEYS.match(line)) is not None:
            routing_keys.extend(_BACKTICKED.findall(match["keys"]))
        index += 1
    return tuple(examples)


@cache
def load_examples(paths: tuple[Path, ...] = SPEC_DOCUMENTS) -> tuple[SpecExample, ...]:
    """The examples of every document in ``paths``, in document order."""
    examples: list[SpecExample] = []
    for path in paths:
        examples.extend(extract_examples(path.read_text(encoding="utf-8"), path.name))
    return tuple(examples)


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _walk(item, (*path, str(position)))


def alternative_placeholders(value: Any) -> dict[str, tuple[str, ...]]:
    """The ``a|b|c`` placeholders of a JSON value: dotted path -> alternatives."""
    return {
        ".".join(path): tuple(item.split("|"))
        for path, item in _walk(value)
        if isinstance(item, str) and _ALTERNATIVES.match(item)
    }


def replace_placeholders(
    value: Any, choices: Mapping[str, str] | None = None
) -> tuple[Any, frozenset[str]]:
    """Replace the placeholders of a JSON value by values of the kind they stand for.

    ``uuid-string`` and ``recording-uuid-N`` become a fresh UUID (each occurrence its
    own), ``sha256-hash`` 64 and ``xxhash`` 32 lower-case hexadecimal digits, and an
    ``a|b|c`` string the alternative ``choices`` names for its dotted path (the first
    one when it names none).

    Returns:
        The new value (``value`` is not modified) and the dotted paths of the replaced
        fields, list positions as numbers (``subscriptions.0``).

    Raises:
        ValueError: ``choices`` names a path that holds no alternatives, or a choice that
            is not one of that path's alternatives.
    """
    choices = dict(choices or {})
    alternatives = alternative_placeholders(value)
    for path, choice in choices.items():
        if path not in alternatives:
            raise ValueError(f"{path!r} holds no a|b|c placeholder")
        if choice not in alternatives[path]:
            raise ValueError(f"{choice!r} is not one of {alternatives[path]} at {path!r}")
    replaced: set[str] = set()

    def fill(item: Any, path: tuple[str, ...]) -> Any:
        if isinstance(item, Mapping):
            return {key: fill(sub, (*path, str(key))) for key, sub in item.items()}
        if isinstance(item, list):
            return [fill(sub, (*path, str(position))) for position, sub in enumerate(item)]
        if not isinstance(item, str):
            return item
        dotted = ".".join(path)
        new: str | None = None
        if _UUID_PLACEHOLDER.match(item):
            new = str(uuid.uuid4())
        elif item == _SHA256_PLACEHOLDER:
            new = secrets.token_hex(32)
        elif item == _XXH128_PLACEHOLDER:
            new = secrets.token_hex(16)
        elif dotted in alternatives:
            new = choices.get(dotted, alternatives[dotted][0])
        if new is None:
            return item
        replaced.add(dotted)
        return new

    return fill(value, ()), frozenset(replaced)
