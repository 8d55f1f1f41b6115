"""The archive writer: the same tree gives the same bytes, whatever its times and owners."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
import zstandard

from pyoxidizer.pythondist.builder.archive import write_archive


def _tree(root: Path, mtime: int, mode: int) -> Path:
    top = root / "python"
    (top / "install" / "bin").mkdir(parents=True)
    exe = top / "install" / "bin" / "python3.11"
    exe.write_bytes(b"\x7fELF fake")
    exe.chmod(0o700)
    (top / "install" / "bin" / "python3").symlink_to("python3.11")
    (top / "PYTHON.json").write_text("{}\n")
    (top / "b.txt").write_text("b")
    (top / "a.txt").write_text("a")
    for path in top.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (mtime, mtime))
            if path.is_file() and path != exe:
                path.chmod(mode)
    return root


def _members(path: Path) -> list[tarfile.TarInfo]:
    data = zstandard.ZstdDecompressor().stream_reader(path.open("rb")).read()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.getmembers()


def test_same_tree_same_bytes(tmp_path: Path) -> None:
    first = _tree(tmp_path / "one", 1_000_000, 0o600)
    second = _tree(tmp_path / "two", 2_000_000, 0o664)
    write_archive(first, tmp_path / "one.tar.zst")
    write_archive(second, tmp_path / "two.tar.zst")
    assert (tmp_path / "one.tar.zst").read_bytes() == (tmp_path / "two.tar.zst").read_bytes()


def test_members_are_sorted_and_normalised(tmp_path: Path) -> None:
    write_archive(_tree(tmp_path / "t", 1_000_000, 0o600), tmp_path / "t.tar.zst")
    members = _members(tmp_path / "t.tar.zst")
    assert [m.name for m in members] == [
        "python",
        "python/PYTHON.json",
        "python/a.txt",
        "python/b.txt",
        "python/install",
        "python/install/bin",
        "python/install/bin/python3",
        "python/install/bin/python3.11",
    ]
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", 1577836800)
    }
    modes = {m.name: m.mode for m in members}
    assert modes["python/a.txt"] == 0o644
    assert modes["python/install/bin/python3.11"] == 0o755
    assert members[6].issym() and members[6].linkname == "python3.11"


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path / "t", 1_000_000, 0o600)
    dest = tmp_path / "out" / "t.tar.zst"

    def explode(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("pyoxidizer.pythondist.builder.archive.write_tar", explode)
    with pytest.raises(OSError):
        write_archive(root, dest)
    assert list(dest.parent.iterdir()) == []
