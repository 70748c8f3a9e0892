"""CUE sheets: one model, a tolerant parser, writers for each consumer's profile, a
validator and a converter.

>>> from tracktion.core.cue import CueTime, parse_cue, render_cue
>>> sheet = parse_cue('FILE "mix.wav" WAVE\\n  TRACK 01 AUDIO\\n    INDEX 01 00:00:00\\n').sheet
>>> print(render_cue(sheet, "kodi").text, end="")
FILE "mix.wav" WAVE
  TRACK 01 AUDIO
    INDEX 01 00:00:00
>>> str(CueTime.from_seconds(59.999))
'01:00:00'
"""

from ._adapt import ChangeKind, CueChange
from .audio import AudioProbeUnavailableError, probe_duration
from .convert import CueConversion, convert_cue
from .errors import (
    CueAudioError,
    CueError,
    CueParseError,
    CueRenderError,
    CueTimeError,
    CueWriteError,
    UnknownCueProfileError,
)
from .issues import CueIssue, Severity
from .model import CueFile, CueIndex, CueRem, CueSheet, CueTrack
from .parser import CueParseResult, parse_cue, read_cue
from .profiles import ALL_FIELDS, PROFILES, CueProfile, IndexZeroPolicy, LongMixPolicy, get_profile
from .timecode import FRAMES_PER_SECOND, CueTime
from .validator import CueValidationReport, validate_cue
from .writer import RenderedCue, render_cue, serialize, write_cue

__all__ = [
    "ALL_FIELDS",
    "FRAMES_PER_SECOND",
    "PROFILES",
    "AudioProbeUnavailableError",
    "ChangeKind",
    "CueAudioError",
    "CueChange",
    "CueConversion",
    "CueError",
    "CueFile",
    "CueIndex",
    "CueIssue",
    "CueParseError",
    "CueParseResult",
    "CueProfile",
    "CueRem",
    "CueRenderError",
    "CueSheet",
    "CueTime",
    "CueTimeError",
    "CueTrack",
    "CueValidationReport",
    "CueWriteError",
    "IndexZeroPolicy",
    "LongMixPolicy",
    "RenderedCue",
    "Severity",
    "UnknownCueProfileError",
    "convert_cue",
    "get_profile",
    "parse_cue",
    "probe_duration",
    "read_cue",
    "render_cue",
    "serialize",
    "validate_cue",
    "write_cue",
]
