"""A rerun with the same inputs copies the cached archive instead of building."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_standalone_sources import DEBIAN, _fill

from pyoxidizer.pythondist.builder import BuildRequest, build_distribution
from pyoxidizer.pythondist.builder.keys import build_key, recipe_digest
from pyoxidizer.pythondist.builder.sources import discover_sources
from pyoxidizer.pythondist.builder.toolchain import find_zig


class _Recorder:
    def __init__(self) -> None:
        self.stages: list[str] = []

    def stage(self, message: str) -> None:
        self.stages.append(message)

    def detail(self, message: str) -> None: ...


def _never_run(*args: object, **kwargs: object) -> int:
    raise AssertionError("a cached build must not run any command")


def test_cached_archive_is_copied(tmp_path: Path) -> None:
    pytest.importorskip("ziglang", reason="the standalone extra (zig) is part of the test extra")
    sources = _fill(tmp_path / "s", DEBIAN)
    triple = "x86_64-unknown-linux-gnu"
    key = build_key(discover_sources(sources), recipe_digest(), triple, find_zig())
    cached = tmp_path / "cache" / "standalone" / "archives" / f"{triple}-{key[:32]}.tar.zst"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"archive bytes")
    request = BuildRequest(sources, triple, tmp_path / "out.tar.zst", tmp_path / "cache", {})
    reporter = _Recorder()
    result = build_distribution(request, reporter, runner=_never_run)
    assert result.from_cache and (tmp_path / "out.tar.zst").read_bytes() == b"archive bytes"
    assert reporter.stages == [f"reusing the cached build of {triple} ({cached})"]


def test_changed_source_changes_the_key(tmp_path: Path) -> None:
    pytest.importorskip("ziglang")
    sources = _fill(tmp_path / "s", DEBIAN)
    zig = find_zig()
    before = build_key(discover_sources(sources), "r", "t", zig)
    (sources / "zlib_1.2.13.dfsg.orig.tar.bz2").write_bytes(b"other")
    assert build_key(discover_sources(sources), "r", "t", zig) != before
    assert build_key(discover_sources(sources), "r", "other-target", zig) != before
