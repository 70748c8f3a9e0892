"""CueTime: frames of 1/75 s, rounding with carry, the MM:SS:FF form."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracktion.core.cue import CueTime, CueTimeError


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "00:00:00"),
        (1 / 75, "00:00:01"),
        (0.5 / 75, "00:00:01"),  # half a frame rounds up
        (0.49 / 75, "00:00:00"),
        (59.999, "01:00:00"),  # carries into the minute: never frame 75
        (74.5 / 75, "00:01:00"),
        (3599.995, "60:00:00"),
        (6000.0, "100:00:00"),
        (245 * 60 + 10 + 5 / 75, "245:10:05"),
    ],
)
def test_from_seconds_rounds_to_frames_and_carries(seconds: float, text: str) -> None:
    assert str(CueTime.from_seconds(seconds)) == text


@given(st.floats(min_value=0, max_value=10 * 3600, allow_nan=False))
def test_from_seconds_is_within_half_a_frame_and_never_frame_75(seconds: float) -> None:
    time = CueTime.from_seconds(seconds)
    assert abs(time.to_seconds() - seconds) <= 0.5 / 75 + 1e-9
    assert 0 <= time.frame <= 74
    assert 0 <= time.seconds <= 59
    assert CueTime.parse(str(time)) == time


@pytest.mark.parametrize("bad", [-0.001, math.nan, math.inf, -math.inf])
def test_from_seconds_refuses_negative_and_non_finite(bad: float) -> None:
    with pytest.raises(CueTimeError):
        CueTime.from_seconds(bad)


@pytest.mark.parametrize("bad", ["00:60:00", "00:00:75", "-1:00:00", "1:2", "aa:bb:cc", ""])
def test_parse_refuses_malformed_times(bad: str) -> None:
    with pytest.raises(CueTimeError):
        CueTime.parse(bad)


def test_parts_order_and_seconds() -> None:
    time = CueTime.from_msf(123, 45, 67)
    assert (time.minutes, time.seconds, time.frame) == (123, 45, 67)
    assert time.to_seconds() == pytest.approx(123 * 60 + 45 + 67 / 75)
    assert CueTime(10) < CueTime(11)
    with pytest.raises(CueTimeError):
        CueTime(-1)
    with pytest.raises(CueTimeError):
        CueTime(1.5)  # type: ignore[arg-type]
