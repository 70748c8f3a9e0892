"""Decoding ahead in a thread: order kept, errors raised in the caller, early stop closes."""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import pytest

from tracktion.audio.analyzer import _prefetched
from tracktion.audio.decode import Audio
from tracktion.audio.errors import AudioError, ErrorCode


def blocks(
    count: int, *, fail_at: int | None = None, closed: list[bool] | None = None
) -> Generator[Audio, None, None]:
    try:
        for n in range(count):
            if n == fail_at:
                raise AudioError(ErrorCode.CORRUPT, "broken mid-stream", "x.mp3")
            yield Audio(np.full((1, 4), n, np.float32), 8000, "x.mp3")
    finally:
        if closed is not None:
            closed.append(True)


def test_every_block_arrives_in_order() -> None:
    got = [int(block.samples[0, 0]) for block in _prefetched(blocks(50))]
    assert got == list(range(50))


def test_a_decoder_error_is_raised_in_the_callers_thread() -> None:
    seen: list[int] = []
    with pytest.raises(AudioError, match="broken mid-stream"):
        seen.extend(int(block.samples[0, 0]) for block in _prefetched(blocks(10, fail_at=4)))
    assert seen == [0, 1, 2, 3]


def test_stopping_early_closes_the_decoder() -> None:
    closed: list[bool] = []
    stream = _prefetched(blocks(1000, closed=closed), depth=2)
    assert int(next(stream).samples[0, 0]) == 0
    stream.close()  # type: ignore[attr-defined]
    assert closed == [True]
