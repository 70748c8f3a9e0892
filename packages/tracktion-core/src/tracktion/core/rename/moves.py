"""Moving one file to a new name without ever overwriting what is there.

``os.rename`` silently replaces an existing target on POSIX; a library tool must never do
that. :func:`move_no_replace` uses, in order of preference:

1. ``renameat2(..., RENAME_NOREPLACE)`` on Linux (through ctypes): one atomic step that
   fails with ``EEXIST`` when the target exists;
2. ``link`` then ``unlink``: the new name is created atomically only if it is free, then
   the old one removed (a crash in between leaves two names of one file, which recovery
   recognizes);
3. on file systems without hard links (FAT, exFAT, some network shares): reserve the new
   name by creating it exclusively (``O_EXCL``), then rename onto that empty placeholder
   (on Windows ``os.rename`` itself never replaces).
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Final

__all__ = ["MoveMethod", "fsync_directory", "move_no_replace", "renameat2_available"]

_AT_FDCWD: Final = -100
_RENAME_NOREPLACE: Final = 1
_UNSUPPORTED: Final = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP})
_NO_LINKS: Final = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}
)


class MoveMethod(StrEnum):
    """How :func:`move_no_replace` moves a file."""

    AUTO = "auto"
    """The best this platform and file system support (renameat2, link, exclusive)."""
    RENAMEAT2 = "renameat2"
    """Linux ``renameat2`` with ``RENAME_NOREPLACE`` only."""
    LINK = "link"
    """``link`` + ``unlink`` only."""
    EXCLUSIVE = "exclusive"
    """Reserve the name with ``O_EXCL``, then rename onto the placeholder."""


def _load_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    loaded: Callable[..., int] = function
    return loaded


_RENAMEAT2 = _load_renameat2()


def renameat2_available() -> bool:
    """Whether the C library offers ``renameat2`` (glibc 2.28+, Linux)."""
    return _RENAMEAT2 is not None


class _UnsupportedError(Exception):
    """This method does not work here (the kernel, file system or platform lacks it)."""


def _renameat2(old: str, new: str) -> None:
    if _RENAMEAT2 is None:
        raise _UnsupportedError("renameat2 is not available")
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(old), _AT_FDCWD, os.fsencode(new), _RENAME_NOREPLACE)
    if result != 0:
        code = ctypes.get_errno()
        if code in _UNSUPPORTED:
            raise _UnsupportedError(os.strerror(code))
        raise OSError(code, os.strerror(code), old, None, new)


def _link(old: str, new: str, on_linked: Callable[[], None] | None) -> None:
    try:
        os.link(old, new, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _NO_LINKS and not isinstance(exc, FileExistsError):
            raise _UnsupportedError(str(exc)) from exc
        raise
    if on_linked is not None:
        on_linked()
    os.unlink(old)


def _exclusive(old: str, new: str) -> None:
    if os.name == "nt":
        os.rename(old, new)  # never replaces an existing file on Windows
        return
    descriptor = os.open(new, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(descriptor)
    try:
        os.rename(old, new)  # replaces only the empty placeholder made just above
    except OSError:
        os.unlink(new)
        raise


def move_no_replace(
    old: str,
    new: str,
    method: MoveMethod = MoveMethod.AUTO,
    *,
    on_linked: Callable[[], None] | None = None,
) -> None:
    """Move ``old`` to ``new`` (same file system), failing if ``new`` exists.

    Args:
        old: The file (or folder, with ``renameat2``) to move.
        new: Its new path; its folder must exist.
        method: See :class:`MoveMethod`.
        on_linked: Called between ``link`` and ``unlink`` (tests inject crashes there).

    Raises:
        FileExistsError: ``new`` exists; nothing was changed.
        FileNotFoundError: ``old`` (or ``new``'s folder) does not exist.
        OSError: Any other failure, with nothing changed; for ``RENAMEAT2`` and ``LINK``
            also when the method is not supported here.
    """
    if method in (MoveMethod.AUTO, MoveMethod.RENAMEAT2):
        try:
            _renameat2(old, new)
            return
        except _UnsupportedError as exc:
            if method is MoveMethod.RENAMEAT2:
                raise OSError(errno.ENOTSUP, f"renameat2 unsupported here: {exc}", old) from None
    if method in (MoveMethod.AUTO, MoveMethod.LINK):
        try:
            _link(old, new, on_linked)
            return
        except _UnsupportedError as exc:
            if method is MoveMethod.LINK:
                raise OSError(errno.ENOTSUP, f"hard links unsupported here: {exc}", old) from None
    _exclusive(old, new)


def fsync_directory(path: str) -> None:
    """Flush a folder's entries to disk (POSIX), so that a rename in it survives a power
    cut. A no-op where folders cannot be opened (Windows)."""
    if os.name == "nt":
        return
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
