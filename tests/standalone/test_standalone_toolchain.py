"""The zig toolchain: a clear error without ziglang, and one-word wrapper scripts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pyoxidizer.errors import StandaloneBuildError
from pyoxidizer.pythondist.builder.targets import TARGETS, target_for
from pyoxidizer.pythondist.builder.toolchain import Zig, find_zig, make_toolchain


def test_missing_zig_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ziglang" else real(name, *a),
    )
    with pytest.raises(StandaloneBuildError) as err:
        find_zig()
    assert "pip install 'pyoxidizer[standalone]'" in str(err.value)


def test_wrappers_exec_zig_with_the_target(tmp_path: Path) -> None:
    zig = Zig(tmp_path / "zig" / "zig", "0.15.2")
    tc = make_toolchain(
        zig, TARGETS["x86_64-unknown-linux-gnu"], tmp_path / "bin", tmp_path, tmp_path / "c"
    )
    cc = (tmp_path / "bin" / "cc").read_text()
    assert cc.startswith("#!/bin/sh\nexec ")
    assert "'-target' 'x86_64-linux-gnu.2.17'" in cc and cc.rstrip().endswith('"$@"')
    assert f"-ffile-prefix-map={tmp_path}=/pyoxidizer-build" in cc
    assert "'-target' 'x86_64-linux-gnu'" in (tmp_path / "bin" / "host-cc").read_text()
    assert " ar " in (tmp_path / "bin" / "ar").read_text()
    env = tc.env({"PATH": "/usr/bin", "CFLAGS": "-O0"})
    assert env["CC"] == str(tmp_path / "bin" / "cc") and "CFLAGS" not in env
    assert env["ZIG_GLOBAL_CACHE_DIR"].startswith(str(tmp_path / "c"))
    assert env["SOURCE_DATE_EPOCH"] and env["PATH"].startswith(str(tmp_path / "bin"))


def test_musl_target() -> None:
    assert target_for("x86_64-unknown-linux-musl").zig_target == "x86_64-linux-musl"


def test_unknown_target() -> None:
    with pytest.raises(StandaloneBuildError, match="use one of: x86_64-unknown-linux-gnu"):
        target_for("aarch64-apple-darwin")
