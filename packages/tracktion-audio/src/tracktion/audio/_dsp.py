"""Small signal-processing helpers shared by the analyzers (private)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["moving_mean"]


def moving_mean(rows: NDArray[np.float64], half_width: int) -> NDArray[np.float64]:
    """The mean of each value and its ``half_width`` neighbours on either side along the
    rows (axis 1), the first and last value of a row standing in beyond its ends.

    From a running sum: one pass whatever the width (``np.pad(mode="edge")`` then a
    cumulative sum, without ``np.pad``'s overhead on small blocks).

    Example:
        >>> moving_mean(np.array([[1.0, 2.0, 6.0]]), 1)
        array([[1.33333333, 3.        , 4.66666667]])
    """
    k = half_width
    extended = np.concatenate(
        (np.repeat(rows[:, :1], k + 1, axis=1), rows, np.repeat(rows[:, -1:], k, axis=1)),
        axis=1,
    )
    sums = np.cumsum(extended, axis=1)
    mean: NDArray[np.float64] = (sums[:, 2 * k + 1 :] - sums[:, : -(2 * k + 1)]) / (2 * k + 1)
    return mean
