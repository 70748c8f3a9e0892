"""Naming templates: fields from tags and analysis, functions, folders, DJ presets.

A template is text with **fields** in braces and **functions** after a percent sign::

    {artist} - {title}%ifdef{mix, ({mix})}
    {key} - {bpm} - {artist} - {title}
    {genre}/{artist} - {title}

Fields (a missing one renders empty; the separators around it are tidied away):

=============  ==================================================================
``artist``     track artist; ``albumartist``, ``album``, ``title``, ``mix``
               (``Original Mix``), ``label``, ``genre`` likewise
``year``       release year
``track``      track number; ``{track:02}`` zero-pads to two digits
``bpm``        tempo rounded to a whole number; ``{bpm:03}`` pads, ``{bpm:.1}`` keeps
               one decimal
``key``        the key as a zero-padded Camelot code (``08A``: sorts in wheel order);
               ``{key:camelot}`` unpadded (``8A``), ``{key:standard}``,
               ``{key:open_key}`` through the renderer's key formatter
``energy``     energy level 1-10
``ext``        the file's extension without the dot; appended as ``.{ext}`` to the
               last component unless the template uses it
=============  ==================================================================

Functions (arguments are separated by commas; ``\\`` escapes ``{ } % , \\``):
``%upper{x}``, ``%lower{x}``, ``%title{x}``, ``%left{x,n}`` / ``%right{x,n}`` (the
first / last ``n`` characters), ``%if{cond,then[,else]}`` (``cond`` is true when it
renders non-empty and not ``0``), ``%ifdef{field,then[,else]}`` (when the field has a
value), ``%asciify{x}`` (``Beyoncé`` -> ``Beyonce``), ``%first{a,b,...}`` (the first
argument that renders non-empty; also a default: ``%first{{label},No Label}``).

A ``/`` in the template text starts a folder; a ``/`` inside a field's value never
does. Syntax errors raise :class:`TemplateSyntaxError` with the 1-based column.

>>> Template.parse("{artist} - {title}%ifdef{mix, ({mix})}").render(
...     {"artist": "Daft Punk", "title": "Around the World"}).parts
('Daft Punk - Around the World',)
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from ..camelot import parse_camelot
from .errors import TemplateSyntaxError

__all__ = [
    "FIELDS",
    "PRESETS",
    "FieldValue",
    "KeyFormatter",
    "Rendered",
    "Template",
    "asciify",
    "camelot_key_formatter",
    "resolve_template",
]

FieldValue: TypeAlias = str | int | float | None
"""A field's value: text, a number (track, year, bpm, energy) or ``None`` (missing)."""

KeyFormatter: TypeAlias = Callable[[str, str], str]
"""``(key, notation) -> text``: writes a key (in any notation) in ``notation``
(``camelot``, ``camelot_sortable``, ``standard``, ``open_key``); raises ``ValueError``
for a key or notation it does not know."""

FIELDS: Final = frozenset(
    {
        "artist",
        "albumartist",
        "title",
        "mix",
        "album",
        "label",
        "year",
        "track",
        "bpm",
        "key",
        "energy",
        "genre",
        "ext",
    }
)
"""The field names a template may use."""

PRESETS: Final[Mapping[str, str]] = {
    "artist-title-mix": "{artist} - {title}%ifdef{mix, ({mix})}",
    "key-bpm-artist-title": "{key} - {bpm} - {artist} - {title}%ifdef{mix, ({mix})}",
    "genre-folder": "%first{{genre},Unknown Genre}/{artist} - {title}%ifdef{mix, ({mix})}",
    "label-folder": "%first{{label},Unknown Label}/{artist} - {title}%ifdef{mix, ({mix})}",
    "track-artist-title": "{track:02} - {artist} - {title}%ifdef{mix, ({mix})}",
}
"""Ready DJ templates by name: ``Artist - Title (Mix)``, ``08A - 128 - Artist - Title``,
``Genre/Artist - Title``, ``Label/Artist - Title``, ``01 - Artist - Title``."""

_FUNCTIONS: Final[Mapping[str, tuple[int, int]]] = {
    "upper": (1, 1),
    "lower": (1, 1),
    "title": (1, 1),
    "left": (2, 2),
    "right": (2, 2),
    "if": (2, 3),
    "ifdef": (2, 3),
    "asciify": (1, 1),
    "first": (1, 64),
}
_NUMBER_SPEC = re.compile(r"(0\d+)|\.(\d)|0(\d+)\.(\d)")
_KEY_SPECS = frozenset({"camelot", "camelot_sortable", "standard", "open_key"})
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# Stand-ins for separators inside field values, so that only the template's own "/" splits
# folders; restored (and then sanitized) after the split.
_VALUE_SLASH: Final = "\ue000"
_VALUE_BACKSLASH: Final = "\ue001"
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}")
_SPACES = re.compile(r"\s+")
# A dash standing alone between words: the separator of "Artist - Title".
_SEPARATOR = re.compile(r"(?:^|\s+)-(?:\s+|$)")


def camelot_key_formatter(key: str, notation: str) -> str:
    """The key formatter of :mod:`tracktion.core` alone: Camelot codes in, ``camelot``
    (``8A``) or ``camelot_sortable`` (``08A``) out. Other notations need a full key
    formatter (``tracktion.audio.notation.format_key``).

    Raises:
        ValueError: ``key`` is no Camelot code, or ``notation`` is another notation.
    """
    parsed = parse_camelot(key)
    if notation == "camelot":
        return parsed.code
    if notation == "camelot_sortable":
        return f"{parsed.number:02d}{parsed.letter}"
    raise ValueError(f"key notation {notation!r} needs a full key formatter")


# -- the syntax tree ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    spec: str
    column: int


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    args: tuple[tuple[_Node, ...], ...]
    column: int


_Node: TypeAlias = _Text | _Field | _Call


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def error(self, reason: str, pos: int | None = None) -> TemplateSyntaxError:
        return TemplateSyntaxError(self.source, (self.pos if pos is None else pos) + 1, reason)

    def parse(self) -> tuple[_Node, ...]:
        nodes = self.sequence(in_args=False)
        if self.pos < len(self.source):
            raise self.error(f"unexpected {self.source[self.pos]!r}")
        return nodes

    def sequence(self, *, in_args: bool) -> tuple[_Node, ...]:
        nodes: list[_Node] = []
        text: list[str] = []
        src = self.source
        while self.pos < len(src):
            char = src[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(src):
                    raise self.error("a backslash must escape a character")
                text.append(src[self.pos + 1])
                self.pos += 2
            elif char == "{":
                if text:
                    nodes.append(_Text("".join(text)))
                    text = []
                nodes.append(self.field())
            elif char == "%":
                if text:
                    nodes.append(_Text("".join(text)))
                    text = []
                nodes.append(self.call())
            elif char in ",}" and in_args:
                break
            elif char == "}":
                raise self.error("'}' without a matching '{' (escape it as '\\}')")
            else:
                text.append(char)
                self.pos += 1
        if text:
            nodes.append(_Text("".join(text)))
        return tuple(nodes)

    def field(self) -> _Field:
        start = self.pos
        end = self.source.find("}", start)
        if end < 0:
            raise self.error("'{' is never closed", start)
        body = self.source[start + 1 : end]
        name, _, spec = body.partition(":")
        if not _NAME.fullmatch(name):
            raise self.error(f"{{{body}}} is not a field (expected e.g. {{artist}})", start)
        if name not in FIELDS:
            known = ", ".join(sorted(FIELDS))
            raise self.error(f"unknown field {name!r} (known: {known})", start + 1)
        _check_spec(name, spec, lambda reason: self.error(reason, start + 2 + len(name)))
        self.pos = end + 1
        return _Field(name, spec, start + 1)

    def call(self) -> _Call:
        start = self.pos
        found = _NAME.match(self.source, start + 1)
        if found is None:
            raise self.error("'%' must start a function such as %upper{...} (escape it as '\\%')")
        name = found.group()
        if name not in _FUNCTIONS:
            known = ", ".join(sorted(_FUNCTIONS))
            raise self.error(f"unknown function %{name} (known: {known})", start)
        self.pos = found.end()
        if self.pos >= len(self.source) or self.source[self.pos] != "{":
            raise self.error(f"%{name} must be followed by '{{'")
        self.pos += 1
        args = [self.sequence(in_args=True)]
        while self.pos < len(self.source) and self.source[self.pos] == ",":
            self.pos += 1
            args.append(self.sequence(in_args=True))
        if self.pos >= len(self.source):
            raise self.error(f"%{name}{{ is never closed", start)
        self.pos += 1  # the closing brace
        low, high = _FUNCTIONS[name]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise self.error(f"%{name} takes {wanted} arguments, not {len(args)}", start)
        if name in ("left", "right") and not _plain_int(args[1]):
            raise self.error(f"%{name}'s second argument must be a whole number", start)
        if name == "ifdef" and not (
            len(args[0]) == 1 and isinstance(args[0][0], _Text) and args[0][0].text in FIELDS
        ):
            raise self.error("%ifdef's first argument must be a field name such as mix", start)
        return _Call(name, tuple(args), start + 1)


def _plain_int(nodes: tuple[_Node, ...]) -> bool:
    return len(nodes) == 1 and isinstance(nodes[0], _Text) and nodes[0].text.strip().isdigit()


def _check_spec(name: str, spec: str, error: Callable[[str], TemplateSyntaxError]) -> None:
    if not spec:
        return
    if name in ("track", "year", "bpm", "energy"):
        if not _NUMBER_SPEC.fullmatch(spec):
            raise error(f"{{{name}:{spec}}}: a number takes 02 (pad), .1 (decimals) or 03.1")
        return
    if name == "key":
        if spec not in _KEY_SPECS:
            raise error(f"{{key:{spec}}}: the notation is one of {', '.join(sorted(_KEY_SPECS))}")
        return
    raise error(f"{{{name}}} takes no format")


# -- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template filled in: unsanitized path components (folders, then the file name).

    Attributes:
        parts: The components, tidied (no empty brackets or dangling separators).
        used: The fields the template referred to (through every branch taken).
        missing: The used fields that had no value.
    """

    parts: tuple[str, ...]
    used: frozenset[str]
    missing: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Context:
    fields: Mapping[str, FieldValue]
    key_formatter: KeyFormatter
    key_notation: str
    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed naming template. Create with :meth:`parse` (or :func:`resolve_template`)."""

    source: str
    nodes: tuple[_Node, ...]

    @classmethod
    def parse(cls, source: str) -> Template:
        """Parse ``source``.

        Raises:
            TemplateSyntaxError: with the 1-based column and what is wrong there.
        """
        if not isinstance(source, str):
            raise TypeError(f"a template is a str, not {type(source).__name__}")
        if not source.strip():
            raise TemplateSyntaxError(source, 1, "the template is empty")
        return cls(source, _Parser(source).parse())

    @property
    def fields(self) -> frozenset[str]:
        """Every field the template mentions, in any branch."""
        found: set[str] = set()

        def walk(nodes: tuple[_Node, ...]) -> None:
            for node in nodes:
                if isinstance(node, _Field):
                    found.add(node.name)
                elif isinstance(node, _Call):
                    if node.name == "ifdef":
                        first = node.args[0][0]
                        assert isinstance(first, _Text)
                        found.add(first.text)
                    for arg in node.args:
                        walk(arg)

        walk(self.nodes)
        return frozenset(found)

    def render(
        self,
        fields: Mapping[str, FieldValue],
        *,
        key_formatter: KeyFormatter = camelot_key_formatter,
        key_notation: str = "camelot_sortable",
    ) -> Rendered:
        """Fill in the template.

        Args:
            fields: Values by field name; ``None``, empty text or an absent name is
                missing. ``ext`` is appended to the last component unless used.
            key_formatter: Writes ``{key}`` in a notation (see :data:`KeyFormatter`); a
                key it cannot read is written as given.
            key_notation: The notation of a plain ``{key}``.
        """
        context = _Context(fields, key_formatter, key_notation)
        text = _render_nodes(self.nodes, context)
        raw_parts = text.split("/")
        parts = [_tidy(part) for part in raw_parts]
        while len(parts) > 1 and not parts[0]:
            parts.pop(0)  # a leading "/" or an empty top folder: never an absolute path
        ext = _text(fields.get("ext"))
        if "ext" not in self.fields and ext:
            parts[-1] = f"{parts[-1]}.{ext.lstrip('.')}"
        restored = tuple(
            part.replace(_VALUE_SLASH, "/").replace(_VALUE_BACKSLASH, "\\") for part in parts
        )
        return Rendered(restored, frozenset(context.used), frozenset(context.missing))


def resolve_template(name_or_source: str) -> Template:
    """A preset by name (see :data:`PRESETS`), else ``name_or_source`` parsed as a
    template. Raises :class:`TemplateSyntaxError`."""
    return Template.parse(PRESETS.get(name_or_source, name_or_source))


def _text(value: FieldValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).strip()


def _value(node: _Field, context: _Context) -> str:
    context.used.add(node.name)
    raw = context.fields.get(node.name)
    text = _text(raw)
    if not text:
        context.missing.add(node.name)
        return ""
    if node.name in ("track", "year", "bpm", "energy"):
        text = _number(raw, node.spec) or text
    elif node.name == "key":
        notation = node.spec or context.key_notation
        # A key the formatter cannot read is written as the tags have it.
        with contextlib.suppress(ValueError):
            text = context.key_formatter(text, notation)
    return text.replace("/", _VALUE_SLASH).replace("\\", _VALUE_BACKSLASH)


def _number(raw: FieldValue, spec: str) -> str | None:
    if raw is None:
        return None
    try:
        number = float(raw) if not isinstance(raw, int | float) else raw
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    found = _NUMBER_SPEC.fullmatch(spec) if spec else None
    if found is None:
        return str(round(number))
    pad, decimals_only, pad_with_decimals, decimals = found.groups()
    if pad is not None:
        return f"{round(number):0{int(pad)}d}"
    if decimals_only is not None:
        return f"{number:.{decimals_only}f}"
    width = int(pad_with_decimals) + 1 + int(decimals)
    return f"{number:0{width}.{decimals}f}"


def _render_nodes(nodes: tuple[_Node, ...], context: _Context) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Field):
            out.append(_value(node, context))
        else:
            out.append(_call(node, context))
    return "".join(out)


def _call(node: _Call, context: _Context) -> str:
    name, args = node.name, node.args

    def arg(index: int) -> str:
        return _render_nodes(args[index], context) if index < len(args) else ""

    if name == "upper":
        return arg(0).upper()
    if name == "lower":
        return arg(0).lower()
    if name == "title":
        return _title_case(arg(0))
    if name in ("left", "right"):
        count = int(_render_nodes(args[1], context).strip())
        text = arg(0)
        return text[:count] if name == "left" else (text[-count:] if count else "")
    if name == "if":
        condition = arg(0).strip()
        return arg(1) if condition and condition.lower() not in ("0", "false") else arg(2)
    if name == "ifdef":
        first = args[0][0]
        assert isinstance(first, _Text)
        context.used.add(first.text)
        return arg(1) if _text(context.fields.get(first.text)) else arg(2)
    if name == "asciify":
        return asciify(arg(0))
    for index in range(len(args)):  # first
        text = arg(index)
        if text.strip():
            return text
    return ""


def _title_case(text: str) -> str:
    # str.title() capitalizes after apostrophes ("Don'T"); capitalize words instead.
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split(" "))


_ASCII_EXTRA: Final = {
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "Th",
    "œ": "oe",
    "Œ": "OE",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
}


def asciify(text: str) -> str:
    """``text`` in ASCII: accents dropped (``é`` -> ``e``), a few letters spelled out
    (``ß`` -> ``ss``), anything else without an ASCII form removed."""
    spelled = "".join(_ASCII_EXTRA.get(char, char) for char in text)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _tidy(part: str) -> str:
    """Remove what missing fields leave behind: empty brackets, doubled or dangling
    `` - `` separators, runs of spaces."""
    text = _SPACES.sub(" ", part)
    previous = None
    while previous != text:
        previous = text
        text = _EMPTY_BRACKETS.sub("", text)
        pieces = [piece.strip() for piece in _SEPARATOR.split(text)]
        text = _SPACES.sub(" ", " - ".join(piece for piece in pieces if piece)).strip()
    return text
