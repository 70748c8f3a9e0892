"""Operations per second of the cache port, beside the raw structures underneath.

On the same keys and values (``--keys`` keys of ``--value-bytes`` random bytes, all
present, so every get is a hit), one operation at a time:

* embedded: ``dict`` get/set (the floor), the same behind an ``async def`` (what any
  awaited port costs), and ``MemoryCache.get``/``set``;
* Redis (skipped if ``--redis-url`` does not answer): raw ``redis.asyncio`` GET/SET (the
  floor) and ``RedisCache.get``/``set``, each on one client with its own pool.

Each case is warmed up, calibrated to about ``--seconds`` in all, and timed ``--repeats``
times with ``time.perf_counter``; the best repeat is kept and compared with its floor.

    python benchmarks/cache_ops.py [--seconds 1.0] [--repeats 3] [--redis-url URL] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import redis
import redis.asyncio as redis_asyncio

from tracktion.core.cache import MemoryCache, RedisCache
from tracktion.core.errors import BackendError

WARMUP_CALLS = 200
CALIBRATION_SECONDS = 0.02

Operation = Callable[[int], Awaitable[object]] | Callable[[int], object]
"""One operation on the key of the given index: a coroutine function, or a plain function
for the floors that need no await (timed in a loop without one)."""


@dataclass(frozen=True)
class Result:
    backend: str
    operation: str
    case: str
    calls: int
    best_seconds: float
    rate: float
    """Operations per second."""
    microseconds: float
    """Microseconds per operation."""
    floor_ratio: float
    """Time per operation divided by that of the floor of the same backend and operation."""


async def time_calls(operation: Operation, calls: int, keys: int) -> float:
    if not inspect.iscoroutinefunction(operation):
        start = time.perf_counter()
        for index in range(calls):
            operation(index % keys)
        return time.perf_counter() - start
    start = time.perf_counter()
    for index in range(calls):
        await operation(index % keys)
    return time.perf_counter() - start


async def measure(
    operation: Operation, seconds: float, repeats: int, keys: int
) -> tuple[int, float]:
    await time_calls(operation, WARMUP_CALLS, keys)
    calls = 1
    while (elapsed := await time_calls(operation, calls, keys)) < CALIBRATION_SECONDS:
        calls *= 2
    calls = max(1, round(calls * seconds / repeats / elapsed))
    best = min([await time_calls(operation, calls, keys) for _ in range(repeats)])
    return calls, best


def memory_cases(
    keys: list[str], value: bytes
) -> tuple[dict[str, dict[str, Operation]], Callable[[], Awaitable[None]]]:
    table: dict[str, bytes] = dict.fromkeys(keys, value)
    cache = MemoryCache(max_entries=len(keys) * 2)

    async def async_dict_get(index: int) -> object:
        return table.get(keys[index])

    async def async_dict_set(index: int) -> None:
        table[keys[index]] = value

    async def cache_get(index: int) -> object:
        return await cache.get(keys[index])

    async def cache_set(index: int) -> None:
        await cache.set(keys[index], value)

    def dict_get(index: int) -> object:
        return table.get(keys[index])

    def dict_set(index: int) -> None:
        table[keys[index]] = value

    cases: dict[str, dict[str, Operation]] = {
        "set": {
            "dict[key] = value (floor)": dict_set,
            "async def around dict": async_dict_set,
            "MemoryCache.set": cache_set,
        },
        "get": {
            "dict.get (floor)": dict_get,
            "async def around dict": async_dict_get,
            "MemoryCache.get": cache_get,
        },
    }
    return cases, cache.close


async def redis_cases(
    url: str, keys: list[str], value: bytes
) -> tuple[dict[str, dict[str, Operation]], Callable[[], Awaitable[None]]] | None:
    key_prefix = f"tracktion-bench:{uuid.uuid4()}:"
    cache = RedisCache.connect(url, key_prefix=key_prefix, retries=0)
    try:
        await cache.ping()
    except BackendError as exc:
        print(f"Redis rows skipped: {exc}", file=sys.stderr)
        await cache.close()
        return None
    raw = redis_asyncio.Redis.from_url(url)
    full_keys = [key_prefix + key for key in keys]  # the raw client uses the same keys

    async def raw_get(index: int) -> object:
        return await raw.get(full_keys[index])

    async def raw_set(index: int) -> None:
        await raw.set(full_keys[index], value)

    async def cache_get(index: int) -> object:
        return await cache.get(keys[index])

    async def cache_set(index: int) -> None:
        await cache.set(keys[index], value)

    async def close() -> None:
        await cache.invalidate_prefix("")
        await cache.close()
        await raw.aclose()

    cases: dict[str, dict[str, Operation]] = {
        "set": {"redis.asyncio SET (floor)": raw_set, "RedisCache.set": cache_set},
        "get": {"redis.asyncio GET (floor)": raw_get, "RedisCache.get": cache_get},
    }
    return cases, close


async def run(args: argparse.Namespace) -> list[Result]:
    keys = [f"bench:track:{index}" for index in range(args.keys)]
    value = os.urandom(args.value_bytes)
    backends: dict[str, tuple[dict[str, dict[str, Operation]], Callable[[], Awaitable[None]]]]
    backends = {"memory": memory_cases(keys, value)}
    if args.redis_url:
        found = await redis_cases(args.redis_url, keys, value)
        if found is not None:
            backends["redis"] = found

    results: list[Result] = []
    for backend, (operations, close) in backends.items():
        try:
            for operation, cases in operations.items():  # "set" first: gets then all hit
                floor: float | None = None
                for case, function in cases.items():
                    calls, best = await measure(function, args.seconds, args.repeats, len(keys))
                    per_call = best / calls
                    floor = floor or per_call
                    results.append(
                        Result(
                            backend=backend,
                            operation=operation,
                            case=case,
                            calls=calls,
                            best_seconds=best,
                            rate=1 / per_call,
                            microseconds=per_call * 1e6,
                            floor_ratio=per_call / floor,
                        )
                    )
        finally:
            await close()
    return results


def environment() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "redis-py": redis.__version__,
        "machine": platform.machine(),
        "system": platform.system(),
    }


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    env = environment()
    print(
        f"Python {env['python']} ({env['implementation']}), redis-py {env['redis-py']}, "
        f"{env['system']} {env['machine']}; {args.keys} keys, {args.value_bytes}-byte values, "
        "one operation at a time; best of repeats, ratio to the floor"
    )
    header = f"{'backend':<8} {'op':<4} {'case':<28} {'ops/s':>12} {'µs/op':>9} {'x floor':>8}"
    print(header)
    print("-" * len(header))
    for result in results:
        print(
            f"{result.backend:<8} {result.operation:<4} {result.case:<28} {result.rate:>12,.0f} "
            f"{result.microseconds:>9.2f} {result.floor_ratio:>7.1f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per case (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    parser.add_argument("--keys", type=int, default=1_000, help="distinct keys (default 1000)")
    parser.add_argument("--value-bytes", type=int, default=256, help="value size (default 256)")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="Redis to measure; '' skips it (default redis://127.0.0.1:6379/0)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.repeats < 1 or args.keys < 1 or args.value_bytes < 0:
        parser.error("--seconds must be positive, --repeats and --keys at least 1")

    results = asyncio.run(run(args))
    if args.json:
        document: dict[str, Any] = {
            "environment": environment(),
            "repeats": args.repeats,
            "keys": args.keys,
            "value_bytes": args.value_bytes,
            "results": [asdict(result) for result in results],
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
