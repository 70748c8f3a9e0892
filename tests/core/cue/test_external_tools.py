"""Independent readers agree: Debian's cuetools and shntool read every written sheet.

``scripts/ensure-system-packages`` installs both (packages ``cuetools`` and ``shntool``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tracktion.core.cue import PROFILES, CueSheet, CueTime, parse_cue, render_cue

from .sheets import EAC, LONG_MIX, mix

CUEBREAKPOINTS = shutil.which("cuebreakpoints")
CUEPRINT = shutil.which("cueprint")
SHNSPLIT = shutil.which("shnsplit")
needs_cuetools = pytest.mark.skipif(
    CUEBREAKPOINTS is None or CUEPRINT is None,
    reason="cuetools not installed (scripts/ensure-system-packages installs it)",
)
needs_shntool = pytest.mark.skipif(
    SHNSPLIT is None, reason="shntool not installed (scripts/ensure-system-packages installs it)"
)
_BREAK = re.compile(r"(\d+):(\d{2})\.(\d{2})")
SAMPLE_RATE = 44_100  # shnsplit splits on CD frames only in CD-quality audio


def _run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(arg) for arg in args], capture_output=True, check=True, timeout=30)


def _breakpoints(path: Path) -> list[CueTime]:
    assert CUEBREAKPOINTS is not None
    done = _run(CUEBREAKPOINTS, path)
    assert done.stderr == b"", done.stderr
    points = []
    for line in done.stdout.decode().split():
        match = _BREAK.fullmatch(line)
        assert match is not None, line
        minutes, seconds, frames = (int(part) for part in match.groups())
        points.append(CueTime.from_msf(minutes, seconds, frames))
    return points


def _sheets() -> list[tuple[str, CueSheet]]:
    return [
        ("eac", parse_cue(EAC).sheet),
        ("long", parse_cue(LONG_MIX).sheet),
        ("mix", mix([0, 5.2, 10.4, 15.6], titles=["Intro", "Café", "Peak", "Outro"])),
        ("many", mix([n * 7.5 for n in range(110)])),
    ]


CASES = [
    (profile, label, sheet)
    for profile in sorted(PROFILES)
    for label, sheet in _sheets()
    if not (profile == "cdj" and label == "long")  # cdj refuses mixes past 99 minutes
    if not (profile == "kodi" and label == "many")  # kodi writes TRACK 100+, past CD tools
]


@needs_cuetools
@pytest.mark.parametrize(
    ("profile", "label", "sheet"), CASES, ids=[f"{p}-{n}" for p, n, _ in CASES]
)
def test_cuetools_reads_every_written_sheet(
    tmp_path: Path, profile: str, label: str, sheet: CueSheet
) -> None:
    rendered = render_cue(sheet, profile)
    path = tmp_path / f"{label}.cue"
    path.write_bytes(rendered.data)

    written = rendered.sheet
    expected = [track.start for track in written.tracks[1:]]
    assert _breakpoints(path) == expected

    assert CUEPRINT is not None
    printed = _run(CUEPRINT, "-d", "%N\\n", "-t", "%n\\t%t\\n", path)
    assert printed.stderr == b""
    lines = printed.stdout.decode(PROFILES[profile].encoding).splitlines()
    assert lines[0] == str(len(written.tracks))
    assert lines[1:] == [f"{track.number}\t{track.title or ''}" for track in written.tracks]


@needs_cuetools
def test_cuetools_reads_folded_index_points_as_one_track(tmp_path: Path) -> None:
    rendered = render_cue(mix([n * 7.5 for n in range(110)]), "standard")
    path = tmp_path / "many.cue"
    path.write_bytes(rendered.data)
    assert len(_breakpoints(path)) == 98  # 99 tracks; the rest are index points of 99


@needs_shntool
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_shnsplit_splits_a_rendered_mix_into_its_tracks(tmp_path: Path, profile: str) -> None:
    starts = [0.0, 5.2, 10.4, 15.6]
    total = 20 * SAMPLE_RATE
    audio = np.zeros((total, 2), dtype=np.int16)
    audio[:, 0] = np.arange(total) % 30_000  # a ramp: each piece's first sample says where
    mix_path = tmp_path / "mix.wav"
    soundfile.write(mix_path, audio, SAMPLE_RATE, subtype="PCM_16")
    sheet_path = tmp_path / "mix.cue"
    rendered = render_cue(mix(starts), profile)
    sheet_path.write_bytes(rendered.data)
    out = tmp_path / "split"
    out.mkdir()

    assert SHNSPLIT is not None
    _run(SHNSPLIT, "-q", "-f", sheet_path, "-d", out, "-o", "wav", "-a", "piece", mix_path)

    pieces = sorted(out.glob("piece*.wav"))
    assert len(pieces) == len(starts)
    samples_per_frame = SAMPLE_RATE // 75
    bounds = [
        index.time.frames * samples_per_frame
        for track in rendered.sheet.tracks
        for index in track.indexes
        if index.number == 1
    ]
    bounds.append(total)
    for piece, begin, end in zip(pieces, bounds, bounds[1:], strict=False):
        data, rate = soundfile.read(piece, dtype="int16")
        assert rate == SAMPLE_RATE
        assert len(data) == end - begin
        assert data[0, 0] == begin % 30_000
