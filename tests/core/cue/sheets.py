"""Real-world shaped CUE sheets and a builder of models for the CUE tests."""

from __future__ import annotations

from tracktion.core.cue import CueFile, CueIndex, CueSheet, CueTime, CueTrack

# Exact Audio Copy, image rip: REM fields, pregap, ISRC, CATALOG, FLAGS, CRLF.
EAC = (
    'REM GENRE "Progressive House"\r\n'
    "REM DATE 2004\r\n"
    "REM DISCID 8A0B5C0C\r\n"
    'REM COMMENT "ExactAudioCopy v1.6"\r\n'
    "CATALOG 0724384960650\r\n"
    'PERFORMER "Various Artists"\r\n'
    'TITLE "Global Underground 026"\r\n'
    'FILE "Global Underground 026.wav" WAVE\r\n'
    "  TRACK 01 AUDIO\r\n"
    '    TITLE "Intro"\r\n'
    '    PERFORMER "Nick Warren"\r\n'
    "    ISRC GBAYE0400001\r\n"
    "    INDEX 01 00:00:00\r\n"
    "  TRACK 02 AUDIO\r\n"
    '    TITLE "Bon Voyage"\r\n'
    '    PERFORMER "Deep Dish"\r\n'
    "    FLAGS DCP\r\n"
    "    INDEX 00 04:58:50\r\n"
    "    INDEX 01 05:00:00\r\n"
    "  TRACK 03 AUDIO\r\n"
    '    TITLE "Fade"\r\n'
    "    REM REPLAYGAIN_TRACK_GAIN -7.20 dB\r\n"
    "    INDEX 01 09:12:74\r\n"
)

# Exact Audio Copy, one file per track with gaps appended: a track spans two FILEs.
EAC_GAPS = """FILE "01 - Intro.wav" WAVE
  TRACK 01 AUDIO
    TITLE "Intro"
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE "Bon Voyage"
    INDEX 00 04:58:50
FILE "02 - Bon Voyage.wav" WAVE
    INDEX 01 00:00:00
  TRACK 03 AUDIO
    TITLE "Fade"
    INDEX 01 04:12:00
"""

# rekordbox recording: tabs, REM RECORDED_BY, a FILE per track inside TRACK.
REKORDBOX = (
    "REM DATE 2023-06-01 01:38 PM\n"
    'REM RECORDED_BY "rekordbox-dj"\n'
    'TITLE "REC-2023-06-01"\n'
    'PERFORMER "DJ"\n'
    'FILE "REC-2023-06-01.wav" WAVE\n'
    "\tTRACK 01 AUDIO\n"
    '\t\tTITLE "Shot You Down"\n'
    '\t\tPERFORMER "Giuseppe Surace"\n'
    '\t\tFILE "/Users/dj/Music/Shot You Down.mp3" WAVE\n'
    "\t\tINDEX 01 00:00:02\n"
    "\tTRACK 02 AUDIO\n"
    '\t\tTITLE "Tzu-Mani"\n'
    '\t\tPERFORMER "Aldo Cadiz"\n'
    '\t\tFILE "/Users/dj/Music/Tzu-Mani.mp3" WAVE\n'
    "\t\tINDEX 01 00:03:06\n"
)

# A long DJ mix: minutes past 99, unquoted file name with spaces, foobar2000 REMs.
LONG_MIX = """REM GENRE Techno
REM REPLAYGAIN_ALBUM_GAIN -8.10 dB
PERFORMER "Resident"
TITLE "Six Hour Closing Set"
FILE closing set.flac WAVE
  TRACK 01 AUDIO
    TITLE "Opener"
    INDEX 01 00:00:00
  TRACK 02 AUDIO
    TITLE "Peak"
    INDEX 01 98:59:74
  TRACK 03 AUDIO
    TITLE "Sunrise"
    INDEX 01 245:10:05
"""


def mix(
    starts_s: list[float],
    *,
    name: str = "mix.wav",
    titles: list[str] | None = None,
    performers: list[str] | None = None,
) -> CueSheet:
    """A one-file mix whose tracks start at ``starts_s`` seconds."""
    titles = titles or [f"Track {n}" for n in range(1, len(starts_s) + 1)]
    performers = performers or [f"Artist {n}" for n in range(1, len(starts_s) + 1)]
    tracks = tuple(
        CueTrack(
            number=n,
            indexes=(CueIndex(1, CueTime.from_seconds(start)),),
            title=titles[n - 1],
            performer=performers[n - 1],
        )
        for n, start in enumerate(starts_s, start=1)
    )
    return CueSheet(
        files=(CueFile(name, "WAVE"),), tracks=tracks, title="Test Mix", performer="Tester"
    )
