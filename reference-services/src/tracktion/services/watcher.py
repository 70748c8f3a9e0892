"""The watcher service: scans the library roots, then watches them, publishing file events.

Thin wiring of :class:`tracktion.core.files.LibraryWatcher` to the bus: every event is
published on the file events exchange with its content-derived ``message_id`` (two
watchers of one folder, or a watcher restarted mid-scan, publish the same ids for the
same observations, and the cataloging service applies each once) and the file's mtime
in the :data:`~tracktion.core.files.MTIME_HEADER` header. The catalog is read, never
written: its scan state lets a restart skip unchanged files.

A publish that fails (the broker is gone after the bus's own retries) stops the
service with the error; nothing is lost, since the next start rescans against the
catalog, which only changes when cataloging has applied an event.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracktion.core.bus import MessageBus
from tracktion.core.catalog import CatalogStore
from tracktion.core.errors import ConfigurationError
from tracktion.core.files import (
    IgnoreRules,
    LibraryEvent,
    LibraryWatcher,
    ScanOptions,
    ScanProblem,
    WatchOptions,
    normalize_roots,
)

from .runtime import Ports

__all__ = ["WatcherOptions", "WatcherService", "build", "default_instance_id"]

log = logging.getLogger("tracktion.services.watcher")


def default_instance_id() -> str:
    """``watcher-<host name>``: distinct per machine, stable across restarts."""
    host = "".join(c if c.isalnum() or c in "._-" else "-" for c in socket.gethostname())
    return f"watcher-{host or 'local'}"[:255]


@dataclass(frozen=True, slots=True)
class WatcherOptions:
    """What and how to watch.

    Attributes:
        roots: The library roots (folders); nested roots are refused.
        instance_id: This watcher's identity in its events (``watcher-<host>``).
        stability_s: Seconds a file must stay unchanged before it is hashed.
        ignore_globs: Extra globs of paths to leave out (on top of the built-in rules).
        hash_workers: Threads hashing at once.
        debounce_ms: How long file-system notifications are gathered into a batch.
        force_polling: Poll the roots instead of OS notifications (network shares).
    """

    roots: Sequence[str]
    instance_id: str = field(default_factory=default_instance_id)
    stability_s: float = 2.0
    ignore_globs: Sequence[str] = ()
    hash_workers: int = 4
    debounce_ms: int = 200
    force_polling: bool | None = None

    def watch_options(self) -> WatchOptions:
        """The library watcher's options."""
        return WatchOptions(
            scan=ScanOptions(
                instance_id=self.instance_id,
                ignore=IgnoreRules(globs=tuple(self.ignore_globs)),
                hash_workers=self.hash_workers,
            ),
            stability_s=self.stability_s,
            debounce_ms=self.debounce_ms,
            force_polling=self.force_polling,
        )


class WatcherService:
    """Publishes the events of a :class:`LibraryWatcher` (see the module docs).

    Attributes:
        problems: Every problem reported so far (also logged).
    """

    def __init__(self, bus: MessageBus, catalog: CatalogStore | None, options: WatcherOptions):
        """Raises ``ConfigurationError`` for no roots or nested roots."""
        try:
            normalize_roots(options.roots)
        except ValueError as exc:
            raise ConfigurationError(f"watcher: {exc}") from None
        self._bus = bus
        self.problems: list[ScanProblem] = []
        self.watcher = LibraryWatcher(
            options.roots,
            emit=self._publish,
            known=catalog,
            options=options.watch_options(),
            on_problem=self.problems.append,
        )

    async def run(self) -> None:
        """Scan, then watch until cancelled."""
        log.info(
            "watcher %s: watching %s",
            self.watcher.options.scan.instance_id,
            ", ".join(self.watcher.roots),
        )
        await self.watcher.run()

    async def _publish(self, event: LibraryEvent) -> None:
        await self._bus.publish(event.message, message_id=event.message_id, headers=event.headers())


def build(ports: Ports) -> WatcherService:
    """The watcher service on ``ports``; its roots and instance id come from the settings'
    ``library_roots`` and ``watcher_instance_id`` (``TRACKTION_LIBRARY_ROOTS``...).

    Raises ``ConfigurationError`` when no library root is configured.
    """
    settings = ports.settings
    roots: Sequence[str] = getattr(settings, "library_roots", None) or ()
    if not roots:
        raise ConfigurationError(
            "the watcher needs library roots: set TRACKTION_LIBRARY_ROOTS or run "
            "`tracktion watch ROOT...`"
        )
    instance_id: str = getattr(settings, "watcher_instance_id", None) or default_instance_id()
    return WatcherService(
        ports.bus,
        ports.catalog,
        WatcherOptions(roots=[os.fspath(root) for root in roots], instance_id=instance_id),
    )
