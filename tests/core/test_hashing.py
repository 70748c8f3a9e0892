"""SHA-256 and XXH3-128 of files in one streaming pass."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from tracktion.contracts import TracktionError
from tracktion.core.hashing import CHUNK_BYTES, HashingError, hash_file


def test_known_vectors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    abc = tmp_path / "abc"
    abc.write_bytes(b"abc")
    assert hash_file(empty).sha256 == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert hash_file(empty).xxh128 == "99aa06d3014798d86001c324468d497f"
    assert hash_file(abc).sha256 == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert hash_file(abc).size_bytes == 3


@pytest.mark.parametrize(
    "size", [1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]
)
def test_chunk_boundaries_match_whole_buffer_hashes(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f"
    path.write_bytes(data)
    digest = hash_file(path)
    assert digest.sha256 == hashlib.sha256(data).hexdigest()
    assert digest.xxh128 == xxhash.xxh3_128(data).hexdigest()
    assert digest.size_bytes == size


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=700))
def test_any_chunk_size_gives_the_same_hashes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("h") / "f"
    path.write_bytes(data)
    digest = hash_file(path, chunk_bytes=chunk)
    assert digest.sha256 == hashlib.sha256(data).hexdigest()
    assert digest.xxh128 == xxhash.xxh3_128(data).hexdigest()


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(HashingError, match=r"gone\.mp3: vanished") as caught:
        hash_file(tmp_path / "gone.mp3")
    assert isinstance(caught.value, TracktionError)
    assert isinstance(caught.value, OSError)


def test_a_directory_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(HashingError, match="cannot be read"):
        hash_file(tmp_path)


def test_a_file_growing_while_hashed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "downloading.flac"
    path.write_bytes(b"x" * 100)
    real_fstat = os.fstat

    def smaller(fd: int) -> os.stat_result:
        # The size seen at open time, before the downloader appended more.
        stat = real_fstat(fd)
        return os.stat_result((*stat[:6], 40, *stat[7:]))

    monkeypatch.setattr(os, "fstat", smaller)
    with pytest.raises(HashingError, match="changed size while being hashed"):
        hash_file(path)
