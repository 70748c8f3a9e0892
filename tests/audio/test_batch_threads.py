"""Pool workers run the native libraries on one thread: the pool spreads the cores."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from threadpoolctl import threadpool_info

from tracktion.audio.batch import init_worker


def _native_threads() -> list[int]:
    import numpy as np

    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded and used
    return [int(pool["num_threads"]) for pool in threadpool_info()]


def test_a_pool_worker_uses_one_native_thread() -> None:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context, initializer=init_worker) as pool:
        threads = pool.submit(_native_threads).result(timeout=120)
    assert threads
    assert set(threads) == {1}
