"""Running ``tracktion`` commands as real processes in system tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


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
        if self.popen.stdout is not None:
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
