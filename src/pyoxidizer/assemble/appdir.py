"""Write the application directory: the executable and its app-relative files, atomically.

Everything is written into a staging directory beside the final one, which then trades
places with it in one ``renameat2(RENAME_EXCHANGE)``, so an interrupted or failed build
never leaves a half-written app, nor a moment without one. Where the file system cannot
exchange, two renames are used instead (a kill between them leaves no app directory; the
next build writes it again). The caller holds the build lock, so leftovers of killed
builds (``.<app>.staging-*``) can be removed here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pyoxidizer._fs import exchange, remove_stale_temporaries, sync_tree
from pyoxidizer.assemble.stamp import stamp_path
from pyoxidizer.errors import AssemblyError


@dataclass(frozen=True)
class AppFile:
    data: bytes
    mode: int = 0o644
    mtime: int | None = None


def check_relative(path: str) -> PurePosixPath:
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise AssemblyError(f"refusing to write {path!r}: it would land outside the app directory")
    return p


def remove_leftovers(app_dir: Path) -> None:
    """Staging and old copies of ``app_dir`` and temporary files (of its stamp) that a
    killed build left behind; the caller holds the build lock, so none is in use."""
    if not app_dir.parent.is_dir():
        return
    for prefix in (f".{app_dir.name}.staging-", f".{app_dir.name}.old-"):
        for path in app_dir.parent.glob(prefix + "*"):
            shutil.rmtree(path, ignore_errors=True)
    remove_stale_temporaries(stamp_path(app_dir), max_age=0)


def assemble_app(
    app_dir: Path,
    exe_name: str,
    launcher: Path,
    payload_parts: list[bytes],
    files: Mapping[str, AppFile],
) -> Path:
    """Create ``app_dir`` holding the executable and ``files``; return the executable path."""
    app_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(app_dir)
    staging = Path(tempfile.mkdtemp(dir=app_dir.parent, prefix=f".{app_dir.name}.staging-"))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; an app directory is not
        _write_executable(staging / exe_name, launcher, payload_parts)
        for rel, item in sorted(files.items()):
            _write_file(staging, rel, item)
        sync_tree(staging)  # the app-relative files and directories, like the executable
        _swap_into_place(staging, app_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after a swap: the previous app
    return app_dir / exe_name


def _write_executable(exe: Path, launcher: Path, payload_parts: list[bytes]) -> None:
    with open(exe, "wb") as out:
        with open(launcher, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        for part in payload_parts:
            out.write(part)
    exe.chmod(0o755)  # flushed to disk with the rest of the staging directory


def _write_file(root: Path, rel: str, item: AppFile) -> None:
    target = root.joinpath(*check_relative(rel).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(item.data)
    target.chmod(item.mode)
    if item.mtime is not None:
        os.utime(target, (item.mtime, item.mtime))


def _swap_into_place(staging: Path, app_dir: Path) -> None:
    """Afterwards ``app_dir`` is the new app and ``staging`` (if it exists) the old one."""
    if not app_dir.exists():
        os.rename(staging, app_dir)
        return
    if exchange(staging, app_dir):
        return
    old = Path(tempfile.mkdtemp(dir=app_dir.parent, prefix=f".{app_dir.name}.old-"))
    os.rename(app_dir, old / "app")
    os.rename(staging, app_dir)
    shutil.rmtree(old, ignore_errors=True)
