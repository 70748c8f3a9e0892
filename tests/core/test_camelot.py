"""Camelot codes: parsing, normalization and compatibility, checked on all 24 keys."""

from __future__ import annotations

import itertools

import pytest

from tracktion.core.camelot import (
    CAMELOT_KEYS,
    CamelotKey,
    compatible_keys,
    key_relation,
    normalize_camelot,
    parse_camelot,
)


def test_there_are_24_distinct_canonical_keys() -> None:
    assert len(CAMELOT_KEYS) == 24 == len(set(CAMELOT_KEYS))
    assert CAMELOT_KEYS[:4] == ("1A", "1B", "2A", "2B")
    assert CAMELOT_KEYS[-1] == "12B"
    for code in CAMELOT_KEYS:
        key = parse_camelot(code)
        assert key.code == code
        assert normalize_camelot(code) == code
        assert 1 <= key.number <= 12
        assert key.letter in ("A", "B")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("8A", "8A"),
        ("8a", "8A"),
        ("08A", "8A"),
        ("08b", "8B"),
        (" 12B\t", "12B"),
        ("01a", "1A"),
        ("10A", "10A"),
        ("\n11b ", "11B"),
    ],
)
def test_codes_are_normalized(text: str, canonical: str) -> None:
    assert normalize_camelot(text) == canonical
    assert parse_camelot(text) == parse_camelot(canonical)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "8",
        "A",
        "A8",
        "0A",
        "00A",
        "008A",
        "13A",
        "20B",
        "-1A",
        "+8A",
        "8C",
        "8AB",
        "8 A",
        "8A8",
        "Am",
        "\u0668A",  # an Arabic-Indic eight: a digit to str.isdigit, not a Camelot number
        "\uff18A",  # a fullwidth 8
        "8\u0410",  # a Cyrillic A
    ],
)
def test_invalid_codes_are_rejected_with_a_clear_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a Camelot key") as caught:
        parse_camelot(text)
    assert repr(text) in str(caught.value)
    assert "1A-12A" in str(caught.value)
    with pytest.raises(ValueError, match="not a Camelot key"):
        compatible_keys(text)


@pytest.mark.parametrize("value", [None, 8, 8.0, b"8A"])
def test_non_strings_are_type_errors(value: object) -> None:
    with pytest.raises(TypeError, match="Camelot"):
        parse_camelot(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("8A", {"8A", "7A", "9A", "8B"}),
        ("8B", {"8B", "7B", "9B", "8A"}),
        ("1A", {"1A", "12A", "2A", "1B"}),
        ("12A", {"12A", "11A", "1A", "12B"}),
        ("1B", {"1B", "12B", "2B", "1A"}),
        ("12B", {"12B", "11B", "1B", "12A"}),
        ("06a", {"6A", "5A", "7A", "6B"}),
    ],
)
def test_compatible_keys(code: str, expected: set[str]) -> None:
    assert compatible_keys(code) == frozenset(expected)


def _expected_relation(a: CamelotKey, b: CamelotKey) -> str | None:
    # An independent statement of the rules: distance around a 12-step circle.
    steps = abs(a.number - b.number)
    steps = min(steps, 12 - steps)
    if a.letter == b.letter:
        return {0: "same", 1: "adjacent"}.get(steps)
    return "relative" if steps == 0 else None


def test_every_pair_of_keys_relates_as_the_wheel_says() -> None:
    for first, second in itertools.product(CAMELOT_KEYS, repeat=2):
        relation = key_relation(first, second)
        assert relation == _expected_relation(parse_camelot(first), parse_camelot(second))
        assert relation == key_relation(second, first), (first, second)  # symmetric
        assert (relation is not None) == (second in compatible_keys(first))


def test_each_key_has_four_compatible_keys_including_itself() -> None:
    for code in CAMELOT_KEYS:
        keys = compatible_keys(code)
        assert len(keys) == 4
        assert code in keys
        assert keys <= set(CAMELOT_KEYS)
        relations = sorted(str(key_relation(code, other)) for other in keys)
        assert relations == ["adjacent", "adjacent", "relative", "same"]


def test_stepping_around_the_wheel_wraps() -> None:
    assert parse_camelot("12A").step(1) == CamelotKey(1, "A")
    assert parse_camelot("1B").step(-1) == CamelotKey(12, "B")
    assert parse_camelot("5A").step(12) == CamelotKey(5, "A")
    assert parse_camelot("5A").step(-25) == CamelotKey(4, "A")
    assert parse_camelot("5A").relative() == CamelotKey(5, "B")
    assert parse_camelot("5B").relative().relative() == CamelotKey(5, "B")
