"""The app directory is flushed to disk whole before it is swapped into place."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyoxidizer.assemble import appdir
from pyoxidizer.assemble.appdir import AppFile, assemble_app


def test_every_file_and_directory_is_flushed_before_the_swap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launcher = tmp_path / "launcher"
    launcher.write_bytes(b"\x7fELF launcher")
    flushed: list[Path] = []
    swapped: list[Path] = []
    real_fsync, real_swap = os.fsync, appdir._swap_into_place

    def fsync(fd: int) -> None:
        flushed.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def swap(staging: Path, app_dir: Path) -> None:
        swapped.append(staging)
        flushed.append(Path("swap"))
        real_swap(staging, app_dir)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(appdir, "_swap_into_place", swap)
    files = {"lib/pkg/__init__.py": AppFile(b"x = 1\n"), "lib/pkg/data.txt": AppFile(b"data")}
    app_dir = tmp_path / "apps" / "demo"
    exe = assemble_app(app_dir, "demo", launcher, [b"payload"], files)

    assert exe.read_bytes() == b"\x7fELF launcherpayload"
    assert (app_dir / "lib" / "pkg" / "data.txt").read_bytes() == b"data"
    (staging,) = swapped
    before_swap = flushed[: flushed.index(Path("swap"))]
    assert {str(p.relative_to(staging)) for p in before_swap if p.is_relative_to(staging)} == {
        ".",
        "demo",
        "lib",
        "lib/pkg",
        "lib/pkg/__init__.py",
        "lib/pkg/data.txt",
    }
