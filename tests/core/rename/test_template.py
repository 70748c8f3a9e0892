from __future__ import annotations

import pytest

from tracktion.core.rename import (
    PRESETS,
    FieldValue,
    Template,
    TemplateSyntaxError,
    asciify,
    camelot_key_formatter,
    resolve_template,
)

FIELDS: dict[str, FieldValue] = {
    "artist": "Daft Punk",
    "title": "Around the World",
    "mix": "Original Mix",
    "album": "Homework",
    "label": "Virgin",
    "year": 1997,
    "track": 7,
    "bpm": 121.4,
    "key": "8A",
    "energy": 7,
    "genre": "French House",
    "ext": "mp3",
}


def test_the_three_dj_presets() -> None:
    assert resolve_template("artist-title-mix").render(FIELDS).parts == (
        "Daft Punk - Around the World (Original Mix).mp3",
    )
    assert resolve_template("key-bpm-artist-title").render(FIELDS).parts == (
        "08A - 121 - Daft Punk - Around the World (Original Mix).mp3",
    )
    assert resolve_template("genre-folder").render(FIELDS).parts == (
        "French House",
        "Daft Punk - Around the World (Original Mix).mp3",
    )
    assert set(PRESETS) >= {"artist-title-mix", "key-bpm-artist-title", "genre-folder"}


def test_every_field_and_format() -> None:
    template = Template.parse(
        "{track:02}|{year}|{bpm:.1}|{bpm:04}|{key:camelot}|{energy}|{album}|{label}|{ext}"
    )
    assert template.render(FIELDS).parts == ("07|1997|121.4|0121|8A|7|Homework|Virgin|mp3",)


def test_key_notations_go_through_the_formatter() -> None:
    def formatter(key: str, notation: str) -> str:
        return f"{notation}:{key}"

    rendered = Template.parse("{key} {key:open_key} {key:standard}").render(
        FIELDS, key_formatter=formatter, key_notation="camelot"
    )
    assert rendered.parts == ("camelot:8A open_key:8A standard:8A.mp3",)
    # The core formatter pads Camelot codes and leaves keys it cannot read as they are.
    assert camelot_key_formatter("12b", "camelot_sortable") == "12B"
    assert Template.parse("{key}").render({"key": "A minor"}).parts == ("A minor",)


def test_functions() -> None:
    fields = {"artist": "Beyoncé", "title": "Don't stop", "label": ""}
    cases = {
        "%upper{{artist}}": "BEYONCÉ",
        "%lower{{artist}}": "beyoncé",
        "%title{{title}}": "Don't Stop",
        "%left{{artist},3}": "Bey",
        "%right{{artist},3}": "ncé",
        "%asciify{{artist}}": "Beyonce",
        "%if{{label},yes,no}": "no",
        "%if{{artist},yes,no}": "yes",
        "%ifdef{label,[{label}],No Label}": "No Label",
        "%ifdef{artist,[{artist}]}": "[Beyoncé]",
        "%first{{label},{album},Unknown}": "Unknown",
        "\\{literal\\} 100\\%": "{literal} 100%",
    }
    for source, expected in cases.items():
        assert Template.parse(source).render(fields).parts == (expected,), source
    assert asciify("Straße \u2013 Œuvre") == "Strasse - OEuvre"


def test_missing_fields_leave_no_dangling_separators() -> None:
    rendered = resolve_template("key-bpm-artist-title").render(
        {"artist": "A", "title": "T", "ext": "flac"}
    )
    assert rendered.parts == ("A - T.flac",)
    assert rendered.missing == {"key", "bpm"}  # %ifdef{mix,...} is a condition, not a use
    assert Template.parse("{artist} - {title} [{label}]").render({"title": "T"}).parts == ("T",)


def test_slashes_in_values_never_make_folders() -> None:
    rendered = Template.parse("{genre}/{artist} - {title}").render(
        {"genre": "Drum/Bass", "artist": "AC/DC", "title": "../x", "ext": "mp3"}
    )
    assert rendered.parts == ("Drum/Bass", "AC/DC - ../x.mp3")
    # A leading slash never makes an absolute path.
    assert Template.parse("/{artist}").render({"artist": "A"}).parts == ("A",)


@pytest.mark.parametrize(
    ("source", "column", "words"),
    [
        ("{artist} - {title", 12, "never closed"),
        ("{artist} - {titel}", 13, "unknown field 'titel'"),
        ("{artist}}", 9, "without a matching"),
        ("%shout{{artist}}", 1, "unknown function %shout"),
        ("%left{{artist},x}", 1, "whole number"),
        ("%upper{{artist}", 1, "never closed"),
        ("{track:x2}", 8, "a number takes"),
        ("{artist:02}", 9, "takes no format"),
        ("{key:lydian}", 6, "notation"),
        ("%ifdef{nope,x}", 1, "field name"),
        ("% {artist}", 1, "must start a function"),
        ("abc\\", 4, "backslash"),
        ("   ", 1, "empty"),
    ],
)
def test_syntax_errors_name_the_column(source: str, column: int, words: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        Template.parse(source)
    assert caught.value.column == column
    assert words in str(caught.value)
    assert f"column {column}" in str(caught.value)
    assert isinstance(caught.value, ValueError)
