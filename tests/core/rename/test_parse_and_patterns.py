from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracktion.contracts import FeedbackType
from tracktion.core.rename import (
    FeedbackRecord,
    FieldValue,
    NamePattern,
    TemplateSyntaxError,
    analyze_names,
    learn_pattern,
    learned_patterns,
    parse_name,
    rank_templates,
    resolve_template,
)


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        (
            "08A - 128 - Daft Punk - Da Funk (Original Mix).mp3",
            "{key} - {bpm} - {artist} - {title}",
            {
                "key": "8A",
                "bpm": 128,
                "artist": "Daft Punk",
                "title": "Da Funk",
                "mix": "Original Mix",
            },
        ),
        (
            "01 - A ft. B - T.flac",
            "{track} - {artist} - {title}",
            {"track": 1, "artist": "A feat. B"},
        ),
        (
            "03. Artist - Title [Extended Mix].wav",
            "{track}. {artist} - {title}",
            {"mix": "Extended Mix"},
        ),
        ("A1 - Artist - Side A.mp3", "{track} - {artist} - {title}", {"track": 1}),
        (
            "12345678_Some_Title_(Original_Mix).mp3",
            "{title}",
            {"title": "Some Title", "mix": "Original Mix"},
        ),
        (
            "Jay-Z - 99 Problems.mp3",
            "{artist} - {title}",
            {"artist": "Jay-Z", "title": "99 Problems"},
        ),
        ("2 Unlimited - No Limit.mp3", "{artist} - {title}", {"artist": "2 Unlimited"}),
        (
            "Artist Featuring Guest - T (Remix).mp3",
            "{artist} - {title}",
            {"artist": "Artist feat. Guest"},
        ),
        ("untitled.mp3", "{title}", {"title": "untitled", "ext": "mp3"}),
    ],
)
def test_parse_names(name: str, pattern: str, expected: dict[str, object]) -> None:
    parsed = parse_name(name)
    assert parsed.pattern == pattern
    for key, value in expected.items():
        assert parsed.fields[key] == value
    if name.startswith("1234"):
        assert "beatport id removed" in parsed.notes


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", min_size=1, max_size=12)
TEXT = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(
    artist=TEXT,
    title=TEXT,
    bpm=st.integers(60, 199),
    key=st.sampled_from(["1A", "8A", "12B", "5B"]),
    track=st.integers(1, 99),
    mix=st.one_of(st.none(), st.sampled_from(["Original Mix", "Dub", "Extended Mix"])),
    preset=st.sampled_from(["artist-title-mix", "key-bpm-artist-title", "track-artist-title"]),
)
def test_what_a_preset_writes_the_parser_reads_back(
    artist: str, title: str, bpm: int, key: str, track: int, mix: str | None, preset: str
) -> None:
    fields: dict[str, FieldValue] = {
        "artist": artist,
        "title": title,
        "bpm": bpm,
        "key": key,
        "track": track,
        "mix": mix,
        "ext": "mp3",
    }
    template = resolve_template(preset)
    name = template.render(fields).parts[-1]
    parsed = parse_name(name)
    for field in template.fields - {"ext"}:
        if fields[field] is not None:
            assert parsed.fields[field] == fields[field], (name, field)


def test_learned_patterns_come_first_and_patterns_reject_ambiguity() -> None:
    pattern = learn_pattern(
        "Da Funk -- Daft Punk -- 128.mp3", {"artist": "Daft Punk", "title": "Da Funk", "bpm": 128}
    )
    assert pattern is not None
    assert pattern.source == "{title} -- {artist} -- {bpm}"
    parsed = parse_name("Alive -- Daft Punk -- 124.mp3", [pattern])
    assert parsed.fields["title"] == "Alive"
    assert parsed.fields["bpm"] == 124
    assert learn_pattern("Something else.mp3", {"artist": "X", "title": "Y"}) is None
    for bad in ("{artist}{title}", "{artist} - %upper{x}", "{artist} {artist}", "plain"):
        with pytest.raises(TemplateSyntaxError):
            NamePattern.from_template(bad)


def test_pattern_analysis_reports_coverage_outliers_and_a_template() -> None:
    names = [
        "/m/08A - 128 - A - X.mp3",
        "/m/09A - 126 - B - Y (Dub).mp3",
        "/m/10B - 124 - C - Z.mp3",
        "/m/D - W.mp3",
        "/m/whatever.mp3",
    ]
    report = analyze_names(names)
    assert report.total == 5
    assert report.dominant == "{key} - {bpm} - {artist} - {title}"
    assert report.coverage == pytest.approx(0.6)
    assert report.outliers == ("/m/D - W.mp3", "/m/whatever.mp3")
    assert not report.consistent
    assert report.suggested_template == "{key} - {bpm} - {artist} - {title}%ifdef{mix, ({mix})}"
    assert report.groups[0].with_mix == 1
    assert report.to_dict()["coverage"] == pytest.approx(0.6)
    unrecognized = analyze_names(["a.mp3", "b.mp3"])
    assert unrecognized.dominant is None
    assert unrecognized.suggested_template == resolve_template("artist-title-mix").source
    assert analyze_names(["01 - A - B.mp3", "02 - C - D.mp3"]).consistent


def test_feedback_ranks_templates_and_learns_shapes() -> None:
    good, bad = (
        resolve_template("key-bpm-artist-title").source,
        resolve_template("artist-title-mix").source,
    )
    records = [
        FeedbackRecord(good, FeedbackType.ACCEPTED),
        FeedbackRecord(good, FeedbackType.ACCEPTED, rating=5),
        FeedbackRecord(bad, FeedbackType.REJECTED),
        FeedbackRecord(
            bad,
            FeedbackType.MODIFIED,
            rating=2,
            chosen_name="128 - A - T.mp3",
            fields={"artist": "A", "title": "T", "bpm": 128},
        ),
        FeedbackRecord(
            bad,
            FeedbackType.MODIFIED,
            chosen_name="130 - B - U.mp3",
            fields={"artist": "B", "title": "U", "bpm": 130},
        ),
    ]
    ranked = rank_templates(records)
    assert ranked[0].template == good
    assert ranked[0].votes == 2
    learned = next(score for score in ranked if score.template == "{bpm} - {artist} - {title}")
    assert learned.votes == 2
    assert learned.score > next(s.score for s in ranked if s.template == bad)
    assert [p.source for p in learned_patterns(records)] == ["{bpm} - {artist} - {title}"]
    with pytest.raises(ValueError, match="rating"):
        FeedbackRecord(good, FeedbackType.ACCEPTED, rating=6)
