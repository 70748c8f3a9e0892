"""Tracklists of DJ mixes: import, match to the catalog, edit with history, turn into CUE.

::

    from tracktion.core.tracklists import match_tracklist, read_tracklist, tracklist_to_cue

    imported = read_tracklist("set.txt")              # text, CUE, M3U, JSON, saved pages
    matched = match_tracklist(imported.tracklist, candidates).tracklist
    sheet = tracklist_to_cue(matched, audio_file="set.flac")

Modules: :mod:`.model` (the tracklist), :mod:`.text`, :mod:`.m3u`, :mod:`.cuesheet`,
:mod:`.html1001` (importers and writers), :mod:`.fetch` (polite 1001tracklists fetching),
:mod:`.normalize` and :mod:`.matching` (catalog matching), :mod:`.edits` (versioned
edits), :mod:`.catalog` (storage and candidates), :mod:`.importing` (one entry point).
"""

from .catalog import (
    DEFAULT_TAG_SOURCES,
    DURATION_FEATURE,
    StoredTracklist,
    edit_tracklist,
    from_catalog_entries,
    load_candidates,
    load_tracklist,
    save_tracklist,
    to_catalog_entries,
)
from .cuesheet import cue_file_type, parse_cue_tracklist, tracklist_from_cue, tracklist_to_cue
from .edits import check_times, insert_entry, remove_entry, retime_entry, shift_times
from .errors import (
    TracklistBlockedError,
    TracklistEditError,
    TracklistError,
    TracklistFetchError,
    TracklistFormatError,
    TracklistPageError,
)
from .fetch import (
    DEFAULT_USER_AGENT,
    PACING_NAMESPACE,
    PROTECTED_HOST_MIN_INTERVAL_S,
    FetchedPage,
    TracklistFetcher,
)
from .generate import GeneratedCue, generate_cue, write_generated_cue
from .html1001 import blocked_reason, parse_1001_page
from .importing import SourceKind, detect_kind, import_source, import_tracklist, read_tracklist
from .m3u import parse_m3u
from .matching import (
    DEFAULT_THRESHOLD,
    EntryMatch,
    MatchResult,
    RecordingCandidate,
    ScoredCandidate,
    estimate_start_times,
    match_tracklist,
    score_match,
)
from .model import UNKNOWN, ImportResult, TrackEntry, Tracklist, TracklistProblem, format_time
from .normalize import NormalizedTrack, normalize_artist, normalize_text, normalize_track
from .text import format_text, parse_text, parse_time, split_mix, split_track

__all__ = [
    "DEFAULT_TAG_SOURCES",
    "DEFAULT_THRESHOLD",
    "DEFAULT_USER_AGENT",
    "DURATION_FEATURE",
    "PACING_NAMESPACE",
    "PROTECTED_HOST_MIN_INTERVAL_S",
    "UNKNOWN",
    "EntryMatch",
    "FetchedPage",
    "GeneratedCue",
    "ImportResult",
    "MatchResult",
    "NormalizedTrack",
    "RecordingCandidate",
    "ScoredCandidate",
    "SourceKind",
    "StoredTracklist",
    "TrackEntry",
    "Tracklist",
    "TracklistBlockedError",
    "TracklistEditError",
    "TracklistError",
    "TracklistFetchError",
    "TracklistFetcher",
    "TracklistFormatError",
    "TracklistPageError",
    "TracklistProblem",
    "blocked_reason",
    "check_times",
    "cue_file_type",
    "detect_kind",
    "edit_tracklist",
    "estimate_start_times",
    "format_text",
    "format_time",
    "from_catalog_entries",
    "generate_cue",
    "import_source",
    "import_tracklist",
    "insert_entry",
    "load_candidates",
    "load_tracklist",
    "match_tracklist",
    "normalize_artist",
    "normalize_text",
    "normalize_track",
    "parse_1001_page",
    "parse_cue_tracklist",
    "parse_m3u",
    "parse_text",
    "parse_time",
    "read_tracklist",
    "remove_entry",
    "retime_entry",
    "save_tracklist",
    "score_match",
    "shift_times",
    "split_mix",
    "split_track",
    "to_catalog_entries",
    "tracklist_from_cue",
    "tracklist_to_cue",
    "write_generated_cue",
]
