"""The SQL graph: the embedded default of the graph port, on four tables of the catalog
database (``graph_recordings``, ``graph_artists``, ``graph_recording_artists``,
``graph_transitions``; see :mod:`tracktion.core.catalog.schema`).

It runs on the catalog's engine (SQLite or PostgreSQL, same SQL through SQLAlchemy Core),
so the graph needs no server of its own and its tables are migrated with the catalog's.
Transactions, reconnection and error translation are the catalog's: a write takes
SQLite's write lock up front, a transaction that cannot be started is retried with
back-off within the :class:`~tracktion.core.catalog.ReconnectPolicy`, reads are retried
as a whole, and a write that failed after it was sent is rolled back and reported, never
retried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Float, Integer, case, delete, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..catalog._engine import close_quietly, open_transaction
from ..catalog._resilience import ReconnectPolicy, retrying, translate
from ..catalog.schema import (
    graph_artists,
    graph_recording_artists,
    graph_recordings,
    graph_transitions,
)
from ..errors import BackendError, ConfigurationError
from ._port import (
    DEFAULT_BPM_TOLERANCE,
    DEFAULT_LIMIT,
    TEMPO_FACTORS,
    CompatibilitySearch,
    Match,
    RecordingNode,
    Transition,
    artist_key,
    check_limit,
    check_tolerance,
    check_uuid,
    credited_artists,
    tracklist_transitions,
)

__all__ = ["SqlGraph"]

R = TypeVar("R")

# Rows per multi-row INSERT: far below SQLite's bound-parameter limit (32 766) and
# PostgreSQL's (65 535) whatever the column count.
_CHUNK = 500

_recordings = graph_recordings.c
_artists = graph_artists.c
_credits = graph_recording_artists.c
_transitions = graph_transitions.c


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


class SqlGraph:
    """A :class:`~tracktion.core.graph.Graph` on the graph tables of a catalog database.

    The engine belongs to the caller (normally the catalog store's): :meth:`close` stops
    this graph from using it but does not dispose of it. The database must be migrated
    to the catalog's current revision (``tracktion db upgrade``).

    Writes upsert with the dialect's ``INSERT ... ON CONFLICT``, so concurrent writers
    never fail on a duplicate recording or artist; rows are inserted in key order so two
    PostgreSQL transactions touching the same artists lock them in the same order.
    """

    def __init__(self, engine: AsyncEngine, *, reconnect: ReconnectPolicy | None = None) -> None:
        """Query the graph tables through ``engine`` (an SQLite or PostgreSQL async
        engine, e.g. from the catalog). ``reconnect`` bounds the retries when the
        database cannot be reached (default: :class:`ReconnectPolicy`'s defaults).

        Raises ``ConfigurationError`` for an engine of another database.
        """
        dialect = engine.dialect.name
        if dialect == "sqlite":
            self._insert: Any = sqlite.insert
        elif dialect == "postgresql":
            self._insert = postgresql.insert
        else:
            raise ConfigurationError(
                f"the SQL graph runs on SQLite or PostgreSQL, not {dialect}: "
                "pass the catalog database's engine"
            )
        self._engine = engine
        self._reconnect = ReconnectPolicy() if reconnect is None else reconnect
        self._closed = False

    def __repr__(self) -> str:
        url = self._engine.url.render_as_string(hide_password=True)
        return f"{type(self).__name__}({url!r})"

    # -- transactions ---------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("the SQL graph is closed")

    @asynccontextmanager
    async def _write(self, action: str) -> AsyncIterator[AsyncConnection]:
        """One write transaction, committed when the block ends without error."""
        self._check_open()
        connection = await retrying(
            self._reconnect,
            lambda: open_transaction(self._engine, write=True),
            action=action,
        )
        try:
            yield connection
            await connection.commit()
        except BaseException as exc:
            await close_quietly(connection, rollback=True)
            error = translate(exc, action)
            if error is None:
                raise
            raise error from exc
        await close_quietly(connection)

    async def _read(self, action: str, query: Callable[[AsyncConnection], Awaitable[R]]) -> R:
        """``query`` in a read-only transaction, retried as a whole when the database
        cannot be reached (a read has no effect to duplicate)."""

        async def attempt() -> R:
            self._check_open()
            connection = await open_transaction(self._engine, write=False)
            try:
                result = await query(connection)
            except BaseException as exc:
                await close_quietly(connection, rollback=True)
                error = translate(exc, action)
                if error is None:
                    raise
                raise error from exc
            await close_quietly(connection, rollback=True)
            return result

        return await retrying(self._reconnect, attempt, action=action)

    # -- writes -----------------------------------------------------------------------

    async def upsert_recording(self, node: RecordingNode) -> None:
        """See :meth:`Graph.upsert_recording`."""
        if not isinstance(node, RecordingNode):
            raise TypeError(f"expected a RecordingNode, not {type(node).__name__}")
        artists = credited_artists(node)
        async with self._write("storing a graph recording") as connection:
            statement = self._insert(graph_recordings).values(
                recording_id=node.recording_id,
                title=node.title,
                bpm=node.bpm,
                camelot=node.camelot,
                updated_at=datetime.now(UTC),
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[_recordings.recording_id],
                    set_={
                        "title": statement.excluded.title,
                        "bpm": statement.excluded.bpm,
                        "camelot": statement.excluded.camelot,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )
            await connection.execute(
                delete(graph_recording_artists).where(_credits.recording_id == node.recording_id)
            )
            if not artists:
                return
            ids = await self._artist_ids(connection, artists)
            await connection.execute(
                graph_recording_artists.insert(),
                [
                    {"recording_id": node.recording_id, "artist_id": ids[key], "position": i}
                    for i, (key, _) in enumerate(artists)
                ],
            )

    async def _artist_ids(
        self, connection: AsyncConnection, artists: list[tuple[str, str]]
    ) -> dict[str, UUID]:
        """The ids of the artists ``(name_key, name)``, adding those not known yet (with
        this spelling: the first spelling stays the display name)."""
        rows = [{"id": uuid4(), "name": name, "name_key": key} for key, name in sorted(artists)]
        await connection.execute(
            self._insert(graph_artists)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[_artists.name_key])
        )
        # A new statement: on PostgreSQL it sees rows a concurrent writer committed while
        # our insert waited for it.
        found = await connection.execute(
            select(_artists.name_key, _artists.id).where(
                _artists.name_key.in_([key for key, _ in artists])
            )
        )
        return {row.name_key: row.id for row in found}

    async def remove_recording(self, recording_id: UUID) -> None:
        """See :meth:`Graph.remove_recording`."""
        check_uuid(recording_id, "recording_id")
        async with self._write("removing a graph recording") as connection:
            # Transitions reference the recording without ON DELETE CASCADE: go first.
            await connection.execute(
                delete(graph_transitions).where(
                    or_(
                        _transitions.from_recording == recording_id,
                        _transitions.to_recording == recording_id,
                    )
                )
            )
            # Credits cascade on delete, but only where SQLite enforces foreign keys.
            await connection.execute(
                delete(graph_recording_artists).where(_credits.recording_id == recording_id)
            )
            await connection.execute(
                delete(graph_recordings).where(_recordings.recording_id == recording_id)
            )

    async def add_tracklist(self, tracklist_id: UUID, recording_ids: Sequence[UUID | None]) -> None:
        """See :meth:`Graph.add_tracklist`."""
        check_uuid(tracklist_id, "tracklist_id")
        known, transitions = tracklist_transitions(recording_ids)
        now = datetime.now(UTC)
        async with self._write("storing a tracklist's transitions") as connection:
            bare = [{"recording_id": rid, "updated_at": now} for rid in sorted(known)]
            for chunk in _chunks(bare):
                await connection.execute(
                    self._insert(graph_recordings)
                    .values(list(chunk))
                    .on_conflict_do_nothing(index_elements=[_recordings.recording_id])
                )
            await connection.execute(
                delete(graph_transitions).where(_transitions.tracklist_id == tracklist_id)
            )
            if transitions:
                await connection.execute(
                    graph_transitions.insert(),
                    [
                        {
                            "tracklist_id": tracklist_id,
                            "position": position,
                            "from_recording": first,
                            "to_recording": second,
                        }
                        for position, first, second in transitions
                    ],
                )

    async def remove_tracklist(self, tracklist_id: UUID) -> None:
        """See :meth:`Graph.remove_tracklist`."""
        check_uuid(tracklist_id, "tracklist_id")
        async with self._write("removing a tracklist's transitions") as connection:
            await connection.execute(
                delete(graph_transitions).where(_transitions.tracklist_id == tracklist_id)
            )

    # -- queries ----------------------------------------------------------------------

    async def get_recording(self, recording_id: UUID) -> RecordingNode | None:
        """See :meth:`Graph.get_recording`."""
        check_uuid(recording_id, "recording_id")

        async def query(connection: AsyncConnection) -> RecordingNode | None:
            row = (
                await connection.execute(
                    select(_recordings.title, _recordings.bpm, _recordings.camelot).where(
                        _recordings.recording_id == recording_id
                    )
                )
            ).first()
            if row is None:
                return None
            names = await connection.execute(_artist_names(recording_id))
            return RecordingNode(
                recording_id,
                title=row.title,
                artists=tuple(names.scalars()),
                bpm=row.bpm,
                camelot=row.camelot,
            )

        return await self._read("reading a graph recording", query)

    async def compatible(
        self,
        recording_id: UUID,
        *,
        bpm_tolerance: float = DEFAULT_BPM_TOLERANCE,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Match]:
        """See :meth:`Graph.compatible`."""
        check_uuid(recording_id, "recording_id")
        tolerance = check_tolerance(bpm_tolerance)
        check_limit(limit)

        async def query(connection: AsyncConnection) -> list[Match]:
            reference = (
                await connection.execute(
                    select(_recordings.bpm, _recordings.camelot).where(
                        _recordings.recording_id == recording_id
                    )
                )
            ).first()
            if reference is None:
                return []
            search = CompatibilitySearch.of(
                recording_id, reference.bpm, reference.camelot, tolerance
            )
            if search is None:
                return []
            rows = await connection.execute(_candidates(search, limit))
            return search.rank(((r.recording_id, r.bpm, r.camelot) for r in rows), limit)

        return await self._read("finding compatible recordings", query)

    async def played_after(
        self, recording_id: UUID, *, limit: int = DEFAULT_LIMIT
    ) -> list[Transition]:
        """See :meth:`Graph.played_after`."""
        check_uuid(recording_id, "recording_id")
        check_limit(limit)
        times = func.count().label("times")
        statement = (
            select(_transitions.to_recording, times)
            .where(_transitions.from_recording == recording_id)
            .group_by(_transitions.to_recording)
            .order_by(times.desc(), _transitions.to_recording)
            .limit(limit)
        )

        async def query(connection: AsyncConnection) -> list[Transition]:
            rows = await connection.execute(statement)
            return [Transition(row.to_recording, int(row.times)) for row in rows]

        return await self._read("finding what was played after a recording", query)

    async def artists_of(self, recording_id: UUID) -> list[str]:
        """See :meth:`Graph.artists_of`."""
        check_uuid(recording_id, "recording_id")

        async def query(connection: AsyncConnection) -> list[str]:
            return list((await connection.execute(_artist_names(recording_id))).scalars())

        return await self._read("listing a recording's artists", query)

    async def recordings_by_artist(self, name: str) -> list[UUID]:
        """See :meth:`Graph.recordings_by_artist`."""
        if not isinstance(name, str):
            raise TypeError(f"an artist name is a str, not {type(name).__name__}")
        statement = (
            select(_credits.recording_id)
            .join(graph_artists, _credits.artist_id == _artists.id)
            .where(_artists.name_key == artist_key(name))
            .order_by(_credits.recording_id)
        )

        async def query(connection: AsyncConnection) -> list[UUID]:
            return list((await connection.execute(statement)).scalars())

        return await self._read("listing an artist's recordings", query)

    async def close(self) -> None:
        """See :meth:`Graph.close`; the engine is left to its owner."""
        self._closed = True


def _artist_names(recording_id: UUID) -> Any:
    """The display names of a recording's artists, in credit order."""
    return (
        select(_artists.name)
        .join(graph_recording_artists, _credits.artist_id == _artists.id)
        .where(_credits.recording_id == recording_id)
        .order_by(_credits.position)
    )


def _candidates(search: CompatibilitySearch, limit: int) -> Any:
    """The ``(recording_id, bpm, camelot)`` rows that :meth:`CompatibilitySearch.rank`
    keeps, in its order, at most ``limit``: the same filter and sort computed in SQL."""
    reference = literal(search.bpm, Float)
    tolerance = literal(search.tolerance, Float)
    # One relative delta per tempo relation, in TEMPO_FACTORS order; with a tolerance
    # below 1/3 at most one of them is within it.
    distances: list[ColumnElement[Any]] = [
        func.abs((_recordings.bpm * literal(factor, Float) - reference) / reference)
        for _, factor in TEMPO_FACTORS
    ]
    within = [distance <= tolerance for distance in distances]
    tempo_rank = case(
        *((fits, literal(rank, Integer)) for rank, fits in enumerate(within)),
    )
    distance = case(*zip(within, distances, strict=True))
    key_rank = case(
        *(
            (_recordings.camelot == code, literal(rank, Integer))
            for code, rank in search.key_ranks.items()
        ),
    )
    return (
        select(_recordings.recording_id, _recordings.bpm, _recordings.camelot)
        .where(
            _recordings.camelot.in_(list(search.key_ranks)),
            _recordings.bpm.is_not(None),
            _recordings.recording_id != search.recording_id,
            or_(*within),
        )
        .order_by(key_rank, distance, tempo_rank, _recordings.recording_id)
        .limit(limit)
    )
