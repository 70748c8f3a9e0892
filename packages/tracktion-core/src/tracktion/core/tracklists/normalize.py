"""Normalized artist and title strings, so that spellings of one track compare equal.

``Beyoncé feat. JAY-Z`` and ``Beyonce & Jay Z`` normalize to the same artist tokens;
``Crazy In Love (Original Mix)`` and ``Crazy in love`` to the same title, while
``Crazy In Love (Dimitri Remix)`` keeps its remixer as its version.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .text import split_mix

__all__ = ["NormalizedTrack", "normalize_artist", "normalize_text", "normalize_track"]

_FEAT_RE = re.compile(r"\b(?:feat|ft|featuring|with|vs|versus|x|and|pres|presents)\b\.?")
_FEAT_IN_TITLE_RE = re.compile(
    r"[(\[]\s*(?:feat|ft|featuring)\b\.?\s*(?P<artist>[^)\]]*)[)\]]", re.IGNORECASE
)
_NON_WORD_RE = re.compile(r"[^\w]+")
_NEUTRAL_VERSIONS = frozenset(
    {
        "",
        "original",
        "original mix",
        "extended",
        "extended mix",
        "extended version",
        "club mix",
        "radio edit",
        "radio mix",
        "radio version",
        "album version",
        "main mix",
    }
)


def normalize_text(text: str) -> str:
    """Lower case, accents removed, ``&`` as ``and``, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(_NON_WORD_RE.sub(" ", plain).replace("_", " ").split())


def normalize_artist(artist: str) -> str:
    """The artist names as sorted unique words, joiners (``feat.``, ``ft.``, ``&``, ``vs``,
    ``x``, ``and``) removed: featured artists count as artists."""
    words = _FEAT_RE.sub(" ", normalize_text(artist)).split()
    return " ".join(sorted(set(words)))


@dataclass(frozen=True, slots=True)
class NormalizedTrack:
    """The comparable form of one track.

    Attributes:
        artist: :func:`normalize_artist` of the artists, featured ones from the title
            included.
        title: The title without mix, featured artists or punctuation.
        version: The mix name normalized, ``""`` for the neutral ones (original,
            extended, radio edit...), so that only real remixes and edits differ.
    """

    artist: str
    title: str
    version: str


def normalize_track(artist: str, title: str, mix: str | None = None) -> NormalizedTrack:
    """Normalize a track; a mix left in ``title`` (``Title (X Remix)``) is split off."""
    featured = [found.group("artist") for found in _FEAT_IN_TITLE_RE.finditer(title)]
    title = _FEAT_IN_TITLE_RE.sub(" ", title)
    base, found_mix, _ = split_mix(title)
    version = normalize_text(mix or found_mix or "")
    if version in _NEUTRAL_VERSIONS:
        version = ""
    return NormalizedTrack(
        artist=normalize_artist(" ".join([artist, *featured])),
        title=normalize_text(base or title),
        version=version,
    )
