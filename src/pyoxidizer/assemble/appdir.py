"""Write the application directory: the executable and its app-relative files, atomically.

Everything is written into a staging directory beside the final one, which then replaces
it in one rename, so an interrupted or failed build never leaves a half-written app.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

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


def assemble_app(
    app_dir: Path,
    exe_name: str,
    launcher: Path,
    payload_parts: list[bytes],
    files: Mapping[str, AppFile],
    stamp: str,
) -> Path:
    """Create ``app_dir`` holding the executable and ``files``; return the executable path."""
    app_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=app_dir.parent, prefix=f".{app_dir.name}.staging-"))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; an app directory is not
        exe = staging / exe_name
        with open(exe, "wb") as out:
            with open(launcher, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            for part in payload_parts:
                out.write(part)
        exe.chmod(0o755)
        for rel, item in sorted(files.items()):
            _write_file(staging, rel, item)
        _swap_into_place(staging, app_dir)
        _stamp_path(app_dir).write_text(stamp)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return app_dir / exe_name


def _write_file(root: Path, rel: str, item: AppFile) -> None:
    target = root.joinpath(*check_relative(rel).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(item.data)
    target.chmod(item.mode)
    if item.mtime is not None:
        os.utime(target, (item.mtime, item.mtime))


def _swap_into_place(staging: Path, app_dir: Path) -> None:
    if not app_dir.exists():
        os.rename(staging, app_dir)
        return
    old = Path(tempfile.mkdtemp(dir=app_dir.parent, prefix=f".{app_dir.name}.old-"))
    os.rename(app_dir, old / "app")
    os.rename(staging, app_dir)
    shutil.rmtree(old, ignore_errors=True)


def _stamp_path(app_dir: Path) -> Path:
    # Beside the app directory, not in it: the app directory is what gets distributed.
    return app_dir.parent / f".{app_dir.name}.stamp"


def read_stamp(app_dir: Path) -> str | None:
    try:
        return _stamp_path(app_dir).read_text()
    except OSError:
        return None
