"""1001tracklists tracklist pages as tracklists (a parser of saved or fetched HTML).

Two descriptions of the same tracks are read from a page and merged row by row:

* the visible rows: elements of class ``tlpItem``, each with a ``trackValue``
  (``Artist - Title (Mix)``, a nested ``trackLabel``), a cue time (class ``cueValueField``)
  and a track number (``trNo``/``trackFormat``) that reads ``w/`` for a track played
  together with the one before;
* the schema.org microdata: ``itemtype=".../MusicRecording"`` scopes with ``byArtist``,
  ``name``, ``publisher`` properties (on ``meta`` content or element text).

Artist and title come from the microdata when a row has it (it is unambiguous), else
from the visible text. A page with neither is a :class:`TracklistPageError` naming the
URL: the site's markup changed and this parser must follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .errors import TracklistBlockedError, TracklistPageError
from .model import UNKNOWN, ImportResult, TrackEntry, Tracklist, TracklistProblem, format_time
from .text import parse_time, split_mix, split_track

__all__ = ["blocked_reason", "parse_1001_page"]

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_WITH_MARK = "w/"
_CAPTCHA_RE = re.compile(
    r"g-recaptcha|h-captcha|cf-challenge|captcha-container|id=\"captcha|class=\"captcha",
    re.IGNORECASE,
)
_BLOCKED_TITLE_RE = re.compile(
    r"<title>\s*(just a moment|attention required|access denied|verify you are human)",
    re.IGNORECASE,
)


def blocked_reason(html: str) -> str | None:
    """Why ``html`` is a bot-check page rather than content (a captcha, a challenge), or
    ``None`` when it is not one."""
    if _CAPTCHA_RE.search(html):
        return "the site answered with a captcha page"
    if _BLOCKED_TITLE_RE.search(html):
        return "the site answered with a bot-check page"
    return None


@dataclass
class _Recording:
    line: int = 0
    props: dict[str, str] = field(default_factory=dict)


@dataclass
class _Row:
    line: int
    track: str = ""
    label: str = ""
    cue: str = ""
    number: str = ""
    recording: _Recording | None = None


@dataclass
class _Capture:
    name: str
    depth: int
    target: _Row | _Recording
    parts: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.stack: list[str] = []
        self.rows: list[_Row] = []
        self.loose: list[_Recording] = []
        self.row: tuple[_Row, int] | None = None
        self.recording: tuple[_Recording, int] | None = None
        self.captures: list[_Capture] = []
        self.meta: dict[str, str] = {}
        self.h1: _Capture | None = None
        self.h1_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        void = tag in _VOID
        if not void:
            self.stack.append(tag)
        depth = len(self.stack)
        classes = set(values.get("class", "").split())
        if tag == "meta":
            self._meta(values)
        if "tlpItem" in classes and self.row is None and not void:
            row = _Row(line=self.getpos()[0])
            self.rows.append(row)
            self.row = (row, depth)
        if "MusicRecording" in values.get("itemtype", "") and not void:
            recording = _Recording(line=self.getpos()[0])
            if self.row is not None and self.row[0].recording is None:
                self.row[0].recording = recording
            else:
                self.loose.append(recording)
            self.recording = (recording, depth)
        if void:
            return
        if tag == "h1" and self.h1 is None and not self.h1_text:
            self.h1 = _Capture("h1", depth, _Row(0))
            self.captures.append(self.h1)
        prop = values.get("itemprop")
        if (
            prop
            and self.recording is not None
            and "content" not in values
            and "itemscope" not in values
        ):
            self.captures.append(_Capture(f"prop:{prop}", depth, self.recording[0]))
        if self.row is not None:
            row = self.row[0]
            for css, name in (
                ("trackLabel", "label"),
                ("trackValue", "track"),
                ("cueValueField", "cue"),
                ("trNo", "number"),
                ("trackFormat", "number"),
            ):
                if css in classes:
                    self.captures.append(_Capture(name, depth, row))
                    break

    def _meta(self, values: dict[str, str]) -> None:
        content = values.get("content", "")
        prop = values.get("itemprop")
        if prop and self.recording is not None:
            self.recording[0].props.setdefault(prop, content.strip())
        for key in ("property", "name"):
            name = values.get(key)
            if name in ("og:title", "description") and content:
                self.meta.setdefault(name, content.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            self._meta(values)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return
        while self.stack:
            depth = len(self.stack)
            popped = self.stack.pop()
            self._close(depth)
            if popped == tag:
                break

    def _close(self, depth: int) -> None:
        while self.captures and self.captures[-1].depth >= depth:
            capture = self.captures.pop()
            text = " ".join("".join(capture.parts).split())
            if capture is self.h1:
                self.h1_text, self.h1 = text, None
            elif isinstance(capture.target, _Recording):
                capture.target.props.setdefault(capture.name.removeprefix("prop:"), text)
            elif text:
                setattr(capture.target, capture.name, text)
        if self.recording is not None and self.recording[1] >= depth:
            self.recording = None
        if self.row is not None and self.row[1] >= depth:
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.captures:
            self.captures[-1].parts.append(data)


def parse_1001_page(html: str | bytes, *, url: str) -> ImportResult:
    """Read the tracklist of a 1001tracklists page.

    Args:
        html: The page (bytes are decoded as UTF-8, undecodable bytes replaced).
        url: Where the page came from; named in every warning and error.

    Returns:
        The tracklist (``source="1001tracklists"``, ``source_url=url``) and warnings for
        rows without a track, unreadable cue times and times earlier than the row before.

    Raises:
        TracklistBlockedError: the page is a captcha or bot check.
        TracklistPageError: the page holds no track rows nor MusicRecording microdata.
    """
    text = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    if not parser.rows and not parser.loose:
        reason = blocked_reason(text)
        if reason is not None:
            raise TracklistBlockedError(url, reason)
        raise TracklistPageError(
            url,
            "no tracklist found: the page has no 'tlpItem' track rows and no schema.org "
            "MusicRecording items (the site's markup may have changed)",
        )
    warnings: list[TracklistProblem] = []
    entries: list[TrackEntry] = []
    rows = parser.rows or [_Row(line=r.line, recording=r) for r in parser.loose]
    for row in rows:
        entry = _entry(row, url, entries, warnings)
        if entry is not None:
            entries.append(entry)
    if not entries:
        raise TracklistPageError(url, f"none of the {len(rows)} track rows names a track")
    title = parser.meta.get("og:title") or parser.h1_text or None
    return ImportResult(
        Tracklist(tuple(entries), title=title, source="1001tracklists", source_url=url),
        tuple(warnings),
    )


def _entry(
    row: _Row, url: str, entries: list[TrackEntry], warnings: list[TracklistProblem]
) -> TrackEntry | None:
    line = row.line or None

    def warn(message: str) -> None:
        warnings.append(TracklistProblem(url, line, message))

    visible = row.track
    with_previous = row.number.strip().lower() == _WITH_MARK
    if visible.lower().startswith(_WITH_MARK):
        with_previous, visible = True, visible[len(_WITH_MARK) :].strip()
    props = row.recording.props if row.recording is not None else {}
    artist, name = props.get("byArtist", "").strip(), props.get("name", "").strip()
    if artist and name:
        title, mix, label = split_mix(name)
    else:
        pair = split_track(visible)
        if pair is None:
            warn(f"skipped a track row without 'Artist - Title' ({visible!r})")
            return None
        artist = pair[0]
        title, mix, label = split_mix(pair[1])
    label = row.label.strip() or props.get("publisher", "").strip() or label
    if not title:
        warn(f"skipped a track row with an empty title ({visible!r})")
        return None
    start = _cue_time(row.cue, warn)
    if with_previous and not entries:
        warn("'w/' on the first track: there is nothing to play it with")
        with_previous = False
    if with_previous:
        start = entries[-1].start_s
    elif start is not None:
        previous = next((e.start_s for e in reversed(entries) if e.start_s is not None), None)
        if previous is not None and start < previous:
            warn(
                f"cue {format_time(start)} is earlier than the previous track's "
                f"{format_time(previous)} (overlapping times)"
            )
    if artist.upper() == UNKNOWN and title.upper() == UNKNOWN:
        artist, title = UNKNOWN, UNKNOWN
    return TrackEntry(
        artist=artist,
        title=title,
        start_s=start,
        mix=mix,
        label=label or None,
        played_with_previous=with_previous,
        line=line,
    )


def _cue_time(text: str, warn: Callable[[str], None]) -> float | None:
    stamp = text.strip()
    if not stamp or stamp in ("-", "--:--"):
        return None
    try:
        return parse_time(stamp)
    except ValueError as exc:
        warn(f"cue time ignored: {exc}")
        return None
