"""Pool workers: one native thread each (the pool spreads the cores), and no life of
their own after the process that made the pool."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from threadpoolctl import threadpool_info

from tracktion.audio.batch import process_pool


def _native_threads() -> list[int]:
    import numpy as np

    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS loaded and used
    return [int(pool["num_threads"]) for pool in threadpool_info()]


def test_a_pool_worker_uses_one_native_thread() -> None:
    with process_pool(1) as pool:
        threads = pool.submit(_native_threads).result(timeout=120)
    assert threads
    assert set(threads) == {1}


def _sigint_ignored() -> bool:
    import signal

    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_a_pool_worker_leaves_ctrl_c_to_its_owner() -> None:
    # Ctrl-C reaches the whole process group; the owner stops the pool, and the workers
    # must not print a KeyboardInterrupt traceback each from their idle wait.
    with process_pool(1) as pool:
        assert pool.submit(_sigint_ignored).result(timeout=120)


_OWNER = """
import os, time
from tracktion.audio.batch import process_pool

if __name__ == "__main__":
    pool = process_pool(1)
    print(pool.submit(os.getpid).result(), flush=True)
    time.sleep(600)
"""


def test_a_pool_worker_ends_with_the_process_that_made_the_pool() -> None:
    # SIGKILL leaves the pool no chance to stop its workers: each must notice by itself.
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert owner.stdout is not None
        worker = int(owner.stdout.readline())
        os.kill(worker, 0)  # running
    finally:
        owner.kill()
        owner.wait()
        if owner.stdout is not None:
            owner.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"pool worker {worker} outlived its killed owner")
