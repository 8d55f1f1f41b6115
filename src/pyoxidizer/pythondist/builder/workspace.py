"""The work directory: shared extracted sources, per-target trees, and stamps of done steps.

Layout (``work`` is ``<cache>/standalone/work``)::

    work/src/<source>/            extracted once, shared by every target
    work/<triple>/tools/          the zig wrapper scripts
    work/<triple>/build/<lib>/    a private copy of the source tree, built in place
    work/<triple>/prefix/         static libraries and headers of the dependencies
    work/<triple>/logs/<lib>.log  full output of each stage
    work/<triple>/stamps/<lib>    the input key of a finished step, so a rerun can skip it
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...errors import StandaloneBuildError
from .process import Runner
from .sources import SourceTarball


@dataclass(frozen=True)
class Workspace:
    """Paths of one target's build inside the shared work directory."""

    root: Path
    triple: str

    @property
    def target_dir(self) -> Path:
        return self.root / self.triple

    @property
    def tools(self) -> Path:
        return self.target_dir / "tools"

    @property
    def prefix(self) -> Path:
        return self.target_dir / "prefix"

    @property
    def logs(self) -> Path:
        return self.target_dir / "logs"

    @property
    def stage(self) -> Path:
        return self.target_dir / "stage"

    def source_dir(self, key: str) -> Path:
        return self.root / "src" / key

    def build_dir(self, name: str) -> Path:
        return self.target_dir / "build" / name

    def stamp_matches(self, name: str, key: str) -> bool:
        stamp = self.target_dir / "stamps" / name
        return stamp.is_file() and stamp.read_text(encoding="utf-8") == key

    def write_stamp(self, name: str, key: str) -> None:
        stamp = self.target_dir / "stamps" / name
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key, encoding="utf-8")

    @contextmanager
    def shared_lock(self) -> Iterator[None]:
        """Hold while touching ``work/src``: builds of two targets may run at the same time."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".src.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def reset_target(self) -> None:
        """Forget every step of this target (for a build that must start from scratch)."""
        shutil.rmtree(self.target_dir, ignore_errors=True)

    def fresh_copy(self, key: str, name: str) -> Path:
        """A private, writable copy of an extracted source tree for one target's build."""
        dest = self.build_dir(name)
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.source_dir(key), dest, symlinks=True)
        return dest


def extract(
    workspace: Workspace, source: SourceTarball, runner: Runner, env: dict[str, str]
) -> bool:
    """Extract a tarball into ``work/src/<key>`` unless that exact tarball already is there.

    Returns whether anything was extracted. A tarball that tar cannot read is reported as
    corrupt, naming the file.
    """
    dest = workspace.source_dir(source.key)
    marker = dest / ".pyoxidizer-source-sha256"
    if marker.is_file() and marker.read_text(encoding="utf-8") == source.sha256:
        return False
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    log = workspace.root / "logs" / f"extract-{source.key}.log"
    argv = [
        "tar",
        "-xf",
        str(source.path),
        "--strip-components=1",
        "--no-same-owner",
        "-C",
        str(dest),
    ]
    status = runner(argv, cwd=dest, env=env, log=log, echo=None)
    if status != 0:
        shutil.rmtree(dest, ignore_errors=True)
        raise StandaloneBuildError(
            f"The source tarball {source.path} cannot be extracted (tar exited with status "
            f"{status}); it is corrupt or truncated: fetch it again. Details are in {log}."
        )
    marker.write_text(source.sha256, encoding="utf-8")
    return True
