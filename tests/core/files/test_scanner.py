"""Scanning library roots: events with every contract field, rescans that read nothing,
moves recognized by content, problems reported without stopping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracktion.contracts import FileDiscoveredEvent, FileLifecycleEvent
from tracktion.core.catalog import CatalogStore
from tracktion.core.files import (
    LibraryEvent,
    LibraryScanner,
    ProblemKind,
    ScanError,
    ScanOptions,
    ScanProblem,
    apply_events,
    lifecycle_id,
)
from tracktion.core.files import scanner as scanner_module
from tracktion.core.hashing import HashingError, hash_file

from .helpers import write

pytestmark = pytest.mark.anyio


async def run_scan(
    roots: list[Path], store: CatalogStore | None = None, **options: object
) -> tuple[LibraryScanner, list[LibraryEvent], list[ScanProblem]]:
    scanner = LibraryScanner(roots, known=store, options=ScanOptions(**options))  # type: ignore[arg-type]
    events: list[LibraryEvent] = []
    problems: list[ScanProblem] = []
    async for item in scanner.scan():
        (events if isinstance(item, LibraryEvent) else problems).append(item)  # type: ignore[arg-type]
    if store is not None:
        await apply_events(store, events)
    return scanner, events, problems


async def test_initial_scan_discovers_audio_with_every_field(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    data = write(root / "House" / "track.M4A")
    write(root / "cover.jpg")
    write(root / "House" / "track2.mp3.part")
    write(root / "_Serato_" / "x.mp3")
    scanner, events, problems = await run_scan([root], instance_id="watcher-1")
    assert problems == []
    [event] = events
    message = event.message
    assert isinstance(message, FileDiscoveredEvent)
    path = str(root / "House" / "track.M4A")
    digest = hash_file(path)
    assert message.file_info.path == path
    assert message.file_info.extension == ".M4A"
    assert message.file_info.size_bytes == len(data)
    assert (message.file_info.sha256_hash, message.file_info.xxh128_hash) == (
        digest.sha256,
        digest.xxh128,
    )
    assert (message.file_type, message.format_family) == ("m4a", "mp4")
    assert message.instance_id == "watcher-1"
    assert message.watched_directory == str(root)
    assert message.correlation_id == lifecycle_id(path, digest.sha256)
    assert event.mtime_ns == os.stat(path).st_mtime_ns
    assert event.routing_key == "file.discovered"
    assert scanner.stats.files == 1
    assert scanner.stats.hashed == 1
    assert scanner.stats.ignored == 1  # the _Serato_ folder


async def test_message_ids_depend_on_the_file_not_on_the_scan(tmp_path: Path) -> None:
    write(tmp_path / "a.mp3")
    _, first, _ = await run_scan([tmp_path], instance_id="one")
    _, second, _ = await run_scan([tmp_path], instance_id="two")
    assert first[0].message_id == second[0].message_id
    assert first[0].message.correlation_id == second[0].message.correlation_id
    (tmp_path / "a.mp3").unlink()
    write(tmp_path / "a.mp3", b"other")
    _, third, _ = await run_scan([tmp_path])
    assert third[0].message_id != first[0].message_id


async def test_rescan_of_an_unchanged_library_reads_nothing(
    tmp_path: Path, catalog: CatalogStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(30):
        write(tmp_path / f"d{n % 3}" / f"t{n}.flac", size=100 + n)
    first, events, _ = await run_scan([tmp_path], catalog)
    assert (first.stats.hashed, len(events)) == (30, 30)

    def no_hashing(path: str) -> None:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(scanner_module, "hash_file", no_hashing)
    again, events, problems = await run_scan([tmp_path], catalog)
    assert events == []
    assert problems == []
    assert (again.stats.files, again.stats.skipped_unchanged, again.stats.hashed) == (30, 30, 0)


async def test_changes_while_nobody_watched(tmp_path: Path, catalog: CatalogStore) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for name in ("keep", "renamed", "moved", "deleted", "changed"):
        write(a / f"{name}.mp3")
    await run_scan([a, b], catalog)
    b.mkdir()
    (a / "renamed.mp3").rename(a / "renamed2.mp3")
    (a / "moved.mp3").rename(b / "moved.mp3")  # to another root
    (a / "deleted.mp3").unlink()
    write(a / "changed.mp3", b"new content")
    write(a / "copy.mp3", (a / "keep.mp3").read_bytes())
    scanner, events, _ = await run_scan([a, b], catalog)
    seen = {
        (e.kind, os.path.basename(e.path), e.old_path and os.path.basename(e.old_path))
        for e in events
    }
    assert seen == {
        ("renamed", "renamed2.mp3", "renamed.mp3"),
        ("moved", "moved.mp3", "moved.mp3"),
        ("deleted", "deleted.mp3", None),
        ("modified", "changed.mp3", None),
        ("discovered", "copy.mp3", None),
    }
    moved = next(e for e in events if e.kind == "moved")
    assert isinstance(moved.message, FileLifecycleEvent)
    assert moved.root == str(b)
    assert moved.message.correlation_id == lifecycle_id(str(a / "moved.mp3"), moved.sha256 or "")
    deleted = next(e for e in events if e.kind == "deleted")
    assert isinstance(deleted.message, FileLifecycleEvent)
    assert deleted.message.sha256_hash is None
    assert deleted.message.file_type == "mp3"
    assert scanner.stats.skipped_unchanged == 1
    record = await catalog.get_file(str(b / "moved.mp3"))
    assert record is not None
    history = await catalog.file_moves(record.id)
    assert [(m.old_path, m.new_path) for m in history] == [
        (str(a / "moved.mp3"), str(b / "moved.mp3"))
    ]
    [group] = await catalog.duplicates()
    assert {f.path for f in group.files} == {str(a / "keep.mp3"), str(a / "copy.mp3")}


async def test_missing_root_is_a_problem_and_deletes_nothing(
    tmp_path: Path, catalog: CatalogStore
) -> None:
    root = tmp_path / "usb"
    write(root / "a.mp3")
    await run_scan([root], catalog)
    root.rename(tmp_path / "unplugged")
    _, events, problems = await run_scan([root], catalog)
    assert events == []
    assert [p.kind for p in problems] == [ProblemKind.ROOT_MISSING]
    assert await catalog.get_file(str(root / "a.mp3")) is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
async def test_unreadable_files_and_folders_are_problems(
    tmp_path: Path, catalog: CatalogStore
) -> None:
    write(tmp_path / "locked" / "a.mp3")
    await run_scan([tmp_path], catalog)
    write(tmp_path / "secret.mp3")
    (tmp_path / "secret.mp3").chmod(0)
    (tmp_path / "locked").chmod(0)
    try:
        _, events, problems = await run_scan([tmp_path], catalog)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert {p.kind for p in problems} == {ProblemKind.UNREADABLE}
    assert {p.path for p in problems} == {str(tmp_path / "locked"), str(tmp_path / "secret.mp3")}
    assert events == []  # the locked folder's file is not taken for deleted


async def test_symlink_loops_and_broken_links_are_problems(tmp_path: Path) -> None:
    write(tmp_path / "music" / "a.mp3")
    (tmp_path / "music" / "loop").symlink_to(tmp_path / "music")
    (tmp_path / "music" / "dangling.mp3").symlink_to(tmp_path / "nowhere.mp3")
    (tmp_path / "elsewhere").mkdir()
    write(tmp_path / "elsewhere" / "b.mp3")
    (tmp_path / "music" / "linked").symlink_to(tmp_path / "elsewhere")
    _, events, problems = await run_scan([tmp_path / "music"])
    assert {os.path.relpath(e.path, tmp_path) for e in events} == {
        "music/a.mp3",
        "music/linked/b.mp3",
    }
    assert {(p.kind, os.path.basename(p.path)) for p in problems} == {
        (ProblemKind.SYMLINK_LOOP, "loop"),
        (ProblemKind.BROKEN_SYMLINK, "dangling.mp3"),
    }


async def test_a_file_vanishing_while_hashed_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.mp3")
    write(tmp_path / "b.mp3")
    real = hash_file

    def vanishing(path: str) -> object:
        if path.endswith("a.mp3"):
            os.unlink(path)
        return real(path)

    monkeypatch.setattr(scanner_module, "hash_file", vanishing)
    scanner, events, problems = await run_scan([tmp_path])
    assert [os.path.basename(e.path) for e in events] == ["b.mp3"]
    assert [(p.kind, os.path.basename(p.path)) for p in problems] == [
        (ProblemKind.VANISHED, "a.mp3")
    ]
    assert scanner.stats.errors == 1


def test_roots_must_not_nest(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="inside library root"):
        LibraryScanner([tmp_path, tmp_path / "sub"])
    with pytest.raises(ScanError, match="at least one"):
        LibraryScanner([])


async def test_permission_errors_are_problems_and_protect_known_files(
    tmp_path: Path, catalog: CatalogStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the root user (CI containers) nothing is unreadable: deny through the calls.
    write(tmp_path / "locked" / "a.mp3")
    await run_scan([tmp_path], catalog)
    write(tmp_path / "secret.mp3")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    def denied(path: str) -> object:
        if path.endswith("secret.mp3"):
            raise HashingError(13, f"{path}: cannot be read: Permission denied")
        return hash_file(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(scanner_module, "hash_file", denied)
    _, events, problems = await run_scan([tmp_path], catalog)
    assert {(p.kind, os.path.basename(p.path)) for p in problems} == {
        (ProblemKind.UNREADABLE, "locked"),
        (ProblemKind.UNREADABLE, "secret.mp3"),
    }
    assert events == []
    assert await catalog.get_file(str(tmp_path / "locked" / "a.mp3")) is not None
