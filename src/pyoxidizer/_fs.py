"""Writing files so that a reader sees the old content or the new, never a mix.

Every output of pyoxidizer (configs, caches, apps, installers) goes through these helpers:
data is written to a temporary name in the destination's directory, flushed to disk with
``fsync``, then renamed over the destination, so a kill or a full disk at any moment leaves
either the previous file or the complete new one. The temporary names start with ``.``
and carry ``.tmp`` so leftovers of a killed process are recognisable.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import os
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

# Seconds after which a temporary file or work directory can only be a killed writer's: no
# write or launcher build takes this long.
STALE_AFTER = 3600


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")


def remove_stale_temporaries(path: Path, max_age: float = STALE_AFTER) -> None:
    """Remove the temporary files of ``path`` older than ``max_age`` seconds.

    A killed writer leaves its ``.<name>.<random>.tmp`` behind; a live one's is younger.
    """
    now = time.time()
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.lstat().st_mtime >= max_age:
                leftover.unlink()


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: Path, mode: int = 0o644) -> Iterator[BinaryIO]:
    """A stream whose content replaces ``path`` only once it is completely written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    temporary = _temporary_name(path)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` in one step."""
    with atomic_output(path, mode) as stream:
        stream.write(data)


def write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; FileExistsError if it exists, even if created meanwhile.

    The permissions are what the umask gives any new file.
    """
    temporary = _temporary_name(path)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)  # unlike rename, link never replaces an existing name
    finally:
        temporary.unlink(missing_ok=True)
    _sync_directory(path.parent)


def publish(built: Path, final: Path) -> None:
    """Move a finished file (e.g. written by a compiler) to ``final`` in one step."""
    fd = os.open(built, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(built, final)
    _sync_directory(final.parent)


def sync_tree(root: Path) -> None:
    """Flush every file and directory below ``root`` to disk, before it is renamed into place.

    A directory built in place (a staging directory) is only as durable as its parts: without
    this, a crash after the rename could leave its files empty.
    """
    for directory, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _sync_directory(Path(directory))


@contextlib.contextmanager
def staged_directory(dest: Path) -> Iterator[Path]:
    """A fresh directory that becomes ``dest`` (absent or empty) once the block succeeds."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.staging-"))
    try:
        stage.chmod(0o755)  # mkdtemp makes it private; what it becomes is not
        yield stage
        sync_tree(stage)  # a crash after the rename must not leave empty files in ``dest``
        os.replace(stage, dest)  # replaces an empty directory; fails on a non-empty one
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _sync_directory(dest.parent)


# renameat2(2) flag: swap two existing names atomically (Linux >= 3.15, most local file
# systems; the C library has a wrapper since glibc 2.28).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap the directory entries ``a`` and ``b`` in one step; False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        _sync_directory(a.parent)
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextlib.contextmanager
def exclusive_lock(path: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for the block.

    When another process holds it, ``on_wait`` is called once, then the lock is awaited.
    The kernel releases it when the holder exits, however it ends.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Refused(OSError):
    """A file is not one a reader may take in: not a regular file, or too large."""


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def _regular_problem(info: os.stat_result, limit: int) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
        return f"is {kind}, not a regular file"
    if info.st_size > limit:
        return f"is {info.st_size} bytes, more than the {limit} bytes allowed"
    return None


def regular_file_problem(path: Path, limit: int) -> str | None:
    """Why ``read_regular_file(path, limit)`` would refuse ``path`` (from its status), or None."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    return _regular_problem(info, limit)


def read_regular_file(path: Path, limit: int) -> bytes:
    """The content of ``path``, a regular file of at most ``limit`` bytes.

    Raises ``Refused`` for anything else (``/dev/zero``, a pipe, a huge file), without
    blocking on a pipe or reading past ``limit``; ``OSError`` when it cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        problem = _regular_problem(os.fstat(fd), limit)
        if problem:
            raise Refused(errno.EINVAL, problem, str(path))
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:  # it grew after fstat
                raise Refused(errno.EFBIG, f"is more than the {limit} bytes allowed", str(path))
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def copy_tree(
    source: Path,
    dest: Path,
    leave_out: Callable[[Path], bool],
    on_directory: Callable[[int], None] | None = None,
) -> None:
    """Copy the directory ``source`` to ``dest`` (absent), keeping symbolic links.

    Entries for which ``leave_out(path)`` is true are not copied, nor are special files
    (pipes, sockets, devices), which cannot be copied as data and could block a reader.
    ``on_directory(n)`` is called before each directory is copied, with its number of
    entries; what it raises stops the copy.
    """

    def ignore(directory: str, names: list[str]) -> set[str]:
        if on_directory is not None:
            on_directory(len(names))
        left_out = set()
        for name in names:
            path = Path(directory, name)
            try:
                mode = path.lstat().st_mode
            except OSError:
                left_out.add(name)
                continue
            special = not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))
            if special or leave_out(path):
                left_out.add(name)
        return left_out

    shutil.copytree(source, dest, symlinks=True, ignore=ignore)
