"""Running ``tracktion`` commands as real processes in system tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.core.catalog.conftest import create_database, database_url, drop_database
from tracktion.core.catalog import upgrade


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A ``tracktion`` process whose output is collected line by line as it comes."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], name: str) -> None:
        self.name = name
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "tracktion.services.cli", *args],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 90.0) -> str:
        """The first output line containing ``text``; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                if self.popen.poll() is not None and not self._pending():
                    raise AssertionError(
                        f"{self.name} exited ({self.popen.returncode}):\n{self.output}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.name}: no {text!r} in {timeout} s:\n{self.output}")
                self._changed.wait(min(left, 0.5))

    def _pending(self) -> bool:
        stream = self.popen.stdout
        return stream is not None and not stream.closed and self.popen.poll() is None

    @property
    def output(self) -> str:
        return "\n".join(self.lines[-80:])

    def stop(self, timeout: float = 60.0) -> int:
        """SIGINT, then wait; SIGKILL after ``timeout``. Returns the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._close()
        return self.popen.returncode

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait()
        self._close()

    def _close(self) -> None:
        self._drainer.join(timeout=10)
        # A process left behind by the killed one may still hold the pipe open; closing
        # it under the drainer's blocked read would block here for ever.
        if self.popen.stdout is not None and not self._drainer.is_alive():
            self.popen.stdout.close()


def tracktion(args: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None) -> str:
    """Run a ``tracktion`` command to completion; its output (fails the test on error)."""
    done = subprocess.run(
        [sys.executable, "-m", "tracktion.services.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, f"tracktion {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# -- the distributed deployment's throwaway resources -------------------------------------


@contextmanager
def throwaway_catalog(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database with the catalog's schema, for one test; dropped after
    (forcibly: a process killed by the test may still hold connections)."""
    name = f"tracktion_system_{uuid.uuid4().hex[:12]}"
    asyncio.run(create_database(admin_url, name))
    url = database_url(admin_url, name)
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(drop_database(admin_url, name))


def name_prefix() -> str:
    """A ``TRACKTION_NAME_PREFIX`` of its own, so one test's exchanges and queues on the
    shared broker are apart from everyone else's."""
    return f"sys{uuid.uuid4().hex[:8]}."
