"""A staged directory is flushed whole before it is renamed into place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyoxidizer import _fs


def test_a_staged_directory_is_flushed_before_it_takes_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync " + os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    dest = tmp_path / "dist"
    with _fs.staged_directory(dest) as stage:
        (stage / "lib").mkdir()
        (stage / "lib" / "os.py").write_text("# os\n")
        (stage / "PYTHON.json").write_text("{}")
    assert (dest / "lib" / "os.py").read_text() == "# os\n"
    before = events[: events.index("rename")]
    assert {"fsync os.py", "fsync PYTHON.json", "fsync lib"} <= set(before)
    assert any(e.startswith("fsync .dist.staging-") for e in before)  # the tree's root
