"""Key notations: standard names, Camelot and Open Key, both ways, with known pairs."""

from __future__ import annotations

import pytest

from tracktion.audio import notation
from tracktion.audio.notation import (
    KEY_NAMES,
    PITCH_CLASSES,
    KeyNotation,
    MusicalKey,
    camelot_sortable,
    format_key,
    parse_key,
    to_camelot,
    to_open_key,
    to_standard,
)
from tracktion.core.camelot import CAMELOT_KEYS, key_relation

# (standard, Camelot, Open Key) as Mixed In Key and Traktor print them.
KNOWN = [
    ("A minor", "8A", "1m"),
    ("C major", "8B", "1d"),
    ("F# major", "2B", "7d"),
    ("E minor", "9A", "2m"),
    ("G major", "9B", "2d"),
    ("G# minor", "1A", "6m"),
    ("B major", "1B", "6d"),
    ("D# minor", "2A", "7m"),
    ("C# minor", "12A", "5m"),
    ("E major", "12B", "5d"),
    ("F minor", "4A", "9m"),
    ("A# major", "6B", "11d"),
    ("D minor", "7A", "12m"),
    ("F major", "7B", "12d"),
]


@pytest.mark.parametrize(("standard", "camelot", "open_key"), KNOWN)
def test_known_keys_in_all_three_notations(standard: str, camelot: str, open_key: str) -> None:
    for written in (standard, camelot, open_key):
        assert to_standard(written) == standard
        assert to_camelot(written) == camelot
        assert to_open_key(written) == open_key


@pytest.mark.parametrize("name", KEY_NAMES)
def test_every_key_round_trips_through_each_notation(name: str) -> None:
    key = parse_key(name)
    assert key.name == name
    for notation_ in KeyNotation:
        assert parse_key(format_key(name, notation_)) == key
        assert to_standard(format_key(name, notation_)) == name


def test_the_24_keys_have_24_distinct_codes_in_each_notation() -> None:
    assert len(KEY_NAMES) == 24
    assert sorted(to_camelot(name) for name in KEY_NAMES) == sorted(CAMELOT_KEYS)
    open_keys = {to_open_key(name) for name in KEY_NAMES}
    assert open_keys == {f"{n}{letter}" for n in range(1, 13) for letter in "dm"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Db major", "C# major"),
        ("Bbm", "A# minor"),
        ("A min", "A minor"),
        ("a minor", "A minor"),
        ("8a", "A minor"),
        ("08A", "A minor"),
        (" 12b ", "E major"),
        ("1m", "A minor"),
        ("1d", "C major"),
        ("01D", "C major"),
        ("12M", "D minor"),
        ("Am", "A minor"),
        ("F#m", "F# minor"),
        ("Gb major", "F# major"),
        ("G♭ major", "F# major"),
        ("C♯ minor", "C# minor"),
        ("Ebmin", "D# minor"),
        ("Ab maj", "G# major"),
        ("B- minor", "A# minor"),  # music21 writes flats with "-"
        ("E-", "D# major"),
        ("A-minor", "A minor"),  # a hyphen before the mode is a separator
        ("C", "C major"),
        ("Cb", "B major"),
        ("E#m", "F minor"),
        ("B# major", "C major"),
    ],
)
def test_enharmonic_and_loose_spellings_are_normalized_to_sharps(
    written: str, expected: str
) -> None:
    assert to_standard(written) == expected


@pytest.mark.parametrize(
    "bad", ["", "H minor", "13A", "0A", "8C", "001A", "1x", "A mixolydian", "Am7", "C##", "8 A"]
)
def test_invalid_keys_raise_value_error_naming_the_input(bad: str) -> None:
    with pytest.raises(ValueError, match="not a musical key") as caught:
        parse_key(bad)
    assert repr(bad) in str(caught.value)


def test_non_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="int"):
        parse_key(8)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "sortable"), [("8A", "08A"), ("8a", "08A"), ("12b", "12B"), ("A minor", "08A")]
)
def test_camelot_sortable_is_zero_padded(written: str, sortable: str) -> None:
    assert camelot_sortable(written) == sortable


def test_camelot_sortable_sorts_in_wheel_order() -> None:
    codes = [camelot_sortable(name) for name in KEY_NAMES]
    numbers = [int(code[:2]) for code in sorted(codes)]
    assert numbers == sorted(numbers)


def test_format_key_accepts_the_enum_or_its_value() -> None:
    assert format_key("Db major", KeyNotation.CAMELOT) == "3B"
    assert format_key("Db major", "open_key") == "8d"
    assert format_key("3B", "standard") == "C# major"
    with pytest.raises(ValueError, match="'traktor'"):
        format_key("A minor", "traktor")


def test_wheel_neighbours_are_fifths_and_relatives_share_a_number() -> None:
    # Consistency with tracktion.core's compatibility rules.
    for tonic in range(12):
        for mode in ("major", "minor"):
            key = MusicalKey(tonic, mode)
            fifth = MusicalKey((tonic + 7) % 12, mode)
            assert key_relation(key.camelot, fifth.camelot) == "adjacent"
        relative_minor = MusicalKey((tonic + 9) % 12, "minor")
        assert key_relation(MusicalKey(tonic, "major").camelot, relative_minor.camelot) == (
            "relative"
        )


def test_key_index_orders_major_then_minor() -> None:
    for index, name in enumerate(KEY_NAMES):
        key = MusicalKey.from_index(index)
        assert key.name == name
        assert key.key_index == index
    assert KEY_NAMES[:3] == ("C major", "C# major", "D major")
    assert PITCH_CLASSES[10] == "A#"
    with pytest.raises(ValueError, match="24"):
        MusicalKey.from_index(24)


def test_public_names_resolve() -> None:
    assert len(notation.__all__) == len(set(notation.__all__))
    for name in notation.__all__:
        assert hasattr(notation, name), name
