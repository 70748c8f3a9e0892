"""Picking a cache by URL, the public API, and life without the Redis driver."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import subprocess
import sys
import textwrap

import pytest

from tracktion.core import cache as cache_package
from tracktion.core.cache import Cache, MemoryCache, RedisCache, escape_glob, open_cache
from tracktion.core.errors import ConfigurationError, MissingExtraError

pytestmark = pytest.mark.anyio


async def test_memory_urls_open_a_memory_cache() -> None:
    for url, max_entries in [
        ("memory://", 10_000),
        ("memory:", 10_000),
        ("memory:///", 10_000),
        ("memory://?max_entries=2", 2),
        ("MEMORY://?max_entries=1", 1),
    ]:
        cache = open_cache(url)
        assert isinstance(cache, MemoryCache), url
        assert cache.max_entries == max_entries, url
    bounded = open_cache("memory://?max_entries=2")
    for key in ("a", "b", "c"):
        await bounded.set(key, b"v")
    assert await bounded.get("a") is None


async def test_each_memory_url_opens_a_cache_of_its_own() -> None:
    first, second = open_cache("memory://"), open_cache("memory://")
    await first.set("k", b"v")
    assert await second.get("k") is None


@pytest.mark.parametrize(
    "url",
    [
        "memory://somehost",
        "memory:///some/path",
        "memory://?max_entries=0",
        "memory://?max_entries=-5",
        "memory://?max_entries=lots",
        "memory://?max_entries=",
        "memory://?max_entries=1&max_entries=2",
        "memory://?max_entrys=10",
        "memory://?max_entries",
    ],
)
def test_bad_memory_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_cache(url)
    assert url in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "url",
    ["", "redis", "memcached://cache:11211", "file:///tmp/cache", "unix:///tmp/redis.sock"],
)
def test_unsupported_schemes_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError, match="unsupported cache URL") as caught:
        open_cache(url)
    assert repr(url) in str(caught.value)


def test_errors_never_show_a_password() -> None:
    for url in ("amqp://guest:s3cret@rabbit:5672/", "redis://:s3cret@cache:notaport/0"):
        with pytest.raises(ConfigurationError) as caught:
            open_cache(url)
        assert "s3cret" not in str(caught.value)
        assert "***" in str(caught.value)


async def test_redis_urls_open_a_redis_cache_without_connecting() -> None:
    # Nothing listens on these hosts: opening must not touch the network.
    for url, key_prefix in [
        ("redis://cache.invalid:6379/0", "tracktion:"),
        ("rediss://user:pw@cache.invalid:6380/2", "tracktion:"),
        ("redis://cache.invalid?key_prefix=tenant-a:&socket_timeout=1", "tenant-a:"),
    ]:
        cache = open_cache(url)
        assert isinstance(cache, RedisCache), url
        assert cache.key_prefix == key_prefix
        await cache.close()


@pytest.mark.parametrize(
    "url",
    [
        "redis://cache:notaport/0",
        "redis://cache/0?decode_responses=true",
        "redis://cache/0?no_such_option=1",
        "redis://cache/0?socket_timeout=soon",
        "redis://cache/0?key_prefix=",
        "redis://cache/0?key_prefix=a:&key_prefix=b:",
        "redis://[::1/0",
    ],
)
def test_bad_redis_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        open_cache(url)
    assert "Redis URL" in str(caught.value) or "cache URL" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"key_prefix": ""}, "key_prefix"),
        ({"retries": -1}, "retries"),
        ({"max_connections": 0}, "max_connections"),
        ({"backoff_base": 0.0}, "backoff_base"),
        ({"connect_timeout": float("inf")}, "connect_timeout"),
    ],
)
def test_bad_redis_options_are_configuration_errors(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RedisCache.connect("redis://cache.invalid/0", **options)  # type: ignore[arg-type]


def test_a_url_and_an_argument_may_not_disagree_on_the_key_prefix() -> None:
    with pytest.raises(ConfigurationError, match="key_prefix"):
        RedisCache.connect("redis://cache.invalid/0?key_prefix=a:", key_prefix="b:")
    with pytest.raises(ConfigurationError, match="redis://"):
        RedisCache.connect("memory://")


def test_missing_redis_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import redis` fail; monkeypatch puts the module back, and
    # the adapter looks the driver up on each connect, so nothing stale is left behind.
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(MissingExtraError, match=r"tracktion-core\[redis\]") as caught:
        open_cache("redis://127.0.0.1:6379/0")
    assert isinstance(caught.value, ImportError)
    assert caught.value.extra == "redis"
    assert isinstance(open_cache("memory://"), MemoryCache)


def test_the_package_imports_without_the_redis_driver() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["redis"] = None  # as if tracktion-core[redis] were not installed
        import tracktion.core.cache as cache
        from tracktion.core.errors import MissingExtraError
        assert type(cache.open_cache("memory://")).__name__ == "MemoryCache"
        try:
            cache.open_cache("redis://127.0.0.1/0")
        except MissingExtraError as exc:
            print(exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'tracktion-core[redis]'" in result.stdout


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("plain:key", "plain:key"), ("a*b", "a\\*b"), ("[x]?", "\\[x\\]\\?"), ("a\\b", "a\\\\b")],
)
def test_escape_glob(text: str, escaped: str) -> None:
    assert escape_glob(text) == escaped


def test_docstring_examples_run() -> None:
    for module in (cache_package, cache_package.redis):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0, module.__name__
        assert failed == 0, module.__name__


def test_public_api_is_exactly_all_and_complete() -> None:
    exported = cache_package.__all__
    assert exported == sorted(set(exported))
    for name in exported:
        assert hasattr(cache_package, name), name
    missing = []
    for module_info in pkgutil.iter_modules(cache_package.__path__):
        module = importlib.import_module(f"tracktion.core.cache.{module_info.name}")
        module_all = getattr(module, "__all__", None)
        assert module_all is not None, f"tracktion.core.cache.{module_info.name} has no __all__"
        missing += [name for name in module_all if name not in exported]
    assert not missing, f"not exported from tracktion.core.cache: {missing}"
    assert isinstance(open_cache("memory://"), Cache)
