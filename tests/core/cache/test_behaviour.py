"""The behaviour of every cache implementation: one suite, run on each backend."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Awaitable, Callable

import pytest

from tracktion.core.cache import Cache, JSONValue, get_json, set_json
from tracktion.core.errors import BackendUnavailableError

from .conftest import Backend

pytestmark = pytest.mark.anyio


async def test_set_get_delete_round_trip(backend: Backend) -> None:
    cache = backend.cache
    assert await cache.get("track:1") is None
    await cache.set("track:1", b"first")
    assert await cache.get("track:1") == b"first"
    await cache.set("track:1", b"second")
    assert await cache.get("track:1") == b"second"
    assert await cache.delete("track:1") is True
    assert await cache.get("track:1") is None
    assert await cache.delete("track:1") is False


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"\x00",
        b"nul\x00inside\x00",
        bytes(range(256)),
        b"\xff\xfe\x00\x00not utf-8\xc3(",
        os.urandom(256 * 1024),
    ],
    ids=["empty", "nul", "embedded-nul", "all-bytes", "invalid-utf8", "256KiB-random"],
)
async def test_values_come_back_byte_for_byte(backend: Backend, value: bytes) -> None:
    await backend.cache.set("blob", value)
    assert await backend.cache.get("blob") == value


async def test_keys_are_arbitrary_text(backend: Backend) -> None:
    keys = ["", " ", "Bicep \u2013 Glue (Original Mix).flac", "キー/🎵", "a\nb", "ключ\x00"]
    for index, key in enumerate(keys):
        await backend.cache.set(key, str(index).encode())
    assert [await backend.cache.get(key) for key in keys] == [
        str(index).encode() for index in range(len(keys))
    ]


async def test_values_must_be_bytes(backend: Backend) -> None:
    with pytest.raises(TypeError, match="bytes"):
        await backend.cache.set("k", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        await backend.cache.set("k", bytearray(b"mutable"))  # type: ignore[arg-type]
    assert await backend.cache.get("k") is None


async def test_entry_expires_after_its_ttl_and_one_without_ttl_persists(
    backend: Backend,
) -> None:
    cache = backend.cache
    await cache.set("short", b"v", ttl=backend.short_ttl)
    await cache.set("forever", b"v", ttl=None)
    assert await cache.get("short") == b"v"
    assert await backend.gone_after_short_ttl("short")
    assert await cache.get("forever") == b"v"
    assert await cache.delete("short") is False


async def test_overwriting_replaces_the_expiry(backend: Backend) -> None:
    cache = backend.cache
    ttl = backend.short_ttl
    await cache.set("sentinel", b"s", ttl=ttl)
    await cache.set("now-permanent", b"old", ttl=ttl)
    await cache.set("now-permanent", b"new")
    await cache.set("now-longer", b"old", ttl=ttl)
    await cache.set("now-longer", b"new", ttl=ttl * 100)
    await cache.set("now-expiring", b"old")
    await cache.set("now-expiring", b"new", ttl=ttl)

    assert await backend.gone_after_short_ttl("sentinel")
    assert await cache.get("now-permanent") == b"new"
    assert await cache.get("now-longer") == b"new"
    assert await cache.get("now-expiring") is None


@pytest.mark.parametrize("ttl", [0, 0.0, -1, -0.001, math.nan, math.inf, -math.inf])
async def test_a_ttl_that_is_not_positive_and_finite_is_rejected(
    backend: Backend, ttl: float
) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await backend.cache.set("k", b"v", ttl=ttl)
    assert await backend.cache.get("k") is None


async def test_a_ttl_that_is_not_a_number_is_rejected(backend: Backend) -> None:
    with pytest.raises(TypeError, match="ttl"):
        await backend.cache.set("k", b"v", ttl=True)
    with pytest.raises(TypeError, match="ttl"):
        await backend.cache.set("k", b"v", ttl="5")  # type: ignore[arg-type]
    assert await backend.cache.get("k") is None


async def test_an_integer_ttl_is_seconds(backend: Backend) -> None:
    await backend.cache.set("k", b"v", ttl=60)
    assert await backend.cache.get("k") == b"v"


async def test_namespaces_isolate_the_same_key(backend: Backend) -> None:
    root = backend.cache
    tracks, cues = root.namespace("tracks"), root.namespace("cues")
    await root.set("42", b"root")
    await tracks.set("42", b"track")
    await cues.set("42", b"cue")
    assert [await root.get("42"), await tracks.get("42"), await cues.get("42")] == [
        b"root",
        b"track",
        b"cue",
    ]
    # A namespace is a key prefix: its entries are visible from the root under it.
    assert await root.get("tracks:42") == b"track"
    assert await tracks.delete("42") is True
    assert await tracks.get("42") is None
    assert await cues.get("42") == b"cue"
    assert await root.get("42") == b"root"


async def test_nested_namespaces_compose(backend: Backend) -> None:
    root = backend.cache
    inner = root.namespace("tenant-a").namespace("tracks")
    await inner.set("42", b"v", ttl=60)
    assert await inner.get("42") == b"v"
    assert await root.get("tenant-a:tracks:42") == b"v"
    assert await root.namespace("tenant-a").get("tracks:42") == b"v"
    assert await root.namespace("tenant-b").namespace("tracks").get("42") is None
    assert await root.namespace("tracks").get("42") is None


async def test_an_empty_namespace_is_rejected(backend: Backend) -> None:
    with pytest.raises(ValueError, match="empty"):
        backend.cache.namespace("")
    with pytest.raises(ValueError, match="empty"):
        backend.cache.namespace("a").namespace("")


async def test_invalidate_prefix_counts_and_spares_other_keys(backend: Backend) -> None:
    cache = backend.cache
    doomed = ["track:1", "track:2", "track:10", "track:"]
    spared = ["tracks:1", "trac", "Track:1", "other:track:1", " track:1"]
    for key in doomed + spared:
        await cache.set(key, key.encode())
    assert await cache.invalidate_prefix("track:") == len(doomed)
    for key in doomed:
        assert await cache.get(key) is None, key
    for key in spared:
        assert await cache.get(key) == key.encode(), key
    assert await cache.invalidate_prefix("track:") == 0
    assert await cache.invalidate_prefix("nothing-here") == 0


async def test_invalidate_prefix_covers_many_keys(backend: Backend) -> None:
    # Enough keys that Redis answers SCAN in several batches.
    for index in range(1_200):
        await backend.cache.set(f"bulk:{index}", b"x")
    await backend.cache.set("bulky", b"kept")
    assert await backend.cache.invalidate_prefix("bulk:") == 1_200
    assert await backend.cache.get("bulk:0") is None
    assert await backend.cache.get("bulky") == b"kept"


@pytest.mark.parametrize(
    ("prefix", "doomed", "spared"),
    [
        ("a*b", ["a*b", "a*b:1", "a*bc"], ["axb:1", "ab", "a**b", "aXYZb"]),
        ("[x]", ["[x]", "[x]:1", "[x]y"], ["x:1", "x", "[y]:1", "[x"]),
        ("a?", ["a?", "a?b"], ["ab", "axb:1", "a"]),
        ("a\\", ["a\\", "a\\b", "a\\*"], ["a", "ab", "a*"]),
        ("[^a]", ["[^a]:1"], ["b:1", "[b]:1"]),
        ("*", ["*", "**", "*:1"], ["x", "a*"]),
    ],
    ids=["star", "brackets", "question-mark", "backslash", "negated-class", "lone-star"],
)
async def test_invalidate_prefix_matches_glob_metacharacters_literally(
    backend: Backend, prefix: str, doomed: list[str], spared: list[str]
) -> None:
    for key in doomed + spared:
        await backend.cache.set(key, b"v")
    assert await backend.cache.invalidate_prefix(prefix) == len(doomed)
    for key in doomed:
        assert await backend.cache.get(key) is None, key
    for key in spared:
        assert await backend.cache.get(key) == b"v", key


async def test_invalidate_prefix_inside_a_namespace_stays_inside(backend: Backend) -> None:
    root = backend.cache
    a, b = root.namespace("a"), root.namespace("b")
    nested = a.namespace("x")
    for cache in (root, a, b, nested):
        await cache.set("x1", b"v")
        await cache.set("y1", b"v")
    # In "a", prefix "x" matches a:x1 and the nested a:x:x1, a:x:y1 (all start with a:x).
    assert await a.invalidate_prefix("x") == 3
    assert await a.get("y1") == b"v"
    assert await nested.get("x1") is None
    assert await root.get("x1") == b"v"
    assert await b.get("x1") == b"v"
    # "" clears the whole namespace and nothing else.
    await nested.set("x1", b"v")
    assert await a.invalidate_prefix("") == 2
    assert await a.get("y1") is None
    assert await root.get("x1") == b"v"
    assert await root.get("y1") == b"v"
    assert await b.get("y1") == b"v"


async def test_json_helpers_round_trip(backend: Backend) -> None:
    cache = backend.cache.namespace("json")
    document: dict[str, JSONValue] = {
        "title": "Ταξίδι — ✈ 旅",
        "bpm": 127.98,
        "key": None,
        "beats": [0, 0.469, 0.938],
        "tags": {"genre": ["techno", "dub"], "explicit": False},
        "count": 2**53 + 1,
    }
    await set_json(cache, "track:1", document, ttl=60)
    assert await get_json(cache, "track:1") == document
    await set_json(cache, "pair", ("a", 1))
    assert await get_json(cache, "pair") == ["a", 1]
    await set_json(cache, "scalar", "text")
    assert await get_json(cache, "scalar") == "text"
    assert await get_json(cache, "missing") is None
    # Stored compactly as UTF-8, readable by any other client of the cache.
    assert await cache.get("pair") == b'["a",1]'


async def test_json_helpers_reject_what_json_cannot_hold(backend: Backend) -> None:
    cache = backend.cache
    with pytest.raises(ValueError, match="JSON"):
        await set_json(cache, "nan", {"x": math.nan})
    with pytest.raises(TypeError, match="bytes"):
        await set_json(cache, "bytes", b"raw")
    with pytest.raises(ValueError, match="ttl"):
        await set_json(cache, "ttl", 1, ttl=0)
    assert [await cache.get(key) for key in ("nan", "bytes", "ttl")] == [None, None, None]
    await cache.set("raw", b"\xff not json")
    with pytest.raises(ValueError, match=r"'raw' is not JSON"):
        await get_json(cache, "raw")


async def test_concurrent_tasks_see_their_own_writes(backend: Backend) -> None:
    cache = backend.cache

    async def worker(index: int) -> bytes | None:
        await cache.set(f"task:{index}", f"value-{index}".encode(), ttl=60)
        await asyncio.sleep(0)
        return await cache.get(f"task:{index}")

    results = await asyncio.gather(*(worker(index) for index in range(64)))
    assert results == [f"value-{index}".encode() for index in range(64)]
    assert await cache.invalidate_prefix("task:") == 64


async def test_add_stores_only_an_absent_key(backend: Backend) -> None:
    cache = backend.cache
    assert await cache.add("lock", b"first") is True
    assert await cache.get("lock") == b"first"
    assert await cache.add("lock", b"second") is False
    assert await cache.add("lock", b"third", ttl=60) is False
    assert await cache.get("lock") == b"first"
    await cache.set("lock", b"replaced")  # set still overwrites what add stored
    assert await cache.get("lock") == b"replaced"
    assert await cache.delete("lock") is True
    assert await cache.add("lock", b"again", ttl=60) is True
    assert await cache.get("lock") == b"again"
    assert await cache.add("empty", b"") is True  # an empty value is present too
    assert await cache.add("empty", b"x") is False
    assert await cache.get("empty") == b""


async def test_add_succeeds_again_once_the_entry_expired(backend: Backend) -> None:
    cache = backend.cache
    assert await cache.add("slot", b"a", ttl=backend.short_ttl) is True
    assert await cache.add("slot", b"b", ttl=backend.short_ttl) is False
    assert await backend.gone_after_short_ttl("slot")
    assert await cache.add("slot", b"c", ttl=60) is True
    assert await cache.get("slot") == b"c"


async def test_a_failed_add_leaves_the_expiry_alone(backend: Backend) -> None:
    cache = backend.cache
    await cache.set("expiring", b"v", ttl=backend.short_ttl)
    assert await cache.add("expiring", b"w") is False  # no ttl: must not make it permanent
    assert await cache.add("expiring", b"w", ttl=60) is False  # nor extend it
    assert await backend.gone_after_short_ttl("expiring")
    await cache.set("permanent", b"v")
    assert await cache.add("permanent", b"w", ttl=backend.short_ttl) is False
    await backend.elapse(backend.short_ttl * 2)
    assert await cache.get("permanent") == b"v"  # not made to expire


async def test_add_in_namespaces(backend: Backend) -> None:
    root = backend.cache
    pace, other = root.namespace("pace"), root.namespace("other")
    nested = pace.namespace("inner")
    assert await pace.add("host", b"p", ttl=60) is True
    assert await pace.add("host", b"again", ttl=60) is False
    # The same key in another namespace, nested or not, or at the root, is another key.
    assert await other.add("host", b"o", ttl=60) is True
    assert await nested.add("host", b"n", ttl=60) is True
    assert await root.add("host", b"r", ttl=60) is True
    # A view's key is its prefix plus the key: the root sees it there.
    assert await root.add("pace:host", b"x") is False
    assert await root.get("pace:host") == b"p"
    assert await root.get("pace:inner:host") == b"n"
    assert await pace.delete("host") is True
    assert await root.add("pace:host", b"from the root") is True
    assert await pace.get("host") == b"from the root"


async def test_of_concurrent_adds_exactly_one_wins(backend: Backend) -> None:
    cache = backend.cache.namespace("race")

    async def contender(index: int) -> bool:
        return await cache.add("slot", str(index).encode(), ttl=60)

    for round_ in range(3):
        await cache.delete("slot")
        won = await asyncio.gather(*(contender(index) for index in range(20)))
        assert won.count(True) == 1, (round_, won)
        winner = won.index(True)
        assert await cache.get("slot") == str(winner).encode()


@pytest.mark.parametrize("ttl", [0, -1, math.nan, math.inf])
async def test_add_rejects_a_bad_ttl_before_storing(backend: Backend, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await backend.cache.add("k", b"v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await backend.cache.namespace("n").add("k", b"v", ttl=ttl)
    assert await backend.cache.get("k") is None
    assert await backend.cache.add("k", b"v") is True


async def test_add_rejects_what_set_rejects(backend: Backend) -> None:
    cache = backend.cache
    with pytest.raises(TypeError, match="bytes"):
        await cache.add("k", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        await cache.add("k", bytearray(b"mutable"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ttl"):
        await cache.add("k", b"v", ttl=True)
    with pytest.raises(TypeError, match="ttl"):
        await cache.add("k", b"v", ttl="5")  # type: ignore[arg-type]
    assert await cache.get("k") is None
    # An invalid value is refused even when the key is held (checks come first).
    await cache.set("held", b"v")
    with pytest.raises(TypeError, match="bytes"):
        await cache.add("held", "text")  # type: ignore[arg-type]


async def test_ping_then_close(backend: Backend) -> None:
    cache = backend.cache
    view = cache.namespace("view")
    await cache.ping()
    await view.ping()
    await view.close()  # a view does not own the cache
    await cache.set("k", b"v")
    assert await view.get("k") is None
    await cache.close()
    await cache.close()  # idempotent
    operations: list[Callable[[], Awaitable[object]]] = [
        lambda: cache.get("k"),
        lambda: cache.set("k", b"v"),
        lambda: cache.add("k", b"v"),
        lambda: cache.delete("k"),
        lambda: cache.invalidate_prefix(""),
        cache.ping,
        lambda: view.get("k"),
        lambda: view.add("k", b"v"),
    ]
    for operation in operations:
        with pytest.raises(BackendUnavailableError, match="closed"):
            await operation()


async def test_implementations_satisfy_the_protocol(backend: Backend) -> None:
    assert isinstance(backend.cache, Cache)
    assert isinstance(backend.cache.namespace("a").namespace("b"), Cache)
