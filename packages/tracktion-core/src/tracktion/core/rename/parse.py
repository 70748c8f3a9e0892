"""Reading fields back out of file names, for files whose tags are missing.

The parser knows the shapes the templates produce (``Artist - Title (Mix)``,
``08A - 128 - Artist - Title``, ``01 - Artist - Title``), Beatport's numeric download
prefixes (``12345678_Title_(Original_Mix)``), ``feat.`` in its spellings (``ft.``,
``Feat``, ``featuring``, normalized to ``feat.``) and track numbers. Patterns learned
from a user's own renames (:func:`learn_pattern`) are tried first.

>>> parsed = parse_name("08A - 128 - Daft Punk - Around the World (Original Mix).mp3")
>>> parsed.pattern, parsed.fields["bpm"], parsed.fields["mix"]
('{key} - {bpm} - {artist} - {title}', 128, 'Original Mix')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from .errors import TemplateSyntaxError
from .sanitize import split_extension
from .template import FieldValue

__all__ = [
    "BUILTIN_PATTERNS",
    "NamePattern",
    "ParsedName",
    "learn_pattern",
    "normalize_featuring",
    "parse_name",
]

_FIELD_REGEX: Final[Mapping[str, str]] = {
    "track": r"[A-Da-d]\d{1,2}|\d{2,3}",
    "year": r"(?:19|20)\d{2}",
    "bpm": r"\d{2,3}(?:\.\d{1,2})?",
    "key": r"(?:0?[1-9]|1[0-2])[ABabdmDM]|[A-G][#b♯♭]?\s?(?:major|minor|maj|min|m)",
    "energy": r"(?:10|[1-9])",
}
_TEXT: Final = r".+?"
_TOKEN = re.compile(r"\{([a-z]+)(?::[^}]*)?\}")
_MIX_WORDS = re.compile(
    r"\b(mix|remix|rmx|edit|dub|version|rework|bootleg|vip|instrumental|extended|radio|"
    r"original|refix|flip|remaster(?:ed)?|club|acapella|live)\b",
    re.IGNORECASE,
)
_MIX = re.compile(r"\s*[(\[]([^()\[\]]+)[)\]]\s*$")
_FEAT = re.compile(r"(?<![\w.])(?:featuring|feat\.?|ft\.?)(?=\s)", re.IGNORECASE)
_BEATPORT_ID = re.compile(r"^\d{5,}[_ ]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A file-name shape: fields between literal separators (``{artist} - {title}``).

    Attributes:
        source: The shape as a simple template (fields and text only).
        regex: The compiled matcher; one named group per field.
    """

    source: str
    regex: re.Pattern[str]

    @classmethod
    def from_template(cls, source: str) -> NamePattern:
        """The pattern of a simple template: fields (``{bpm}``, ``{track:02}``) and
        literal text; a field may appear once.

        Raises:
            TemplateSyntaxError: a function, an unknown or repeated field, or two fields
                with nothing between them (which the parser could not tell apart).
        """
        pieces: list[str] = []
        seen: set[str] = set()
        position = 0
        previous_was_field = False
        for found in _TOKEN.finditer(source):
            literal = source[position : found.start()]
            if "%" in literal or "{" in literal or "}" in literal:
                raise TemplateSyntaxError(source, position + 1, "a name pattern has no functions")
            name = found.group(1)
            if name in seen:
                raise TemplateSyntaxError(source, found.start() + 1, f"{{{name}}} appears twice")
            if name in ("ext", "mix"):
                raise TemplateSyntaxError(
                    source, found.start() + 1, f"{{{name}}} is read apart from the pattern"
                )
            if previous_was_field and not literal:
                raise TemplateSyntaxError(
                    source, found.start() + 1, "two fields need a separator between them"
                )
            seen.add(name)
            pieces.append(_literal(literal))
            pieces.append(f"(?P<{name}>{_FIELD_REGEX.get(name, _TEXT)})")
            position = found.end()
            previous_was_field = True
        tail = source[position:]
        if "%" in tail or "{" in tail or "}" in tail:
            raise TemplateSyntaxError(source, position + 1, "a name pattern has no functions")
        if not seen:
            raise TemplateSyntaxError(source, 1, "a name pattern needs at least one field")
        pieces.append(_literal(tail))
        return cls(source, re.compile("".join(pieces), re.IGNORECASE))

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields, in order."""
        return tuple(self.regex.groupindex)


def _literal(text: str) -> str:
    # Spacing around separators varies ("A-B", "A - B", "A  -  B"): any run of spaces.
    # " - " needs the spaces (so that "Jay-Z" stays whole); runs of spaces are one.
    parts = [re.escape(part) for part in _SPACES.split(text)]
    return r"\s+".join(parts) if text else ""


BUILTIN_PATTERNS: Final[tuple[NamePattern, ...]] = tuple(
    NamePattern.from_template(source)
    for source in (
        "{key} - {bpm} - {artist} - {title}",
        "{bpm} - {key} - {artist} - {title}",
        "{key} - {artist} - {title}",
        "{track} - {artist} - {title}",
        "{track}. {artist} - {title}",
        "{track} {artist} - {title}",
        "{artist} - {album} - {track} - {title}",
        "{artist} - {title}",
        "{track} - {title}",
        "{track}. {title}",
    )
)
"""The shapes tried after the learned ones, most specific first."""


@dataclass(frozen=True, slots=True)
class ParsedName:
    """Fields read from a file name.

    Attributes:
        fields: By field name; ``track``, ``bpm`` and ``energy`` as numbers, ``key`` as
            written (``8A`` without leading zero), ``ext`` without the dot.
        pattern: The shape that matched (``{artist} - {title}``), or ``{title}`` when
            none did and the whole name is taken as the title.
        notes: What else was done: ``beatport id removed``, ``underscores as spaces``.
    """

    fields: dict[str, FieldValue]
    pattern: str
    notes: tuple[str, ...] = ()


def normalize_featuring(text: str) -> str:
    """``ft.``, ``Ft``, ``feat``, ``featuring`` -> ``feat.`` (as a word of its own)."""
    return _SPACES.sub(" ", _FEAT.sub("feat.", text)).strip()


def parse_name(name: str, patterns: Sequence[NamePattern] = ()) -> ParsedName:
    """Read fields from a file name (with or without its folder and extension).

    ``patterns`` (learned from the user) are tried before :data:`BUILTIN_PATTERNS`; the
    first whose every field matches the whole name wins.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, ext = split_extension(unicodedata.normalize("NFC", base))
    fields: dict[str, FieldValue] = {}
    notes: list[str] = []
    if ext:
        fields["ext"] = ext[1:].lower()
    if "_" in stem and " " not in stem.strip():
        stem = stem.replace("_", " ")
        notes.append("underscores as spaces")
    stripped = _BEATPORT_ID.sub("", stem)
    if stripped != stem and stripped.strip():
        stem = stripped
        notes.append("beatport id removed")
    stem = _SPACES.sub(" ", stem).strip()
    mix = _MIX.search(stem)
    if mix is not None and mix.start() > 0 and _MIX_WORDS.search(mix.group(1)):
        fields["mix"] = mix.group(1).strip()
        stem = stem[: mix.start()].strip()
    for pattern in (*patterns, *BUILTIN_PATTERNS):
        found = pattern.regex.fullmatch(stem)
        if found is None:
            continue
        values = {key: value.strip() for key, value in found.groupdict().items()}
        if any(not value for value in values.values()):
            continue
        fields.update(_typed(key, value) for key, value in values.items())
        return ParsedName(fields, pattern.source, tuple(notes))
    if stem:
        fields["title"] = normalize_featuring(stem)
    return ParsedName(fields, "{title}", tuple(notes))


def _typed(key: str, value: str) -> tuple[str, FieldValue]:
    if key in ("bpm",):
        number = float(value)
        return key, int(number) if number.is_integer() else number
    if key in ("year", "energy"):
        return key, int(value)
    if key == "track":
        digits = value.lstrip("ABCDabcd")
        return key, int(digits)
    if key == "key":
        return key, value.upper().lstrip("0") if value[-1:] in "ABab" else value
    if key in ("artist", "title", "albumartist"):
        return key, normalize_featuring(value)
    return key, value


def learn_pattern(name: str, fields: Mapping[str, FieldValue]) -> NamePattern | None:
    """The shape of a name a user chose, given the fields it was made from.

    Each field's value (``bpm`` as a whole number, ``track`` with or without zero
    padding, ``key`` as written or zero-padded) is looked up in the name; the parts
    between become the separators. ``None`` when fewer than two fields are found, or
    two found fields touch (the shape would be ambiguous).

    >>> learn_pattern("128 - Daft Punk - Da Funk.mp3",
    ...               {"artist": "Daft Punk", "title": "Da Funk", "bpm": 128}).source
    '{bpm} - {artist} - {title}'
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, _ = split_extension(unicodedata.normalize("NFC", base))
    mix = fields.get("mix")
    if isinstance(mix, str) and mix:
        found_mix = _MIX.search(stem)
        if found_mix is not None and found_mix.group(1).strip().lower() == mix.strip().lower():
            stem = stem[: found_mix.start()].rstrip()
    spans: list[tuple[int, int, str]] = []
    lowered = stem.lower()
    for key, value in sorted(fields.items(), key=lambda item: -len(str(item[1] or ""))):
        if key in ("ext", "mix") or value is None:
            continue
        for candidate in _spellings(key, value):
            start = _free_find(lowered, candidate.lower(), spans)
            if start >= 0:
                spans.append((start, start + len(candidate), key))
                break
    if len(spans) < 2:
        return None
    spans.sort()
    pieces: list[str] = []
    position = 0
    for start, end, key in spans:
        literal = stem[position:start]
        if pieces and not literal:
            return None
        pieces.append(literal.replace("{", "").replace("}", "").replace("%", ""))
        pieces.append(f"{{{key}}}")
        position = end
    pieces.append(stem[position:].replace("{", "").replace("}", "").replace("%", ""))
    try:
        return NamePattern.from_template("".join(pieces))
    except TemplateSyntaxError:
        return None


def _spellings(key: str, value: FieldValue) -> Iterable[str]:
    text = str(value).strip()
    if not text:
        return ()
    if key == "bpm" and isinstance(value, int | float):
        return (str(round(value)), text)
    if key == "track" and isinstance(value, int):
        return (f"{value:02d}", str(value))
    if key == "key" and text[:-1].isdigit():
        return (f"{int(text[:-1]):02d}{text[-1]}", text)
    return (text,)


def _free_find(haystack: str, needle: str, taken: list[tuple[int, int, str]]) -> int:
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        if all(end <= a or start >= b for a, b, _ in taken) and _word_edges(haystack, start, end):
            return start
        start = haystack.find(needle, start + 1)
    return -1


def _word_edges(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() and text[start].isalnum()) and not (
        after.isalnum() and text[end - 1].isalnum()
    )
