"""The whole system end to end: file landing -> ``analysis_complete`` on the WebSocket.

    python -m benchmarks.system_end_to_end [--files 200] [--latency-runs 10] [--json]
        [--distributed AMQP_URL POSTGRES_URL REDIS_URL]

Measured, each beside its floor in the same run:

- latency from a 60 s track landing in the library (atomic rename) to its
  ``analysis_complete`` on a WebSocket subscriber, median and p99, on the embedded
  defaults; floor: the watcher's stability window (2 s: a file must stay unchanged that
  long before it is read) plus ``analyze_file`` of the same track in one warm process;
- files per minute for ``--files`` 10 s tracks copied in at once, end to end; embedded
  (``tracktion up``, 2 analysis processes) and, with ``--distributed``, every service in
  its own process over RabbitMQ + PostgreSQL + Redis with 1 and with 2 analysis workers;
  floor: the batch analyzer's worker function in a warm pool of 2 processes, no cache,
  on as many other tracks of the same kind.

Every track has content of its own (a copy of content already cataloged reuses its
analysis and is never analyzed again).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import os
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from tests.audio.signals import techno, write_wav
from tests.system.processes import Process, free_port, tracktion
from tracktion.audio import BatchOptions, analyze_file
from tracktion.audio.batch import analyze_one, process_pool
from tracktion.core.catalog import recording_id_for

SR = 22050
TOKEN = "benchmark-token"
STABILITY_S = 2.0
"""The watcher's default stability window: a landed file waits this long unchanged."""


_SEEDS = itertools.count()


def make_tracks(directory: Path, count: int, seconds: float, prefix: str) -> list[Path]:
    """``count`` techno tracks, each with content no other track of the run has: a copy of
    content already in the catalog reuses its analysis, so it would never be analyzed."""
    directory.mkdir(parents=True, exist_ok=True)
    tracks = []
    for index in range(count):
        seed = next(_SEEDS)
        tracks.append(
            write_wav(
                directory / f"{prefix} {index:04d}.wav",
                techno(seconds, SR, bpm=100.0 + (seed % 60), seed=seed),
                SR,
            )
        )
    return tracks


def recording_of(path: Path) -> str:
    return str(recording_id_for(hashlib.sha256(path.read_bytes()).hexdigest()))


async def land_and_wait(url: str, library: Path, tracks: list[Path]) -> dict[str, float]:
    """Subscribe to every track's recording, move them into ``library`` (one at a time for
    one track, all at once for many), and return each recording's seconds from landing to
    ``analysis_complete``."""
    ids = {recording_of(path): path for path in tracks}
    landed: dict[str, float] = {}
    done: dict[str, float] = {}
    async with connect(f"ws://{url}/v1/ws?token={TOKEN}", max_size=None) as ws:
        await ws.recv()  # welcome
        for rid in ids:
            # The server allows a client 20 messages a second (a burst of 40): a refused
            # subscription is sent again after a pause.
            while True:
                await ws.send(json.dumps({"type": "subscribe", "recording_id": rid}))
                answer = json.loads(await ws.recv())
                if answer.get("type") == "subscribed":
                    break
                await asyncio.sleep(0.1)
        for rid, path in ids.items():
            os.utime(path)  # mtime "now": the watcher's whole stability window applies
            path.replace(library / path.name)  # atomic: the watcher sees a whole file
            landed[rid] = time.perf_counter()
        while len(done) < len(ids):
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=600))
            data = message.get("data", {})
            if (
                data.get("type") in ("analysis_complete", "error")
                and message["recording_id"] in ids
            ):
                done.setdefault(message["recording_id"], time.perf_counter())
    return {rid: done[rid] - landed[rid] for rid in ids}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def embedded(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    library = work / "embedded-library"
    library.mkdir()
    port = free_port()
    env = {
        "TRACKTION_DATA_DIR": str(work / "embedded-data"),
        "TRACKTION_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'embedded.db'}",
        "TRACKTION_API_TOKENS": TOKEN,
        "TRACKTION_ANALYSIS_WORKERS": "2",
    }
    process = Process(
        ["up", str(library), "--port", str(port), "--log-level", "warning"], env, "up"
    )
    try:
        process.wait_for("Tracktion is up", timeout=120)
        url = f"127.0.0.1:{port}"
        latencies: list[float] = []
        floors: list[float] = []
        for run in range(args.latency_runs):
            [track] = make_tracks(work / f"latency-{run}", 1, 60.0, f"latency {run}")
            start = time.perf_counter()
            analyze_file(track)
            floors.append(time.perf_counter() - start)
            latencies.extend(asyncio.run(land_and_wait(url, library, [track])).values())
        tracks = make_tracks(work / "throughput", args.files, 10.0, "embedded")
        start = time.perf_counter()
        asyncio.run(land_and_wait(url, library, tracks))
        throughput = args.files / (time.perf_counter() - start) * 60
    finally:
        process.stop()
    return {
        "latency_median_s": statistics.median(latencies),
        "latency_p99_s": percentile(latencies, 0.99),
        "analysis_alone_median_s": statistics.median(floors),
        "embedded_files_per_min": throughput,
    }


def distributed(work: Path, args: argparse.Namespace, workers: int) -> float:
    import asyncpg
    from sqlalchemy import make_url

    amqp, postgres, redis = args.distributed
    name = f"tracktion_bench_{uuid.uuid4().hex[:10]}"

    async def database(sql: str) -> None:
        connection = await asyncpg.connect(postgres)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(database(f'CREATE DATABASE "{name}"'))
    library = work / f"distributed-{workers}"
    library.mkdir()
    port = free_port()
    env = {
        "TRACKTION_BROKER_URL": amqp,
        "TRACKTION_DATABASE_URL": make_url(postgres)
        .set(database=name)
        .render_as_string(hide_password=False),
        "TRACKTION_CACHE_URL": redis,
        "TRACKTION_NAME_PREFIX": f"bench{uuid.uuid4().hex[:6]}.",
        "TRACKTION_LIBRARY_ROOTS": json.dumps([str(library)]),
        "TRACKTION_DATA_DIR": str(work / "distributed-data"),
        "TRACKTION_API_TOKENS": TOKEN,
        "TRACKTION_ANALYSIS_WORKERS": "1",
    }
    try:
        tracktion(["db", "upgrade"], env)
        with ExitStack() as stack:
            names = ["cataloging", "rename", "tracklist", "notification"]
            names += ["analysis"] * workers
            processes = [Process(["worker", n, "--log-level", "warning"], env, n) for n in names]
            api = Process(["api", "--port", str(port)], env, "api")
            for process in [*processes, api]:
                stack.callback(process.stop)
            api.wait_for("Tracktion API", timeout=120)
            time.sleep(5)  # workers subscribe after importing the analysis stack
            watcher = Process(["worker", "watcher"], env, "watcher")
            stack.callback(watcher.stop)
            watcher.wait_for("watching", timeout=120)
            tracks = make_tracks(work / f"distributed-tracks-{workers}", args.files, 10.0, "dist")
            start = time.perf_counter()
            asyncio.run(land_and_wait(f"127.0.0.1:{port}", library, tracks))
            return float(args.files / (time.perf_counter() - start) * 60)
    finally:
        asyncio.run(database(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def batch_floor(tracks: list[Path], workers: int = 2) -> float:
    """Files per minute of the batch analyzer's worker function on ``tracks`` in a warm
    pool of ``workers`` processes (imports and JIT compilation done before timing), as
    the running system's analysis processes are: what the system could do at best."""
    analyze = partial(analyze_one, options=BatchOptions())
    with process_pool(workers) as pool:
        for item in pool.map(analyze, [str(p) for p in tracks[:workers]]):
            assert item.error is None, item.error
        start = time.perf_counter()
        for item in pool.map(analyze, [str(p) for p in tracks]):
            assert item.error is None, item.error
        return len(tracks) / (time.perf_counter() - start) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--latency-runs", type=int, default=10)
    parser.add_argument("--distributed", nargs=3, metavar=("AMQP", "POSTGRES", "REDIS"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        results: dict[str, Any] = {
            "batch_floor_files_per_min": batch_floor(
                make_tracks(work / "batch", args.files, 10.0, "batch")
            ),
            "stability_window_s": STABILITY_S,
        }
        results.update(embedded(work, args))
        if args.distributed:
            for workers in (1, 2):
                results[f"distributed_{workers}_workers_files_per_min"] = distributed(
                    work, args, workers
                )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    floor = results["batch_floor_files_per_min"]
    latency_floor = STABILITY_S + results["analysis_alone_median_s"]
    print(
        f"landing -> analysis_complete (60 s track): median {results['latency_median_s']:.2f} s,"
        f" p99 {results['latency_p99_s']:.2f} s; floor {latency_floor:.2f} s"
        f" (stability window {STABILITY_S:.1f} s + analysis alone"
        f" {results['analysis_alone_median_s']:.2f} s)"
    )
    print(f"batch analyzer floor (warm pool, 2 processes): {floor:.0f} files/min")
    for key, value in results.items():
        if key.endswith("files_per_min") and key != "batch_floor_files_per_min":
            print(f"{key}: {value:.0f} files/min ({value / floor:.2f}x the floor)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
