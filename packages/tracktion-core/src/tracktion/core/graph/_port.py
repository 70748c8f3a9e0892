"""The graph port: the ``Graph`` protocol, its value types, and the rules every
implementation shares (artist identity, transitions of a tracklist, ranking of compatible
recordings).

The rules live here, once, so that the SQL graph and the Neo4j adapter cannot drift apart
on which artist is which, what a transition is, or in which order matches come back.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal, Protocol, runtime_checkable
from uuid import UUID

from ..camelot import KeyRelation, compatible_keys, key_relation, normalize_camelot

__all__ = ["Graph", "Match", "RecordingNode", "TempoRelation", "Transition"]

TempoRelation = Literal["same", "half", "double"]
"""How a match's tempo relates to the reference recording's: about the ``"same"`` BPM,
about ``"half"`` of it (87 against 174), or about ``"double"`` (174 against 87)."""

DEFAULT_BPM_TOLERANCE: Final = 0.06
DEFAULT_LIMIT: Final = 20
# With a tolerance of 1/3 or more the same-tempo window would overlap the half- and
# double-time windows, and one candidate would match twice.
MAX_BPM_TOLERANCE: Final = 1 / 3

KEY_RANKS: Final[dict[KeyRelation, int]] = {"same": 0, "adjacent": 1, "relative": 2}
"""Order of key relations in :meth:`Graph.compatible` results (smoothest mix first)."""

TEMPO_FACTORS: Final[tuple[tuple[TempoRelation, float], ...]] = (
    ("same", 1.0),
    ("half", 2.0),
    ("double", 0.5),
)
"""Each tempo relation, in result order, with the factor that brings a candidate's BPM to
the reference tempo."""


@dataclass(frozen=True, slots=True)
class RecordingNode:
    """What the graph knows about one recording.

    - ``recording_id``: the catalog's recording id.
    - ``title``: display title, or ``None``.
    - ``artists``: display names in credit order; the same artist spelled differently
      (case, spacing) is one artist, credited once, at its first position.
    - ``bpm``: tempo in beats per minute, a finite number > 0, or ``None`` if unknown.
    - ``camelot``: key as a Camelot code, normalized on construction (``"08a"`` becomes
      ``"8A"``), or ``None`` if unknown.

    Raises ``TypeError`` for values of the wrong type (a bare ``str`` as ``artists``
    included) and ``ValueError`` for a blank artist name, an invalid BPM or Camelot code.
    """

    recording_id: UUID
    title: str | None = None
    artists: tuple[str, ...] = ()
    bpm: float | None = None
    camelot: str | None = None

    def __post_init__(self) -> None:
        check_uuid(self.recording_id, "recording_id")
        if self.title is not None and not isinstance(self.title, str):
            raise TypeError(f"title must be a str or None, not {type(self.title).__name__}")
        if isinstance(self.artists, str | bytes) or not isinstance(self.artists, Iterable):
            raise TypeError(
                f"artists must be a sequence of names, not {type(self.artists).__name__} "
                "(one artist: artists=('Bicep',))"
            )
        artists = tuple(self.artists)
        for name in artists:
            if not isinstance(name, str):
                raise TypeError(f"artist names are str, not {type(name).__name__}")
            if not name.strip():
                raise ValueError(f"blank artist name {name!r} for recording {self.recording_id}")
        # Frozen: normalized values are set through object.__setattr__, once, here.
        object.__setattr__(self, "artists", artists)
        if self.bpm is not None:
            bpm = self.bpm
            if isinstance(bpm, bool) or not isinstance(bpm, int | float):
                raise TypeError(f"bpm must be a number or None, not {type(bpm).__name__}")
            if not (math.isfinite(bpm) and bpm > 0):
                raise ValueError(
                    f"bpm must be a finite number > 0 or None, not {bpm!r} "
                    f"(recording {self.recording_id})"
                )
            object.__setattr__(self, "bpm", float(bpm))
        if self.camelot is not None:
            object.__setattr__(self, "camelot", normalize_camelot(self.camelot))


@dataclass(frozen=True, slots=True)
class Match:
    """A recording that mixes with the reference recording of :meth:`Graph.compatible`.

    - ``bpm``, ``camelot``: the match's own tempo and (canonical) key.
    - ``bpm_delta``: signed relative tempo difference, after bringing the match to the
      reference tempo (doubling a ``"half"``, halving a ``"double"``):
      ``(bpm * factor - reference_bpm) / reference_bpm``; ``0.02`` is 2 % faster.
    - ``key_relation``: ``"same"``, ``"adjacent"`` or ``"relative"`` (see
      :mod:`~tracktion.core.graph.camelot`).
    - ``tempo``: ``"same"``, ``"half"`` or ``"double"`` time (see :data:`TempoRelation`).
    """

    recording_id: UUID
    bpm: float
    camelot: str
    bpm_delta: float
    key_relation: KeyRelation
    tempo: TempoRelation


@dataclass(frozen=True, slots=True)
class Transition:
    """A recording played right after another, ``times`` times over all tracklists."""

    recording_id: UUID
    times: int


@runtime_checkable
class Graph(Protocol):
    """Recordings, artists and the transitions DJs made between recordings in tracklists.

    Identities: recordings by their catalog id; artists by name, ignoring case, Unicode
    compatibility forms and runs of whitespace (``"Bicep"``, ``" BICEP "`` and
    ``"bicep"`` are one artist, displayed as first spelled). Tracklists by their id: their
    transitions belong to them and are replaced as a whole.

    Queries on a recording the graph does not know return empty lists, never an error:
    the graph fills up asynchronously (analysis, imports), so "nothing known yet" is a
    normal answer.

    Errors: a backend that cannot be reached raises
    :class:`~tracktion.core.errors.BackendUnavailableError`; any other backend failure,
    and any call after :meth:`close`, raises :class:`~tracktion.core.errors.BackendError`.
    No driver exception escapes. Every write is one transaction, and idempotent.
    """

    async def upsert_recording(self, node: RecordingNode) -> None:
        """Store ``node``, replacing the recording's title, BPM, key and artist credits
        (a ``None`` field clears the stored value). Its transitions are kept."""
        ...

    async def remove_recording(self, recording_id: UUID) -> None:
        """Forget the recording, its artist credits and every transition from or to it
        (in every tracklist). Artists stay known. Nothing happens for an unknown id."""
        ...

    async def add_tracklist(self, tracklist_id: UUID, recording_ids: Sequence[UUID | None]) -> None:
        """Record the transitions of a tracklist, replacing any it had.

        ``recording_ids`` lists the tracklist's entries in play order; ``None`` is an
        entry that was not identified. Each pair of consecutive identified entries is a
        transition at the position (index) of its first entry; an unidentified entry
        breaks the chain (``[a, None, b]`` has no transition). Recordings the graph does
        not know yet are added without title, artists, BPM or key. Raises ``TypeError``
        for entries that are neither ``UUID`` nor ``None``.
        """
        ...

    async def remove_tracklist(self, tracklist_id: UUID) -> None:
        """Forget the transitions of a tracklist (its recordings stay). Nothing happens
        for an unknown id."""
        ...

    async def get_recording(self, recording_id: UUID) -> RecordingNode | None:
        """The recording as stored (artists by their display names, in credit order), a
        bare node (only the id) for one known from tracklists alone, or ``None``."""
        ...

    async def compatible(
        self,
        recording_id: UUID,
        *,
        bpm_tolerance: float = DEFAULT_BPM_TOLERANCE,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Match]:
        """Recordings that mix with ``recording_id``: a Camelot key compatible with its
        key (same, adjacent or relative) and a BPM within ``bpm_tolerance`` (relative:
        0.06 = ±6 %) of its BPM, or of half or double its BPM.

        The recording itself is excluded. Ordered by key relation (same, adjacent,
        relative), then by ``|bpm_delta|``, then same tempo before half before double
        time, then by id; at most ``limit`` (>= 1). Empty when the recording is unknown or
        has no BPM or no key. Raises ``ValueError`` for ``bpm_tolerance`` outside
        ``[0, 1/3)`` (wider windows would overlap) or ``limit`` < 1.
        """
        ...

    async def played_after(
        self, recording_id: UUID, *, limit: int = DEFAULT_LIMIT
    ) -> list[Transition]:
        """What DJs played right after ``recording_id``: each recording with the number of
        transitions to it over all tracklists, most frequent first, ties by id; at most
        ``limit`` (>= 1, else ``ValueError``). Empty for an unknown recording."""
        ...

    async def artists_of(self, recording_id: UUID) -> list[str]:
        """The recording's artists' display names in credit order (empty if unknown)."""
        ...

    async def recordings_by_artist(self, name: str) -> list[UUID]:
        """Ids of the recordings crediting the artist ``name`` (any spelling), by id."""
        ...

    async def close(self) -> None:
        """Release the implementation's resources (idempotent). Later calls raise
        ``BackendError``."""
        ...


# -- rules shared by the implementations -----------------------------------------------


def check_uuid(value: object, what: str) -> UUID:
    """``value`` if it is a ``UUID``; ``TypeError`` naming ``what`` otherwise."""
    if not isinstance(value, UUID):
        raise TypeError(f"{what} must be a uuid.UUID, not {type(value).__name__}")
    return value


def check_limit(limit: int) -> int:
    """``limit`` if it is an int >= 1; ``TypeError``/``ValueError`` otherwise."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}")
    if limit < 1:
        raise ValueError(f"limit must be >= 1, not {limit}")
    return limit


def check_tolerance(tolerance: float) -> float:
    """``tolerance`` as a float if it lies in ``[0, 1/3)``; ``TypeError``/``ValueError``
    otherwise."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise TypeError(f"bpm_tolerance must be a number, not {type(tolerance).__name__}")
    if not 0 <= tolerance < MAX_BPM_TOLERANCE:
        raise ValueError(
            f"bpm_tolerance must be in [0, 1/3) (0.06 = ±6 %), not {tolerance!r}: wider "
            "windows would overlap half- and double-time"
        )
    return float(tolerance)


def artist_key(name: str) -> str:
    """The identity of an artist name: NFKC-normalized, casefolded, whitespace runs
    collapsed to one space, trimmed. ``" Björk  "`` and ``"BJÖRK"`` share ``"björk"``."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def display_name(name: str) -> str:
    """``name`` with whitespace runs collapsed and trimmed; otherwise as spelled."""
    return " ".join(name.split())


def credited_artists(node: RecordingNode) -> list[tuple[str, str]]:
    """``(artist_key, display_name)`` of the node's artists in credit order, each artist
    once (its first spelling and position)."""
    seen: dict[str, str] = {}
    for name in node.artists:
        seen.setdefault(artist_key(name), display_name(name))
    return list(seen.items())


def tracklist_transitions(
    recording_ids: Sequence[UUID | None],
) -> tuple[list[UUID], list[tuple[int, UUID, UUID]]]:
    """The identified recordings of a tracklist (each once, in order of appearance) and
    its transitions as ``(position, from_id, to_id)``; see :meth:`Graph.add_tracklist`.
    Raises ``TypeError`` for a ``str`` or an entry that is neither ``UUID`` nor ``None``."""
    if isinstance(recording_ids, str | bytes):
        raise TypeError("recording_ids must be a sequence of UUID or None, not a string")
    entries = list(recording_ids)
    for index, entry in enumerate(entries):
        if entry is not None:
            check_uuid(entry, f"recording_ids[{index}]")
    known = list(dict.fromkeys(entry for entry in entries if entry is not None))
    transitions = [
        (position, first, second)
        for position, (first, second) in enumerate(pairwise(entries))
        if first is not None and second is not None
    ]
    return known, transitions


@dataclass(frozen=True, slots=True)
class CompatibilitySearch:
    """The parameters of one :meth:`Graph.compatible` query, derived from the reference
    recording, and the ranking both implementations apply.

    Backends filter and order with the same arithmetic as :meth:`match` and
    :meth:`order_key` (IEEE doubles: ``(bpm * factor - reference) / reference``), so their
    ``LIMIT`` keeps exactly the rows :meth:`rank` would.
    """

    recording_id: UUID
    bpm: float
    camelot: str
    tolerance: float

    @classmethod
    def of(
        cls, recording_id: UUID, bpm: float | None, camelot: str | None, tolerance: float
    ) -> CompatibilitySearch | None:
        """The search around a stored recording, or ``None`` when it has no usable BPM or
        key (nothing can be compatible with it)."""
        if bpm is None or camelot is None or not (math.isfinite(bpm) and bpm > 0):
            return None
        try:
            key = normalize_camelot(camelot)
        except ValueError:
            return None  # written by something other than this package: treat as unknown
        return cls(recording_id, float(bpm), key, tolerance)

    @property
    def key_ranks(self) -> dict[str, int]:
        """Each compatible Camelot code and the rank of its relation (0 = same key)."""
        ranks: dict[str, int] = {}
        for code in sorted(compatible_keys(self.camelot)):
            relation = key_relation(self.camelot, code)
            assert relation is not None  # compatible_keys yields related codes only
            ranks[code] = KEY_RANKS[relation]
        return ranks

    def match(self, recording_id: UUID, bpm: float, camelot: str) -> Match | None:
        """The candidate as a :class:`Match`, or ``None`` if it does not mix."""
        if recording_id == self.recording_id:
            return None
        try:
            relation = key_relation(self.camelot, camelot)
        except ValueError:
            return None
        if relation is None:
            return None
        for tempo, factor in TEMPO_FACTORS:
            delta = (bpm * factor - self.bpm) / self.bpm
            if abs(delta) <= self.tolerance:
                return Match(recording_id, bpm, normalize_camelot(camelot), delta, relation, tempo)
        return None

    @staticmethod
    def order_key(match: Match) -> tuple[int, float, int, int]:
        """Sort key of the result order documented on :meth:`Graph.compatible`."""
        tempo_rank = [tempo for tempo, _ in TEMPO_FACTORS].index(match.tempo)
        return (
            KEY_RANKS[match.key_relation],
            abs(match.bpm_delta),
            tempo_rank,
            match.recording_id.int,
        )

    def rank(self, rows: Iterable[tuple[UUID, float, str]], limit: int) -> list[Match]:
        """The matches among ``(id, bpm, camelot)`` rows, in result order, at most
        ``limit``."""
        matches = [m for row in rows if (m := self.match(*row)) is not None]
        matches.sort(key=self.order_key)
        return matches[:limit]
