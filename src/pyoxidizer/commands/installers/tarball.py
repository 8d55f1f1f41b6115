"""``type = "tarball"``: the app directory as a reproducible ``.tar.gz`` (spec 7.3.6).

Reproducible means byte-identical for the same app: members sorted, owner root (0/0),
every mtime (and the gzip header's) set to one timestamp (``SOURCE_DATE_EPOCH`` or 0),
modes normalised, no file name in the gzip header.
"""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path, PurePosixPath

from pyoxidizer._fs import atomic_output
from pyoxidizer.commands.installers.tree import TreeEntry, app_tree
from pyoxidizer.errors import AppDistributionError

COMPRESS_LEVEL = 6  # gzip -6: the usual trade-off; -9 is 30% slower for ~1% less


def tarball_name(app_name: str, target: str, release: bool) -> str:
    return f"{app_name}-{target}{'' if release else '-debug'}.tar.gz"


def check_prefix(prefix: str) -> PurePosixPath:
    path = PurePosixPath(prefix.strip("/")) if prefix.strip("/") else PurePosixPath()
    if prefix.startswith("/") or ".." in path.parts:
        raise AppDistributionError(
            f"[[distribution]] tarball: path_prefix {prefix!r} must be a relative path without '..'"
        )
    return path


def write_tarball(app_dir: Path, out: Path, prefix: str, mtime: int) -> Path:
    base = check_prefix(prefix)
    with (
        atomic_output(out) as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=COMPRESS_LEVEL
        ) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for directory in _prefix_dirs(base):
            tar.addfile(_info(directory, "dir", 0o755, 0, None, mtime))
        for entry in app_tree(app_dir):
            _add(tar, app_dir, entry, base, mtime)
    return out


def _prefix_dirs(base: PurePosixPath) -> list[str]:
    return [PurePosixPath(*base.parts[: i + 1]).as_posix() for i in range(len(base.parts))]


def _add(
    tar: tarfile.TarFile, app_dir: Path, entry: TreeEntry, base: PurePosixPath, mtime: int
) -> None:
    name = (base / entry.rel).as_posix()
    info = _info(name, entry.kind, entry.mode, entry.size, entry.link, mtime)
    if entry.kind != "file":
        tar.addfile(info)
        return
    with open(app_dir / entry.rel, "rb") as stream:
        tar.addfile(info, stream)


def _info(
    name: str, kind: str, mode: int, size: int, link: str | None, mtime: int
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE}[kind]
    info.mode, info.size, info.mtime = mode, size, mtime
    info.linkname = link or ""
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info
