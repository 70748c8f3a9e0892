"""Library scan speed: an initial scan and an unchanged rescan, beside ``os.walk`` + ``stat``.

    python benchmarks/scan.py [--files 20000] [--kib 4] [--json]

A library of ``--files`` small files (random bytes, ``--kib`` KiB each, 100 per folder)
is generated in a temporary directory; the page cache is warm for every case. Cases:

* ``os.walk + stat (floor)``: listing and one ``os.stat`` per file, nothing else: the
  least any scanner must do (best of three);
* ``initial scan``: :class:`~tracktion.core.files.LibraryScanner` against an empty
  catalog: list, stat, hash every file (SHA-256 + XXH3-128, one read), make the events;
* ``initial scan + catalog``: the same events applied to a SQLite catalog in batches of
  2000 (what ``tracktion scan`` does);
* ``unchanged rescan``: a new scanner against that catalog: reads the catalog's scan
  state, lists and stats, and must hash nothing (asserted).

Rates are files per second; the ratio is the case's time per file over the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from tracktion.core.catalog import open_catalog
from tracktion.core.files import LibraryEvent, LibraryScanner, apply_events


def generate(root: Path, files: int, kib: int) -> None:
    for n in range(files):
        folder = root / f"artist{n // 1000:03d}" / f"album{(n // 100) % 10:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"track{n:06d}.mp3").write_bytes(os.urandom(kib * 1024))


def walk_and_stat(root: Path) -> int:
    count = 0
    for directory, _, names in os.walk(root):
        for name in names:
            os.stat(os.path.join(directory, name))
            count += 1
    return count


async def run(files: int, kib: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary) / "library"
        generate(root, files, kib)
        floor = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            assert walk_and_stat(root) == files
            floor = min(floor, time.perf_counter() - start)
        async with await open_catalog(f"sqlite+aiosqlite:///{temporary}/catalog.db") as store:
            scanner = LibraryScanner([root], known=store)
            start = time.perf_counter()
            events = [item async for item in scanner.scan() if isinstance(item, LibraryEvent)]
            initial = time.perf_counter() - start
            assert scanner.stats.hashed == files, scanner.stats
            start = time.perf_counter()
            for offset in range(0, len(events), 2000):
                await apply_events(store, events[offset : offset + 2000])
            cataloging = time.perf_counter() - start
            rescanner = LibraryScanner([root], known=store)
            start = time.perf_counter()
            again = [item async for item in rescanner.scan()]
            rescan = time.perf_counter() - start
            assert again == [], again[:3]
            assert rescanner.stats.hashed == 0, rescanner.stats
            assert rescanner.stats.skipped_unchanged == files, rescanner.stats
    cases = {
        "os.walk + stat (floor)": floor,
        "initial scan": initial,
        "initial scan + catalog": initial + cataloging,
        "unchanged rescan": rescan,
    }
    return {
        "files": files,
        "kib_per_file": kib,
        "python": platform.python_version(),
        "cases": {
            name: {"seconds": seconds, "files_per_s": files / seconds, "vs_floor": seconds / floor}
            for name, seconds in cases.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--kib", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.files, args.kib))
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(f"{args.files} files of {args.kib} KiB")
    print(f"{'case':<26} {'seconds':>8} {'files/s':>10} {'x floor':>8}")
    for name, case in result["cases"].items():  # type: ignore[attr-defined]
        print(
            f"{name:<26} {case['seconds']:>8.2f} {case['files_per_s']:>10,.0f} "
            f"{case['vs_floor']:>8.1f}"
        )


if __name__ == "__main__":
    main()
