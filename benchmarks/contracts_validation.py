"""Messages per second for contract parsing, validation and serialization.

For a file lifecycle event and a CUE generation request, measures on the same JSON bytes:

* ``json.loads``: decoding only, the floor any validation is compared with;
* ``Model.parse``: decoding plus validation into the contract (what a consumer does);
* ``validate_message(..., "auto")``: the same with the type inferred from the message;
* ``to_json()``: serialization of the validated message (what a publisher does).

Each case is warmed up, then timed ``--repeats`` times with ``time.perf_counter`` over a
number of messages calibrated to fill ``--seconds`` in all; the best repeat is kept.

    python benchmarks/contracts_validation.py [--seconds 1.0] [--repeats 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import repeat
from typing import Any

import pydantic

from tracktion.contracts import (
    Contract,
    CueGenerationRequest,
    FileLifecycleEvent,
    validate_message,
)

WARMUP_CALLS = 1_000
CALIBRATION_SECONDS = 0.02


@dataclass(frozen=True)
class Result:
    message: str
    size_bytes: int
    """Length of the message's JSON."""
    case: str
    calls: int
    best_seconds: float
    rate: float
    """Messages per second."""
    microseconds: float
    """Microseconds per message."""
    floor_ratio: float
    """Time per message divided by that of ``json.loads`` on the same bytes."""


def lifecycle_event() -> bytes:
    return FileLifecycleEvent.parse(
        {
            "correlation_id": "72eb81c4-f65e-4ce4-9f9c-0ffb64ba62b3",
            "timestamp": "2025-03-14T21:02:17.512+00:00",
            "event_type": "modified",
            "file_path": "/data/music/techno/Surgeon - Klonk.mp3",
            "size_bytes": 14_726_401,
            "sha256_hash": "002ef40004646e7933ed17842dd5677cbb28871e91ec00962075943dd0c3d8e9",
            "xxh128_hash": "9336ebf25087d91c818ee6e9ec29f8c1",
            "file_type": "mp3",
            "instance_id": "watcher-01",
            "watched_directory": "/data/music",
        }
    ).to_json()


def cue_generation_request() -> bytes:
    return CueGenerationRequest.parse(
        {
            "message_id": "5c261141-b542-4a56-98b9-f50701954ea1",
            "message_type": "cue_generation",
            "timestamp": "2025-03-14T21:07:42.318Z",
            "correlation_id": "cad1b079-ff97-456f-8b50-bd6801d02196",
            "metadata": {"source": "web-ui"},
            "tracklist_id": "2e6a8fc3-71f4-4cae-ac23-f7ddc46780d3",
            "format": "rekordbox",
            "options": {"include_isrc": True},
            "validate_audio": True,
            "audio_file_path": "/data/music/mixes/2025-03-14 Warehouse Closing Set.flac",
            "job_id": "bedcd954-5907-452a-a5e1-4117ba1579e1",
            "requested_by": "dj.marta",
        }
    ).to_json()


def cases(model: type[Contract], data: bytes) -> dict[str, Callable[[], object]]:
    message = model.parse(data)
    return {
        "json.loads (floor)": lambda: json.loads(data),
        f"{model.__name__}.parse": lambda: model.parse(data),
        "validate_message(auto)": lambda: validate_message(data, "auto"),
        "to_json()": message.to_json,
    }


def time_calls(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in repeat(None, calls):
        function()
    return time.perf_counter() - start


def calibrate(function: Callable[[], object], target: float) -> int:
    """About the number of calls that takes ``target`` seconds."""
    calls = 1
    while (elapsed := time_calls(function, calls)) < CALIBRATION_SECONDS:
        calls *= 2
    return max(1, round(calls * target / elapsed))


def measure(function: Callable[[], object], seconds: float, repeats: int) -> tuple[int, float]:
    time_calls(function, WARMUP_CALLS)
    calls = calibrate(function, seconds / repeats)
    return calls, min(time_calls(function, calls) for _ in range(repeats))


def run(seconds: float, repeats: int) -> list[Result]:
    messages: dict[str, tuple[type[Contract], bytes]] = {
        "file_lifecycle": (FileLifecycleEvent, lifecycle_event()),
        "cue_generation": (CueGenerationRequest, cue_generation_request()),
    }
    results: list[Result] = []
    for name, (model, data) in messages.items():
        floor: float | None = None
        for case, function in cases(model, data).items():
            calls, best = measure(function, seconds, repeats)
            per_call = best / calls
            floor = floor or per_call
            results.append(
                Result(
                    message=name,
                    size_bytes=len(data),
                    case=case,
                    calls=calls,
                    best_seconds=best,
                    rate=1 / per_call,
                    microseconds=per_call * 1e6,
                    floor_ratio=per_call / floor,
                )
            )
    return results


def environment() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "pydantic": pydantic.VERSION,
        "machine": platform.machine(),
        "system": platform.system(),
    }


def print_table(results: list[Result]) -> None:
    env = environment()
    print(
        f"Python {env['python']} ({env['implementation']}), pydantic {env['pydantic']}, "
        f"{env['system']} {env['machine']}; best of repeats, ratio to json.loads of the same bytes"
    )
    header = (
        f"{'message':<16} {'bytes':>5}  {'case':<28} {'msg/s':>12} {'µs/msg':>9} {'x floor':>8}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.message:<16} {result.size_bytes:>5}  {result.case:<28} {result.rate:>12,.0f} "
            f"{result.microseconds:>9.2f} {result.floor_ratio:>7.1f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per case (default 1)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (default 5)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.repeats < 1:
        parser.error("--seconds must be positive and --repeats at least 1")

    results = run(args.seconds, args.repeats)
    if args.json:
        document: dict[str, Any] = {
            "environment": environment(),
            "repeats": args.repeats,
            "results": [asdict(result) for result in results],
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
