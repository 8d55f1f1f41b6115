"""A reproducible .tar.zst of a directory: sorted members, fixed owner, time and modes.

The same tree always gives the same bytes: single-threaded zstd at a fixed level, GNU tar
headers with no user names, and the write is atomic (temp file, fsync, rename).
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import zstandard

from .toolchain import SOURCE_DATE_EPOCH

ZSTD_LEVEL = 12


def _entries(root: Path) -> Iterator[Path]:
    """Every path under ``root``, depth first, children sorted by name (byte order)."""
    for child in sorted(root.iterdir(), key=lambda p: p.name.encode()):
        yield child
        if child.is_dir() and not child.is_symlink():
            yield from _entries(child)


def _tarinfo(path: Path, name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = int(SOURCE_DATE_EPOCH)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if path.is_symlink():
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
        info.mode = 0o777
    elif path.is_dir():
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = path.stat().st_size
        info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
    return info


def write_tar(root: Path, stream: io.RawIOBase | io.BufferedIOBase) -> None:
    """Write the tree under ``root`` (its own name as the top member) as a tar stream."""
    with tarfile.open(fileobj=stream, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        for base in sorted(p for p in root.iterdir()):
            for path in (base, *(_entries(base) if base.is_dir() else ())):
                info = _tarinfo(path, path.relative_to(root).as_posix())
                if info.isreg():
                    with path.open("rb") as data:
                        tar.addfile(info, data)
                else:
                    tar.addfile(info)


def write_archive(root: Path, dest: Path) -> None:
    """Write ``root``'s contents as a zstd-compressed tar at ``dest``, atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as raw:
            compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=0)
            with compressor.stream_writer(raw, closefd=False) as packed:
                write_tar(root, packed)  # type: ignore[arg-type]
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
