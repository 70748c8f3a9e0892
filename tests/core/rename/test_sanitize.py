from __future__ import annotations

import os
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from tracktion.core.rename import (
    MAX_NAME_BYTES,
    SanitizeOptions,
    SanitizeProfile,
    fit_path,
    is_reserved_name,
    sanitize_name,
    sanitize_parts,
    split_extension,
    truncate_name,
)

HOSTILE_PIECES = st.sampled_from(
    [
        "CON",
        "nul",
        "Com1",
        "LPT9",
        "aux.txt",
        "..",
        ".",
        "/",
        "\\",
        ":",
        "*",
        "?",
        '"',
        "<",
        ">",
        "|",
        "\x00",
        "\x1f",
        "\x7f",
        "\u0085",
        "\u202e",
        "\u200f",
        "\u200e",
        "\ufeff",
        "e\u0301",
        "👨\u200d👩\u200d👧",
        "🇫🇷",
        "👍🏽",
        "عربي",
        "שלום",
        " ",
        "  ",
        "...",
        "feat. X",
        "(Original Mix)",
        "[Dub]",
        "Ǆ",
        "ﬁ",
        "İ",
        "ß",
    ]
)
HOSTILE = st.lists(
    st.one_of(HOSTILE_PIECES, st.text(max_size=40), st.text(min_size=200, max_size=1000)),
    max_size=8,
).map("".join)
FORBIDDEN = set('<>:"/\\|?*')


def _valid(name: str, limit: int = MAX_NAME_BYTES) -> None:
    assert name
    assert len(name.encode()) <= limit
    assert not FORBIDDEN & set(name)
    assert all(unicodedata.category(c) not in ("Cc", "Cs") for c in name)
    assert not any(c in name for c in "\u202e\u200e\u200f\ufeff")
    assert unicodedata.normalize("NFC", name) == name
    assert name == name.strip(" ")
    assert not name.endswith(".")
    assert not name.startswith(".")
    assert name not in (".", "..")
    assert not is_reserved_name(name)


@settings(max_examples=300, deadline=None)
@given(name=HOSTILE, ext=st.sampled_from(["", ".mp3", ".flac", ".aiff"]))
def test_every_hostile_name_becomes_a_valid_universal_name(name: str, ext: str) -> None:
    safe = sanitize_name(name + ext)
    _valid(safe)
    assert sanitize_name(safe) == safe  # idempotent: a second pass changes nothing
    if ext and split_extension(name + ext)[1] == ext:
        assert safe.endswith(ext)  # kept whole, also when the name is cut


@settings(max_examples=100, deadline=None)
@given(title=st.text(min_size=1, max_size=1000), mix=st.sampled_from(["Extended Mix", "Dub"]))
def test_long_titles_keep_the_extension_and_the_mix(title: str, mix: str) -> None:
    name = f"Artist - {'x' * 300}{title} ({mix}).mp3"
    safe = sanitize_name(name)
    _valid(safe)
    assert safe.endswith(f" ({mix}).mp3")
    assert safe.startswith("Artist - x")


@settings(max_examples=100, deadline=None)
@given(parts=st.lists(HOSTILE, min_size=1, max_size=4))
def test_parts_never_escape_or_hide(parts: list[str]) -> None:
    safe = sanitize_parts(parts)
    assert len(safe) == len(parts)
    for part in safe:
        _valid(part)
    joined = os.path.join("/library", *safe)
    assert os.path.normpath(joined) == joined


def test_reserved_names_and_trailing_dots() -> None:
    assert sanitize_name("CON.mp3") == "CON_.mp3"
    assert sanitize_name("nul") == "nul_"
    assert sanitize_name("COM1 .tar.gz") == "COM1_.tar.gz"
    assert sanitize_name("Console.mp3") == "Console.mp3"
    assert sanitize_name("Title... ") == "Title"
    assert sanitize_name("..") == "_"
    assert sanitize_name("\u202egpj.mp3") == "gpj.mp3"


def test_profiles() -> None:
    posix = SanitizeOptions(profile=SanitizeProfile.POSIX)
    assert sanitize_name('a:b?"c".mp3', posix) == 'a:b?"c".mp3'
    assert sanitize_name("a/b", posix) == "a-b"
    mac = SanitizeOptions(profile=SanitizeProfile.MACOS)
    assert sanitize_name("a:b?.mp3", mac) == "a - b?.mp3"
    assert sanitize_name("CON", posix) == "CON"


def test_emoji_sequences_are_never_cut_apart() -> None:
    family = "👨\u200d👩\u200d👧"
    name = truncate_name(family * 30 + ".mp3", 100)
    stem = name.removesuffix(".mp3")
    assert len(name.encode()) <= 100
    assert stem
    assert stem.replace(family, "") == ""


def test_windows_path_limit() -> None:
    options = SanitizeOptions(max_path_chars=260)
    deep = ["Folder " * 20, "Sub " * 20]
    name = "Artist - " + "Title " * 60 + "(Extended Mix).mp3"
    fitted = fit_path("C:/Music", [*deep, name], options)
    assert len(os.path.join("C:/Music", *fitted)) <= 260
    assert fitted[-1].endswith("(Extended Mix).mp3")
