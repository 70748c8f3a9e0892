"""Ignore rules: temp files of downloaders and DJ software, hidden files, user globs."""

from __future__ import annotations

import pytest

from tracktion.core.files import IgnoreRules


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("Techno/track.mp3.part", "temporary file (*.part)"),
        ("track.mp3.crdownload", "temporary file (*.crdownload)"),
        ("track.mp3.tmp", "temporary file (*.tmp)"),
        ("album.download/track.mp3", "temporary folder (*.download)"),
        ("Incoming/track.flac.!qB", "temporary file (*.!qb)"),
        ("~$track.mp3", "temporary file (~$*)"),
        ("PIONEER/USBANLZ/P016/ANLZ0000.DAT", "application folder PIONEER"),
        ("ANLZ0000.EXT", "temporary file (anlz*.ext)"),
        ("_Serato_/Subcrates/x.mp3", "application folder _Serato_"),
        ("Music/Serato/db.mp3", "application folder Serato"),
        (".DS_Store", "hidden file .DS_Store"),
        ("Sets/Thumbs.db", "system file Thumbs.db"),
        (".hidden/track.mp3", "hidden folder .hidden"),
        ("._track.mp3", "hidden file ._track.mp3"),
    ],
)
def test_builtin_rules_name_their_reason(relative: str, expected: str) -> None:
    assert IgnoreRules().reason(relative) == expected


@pytest.mark.parametrize(
    "relative",
    ["track.mp3", "Techno/2024/track.flac", "Sets/part one.mp3", "serato-edits/track.mp3", ""],
)
def test_music_is_kept(relative: str) -> None:
    assert IgnoreRules().reason(relative) is None


def test_user_globs_match_names_and_relative_paths_case_insensitively() -> None:
    rules = IgnoreRules(globs=("*/Samples/*", "*.WAV"))
    assert rules.reason("Packs/samples/kick.mp3") == "user glob */Samples/*"
    assert rules.reason("loop.wav") == "user glob *.WAV"
    assert not rules.is_ignored("Packs/kick.mp3")


def test_hidden_files_can_be_kept() -> None:
    assert IgnoreRules(hidden=False).reason(".edits/track.mp3") is None


def test_blank_glob_is_refused() -> None:
    with pytest.raises(ValueError, match="ignore glob"):
        IgnoreRules(globs=(" ",))
