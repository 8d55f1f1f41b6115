"""Bad input gives one clear error line (never a traceback), and failed stages show their log."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_standalone_sources import DEBIAN, _fill

from pyoxidizer.cli import main
from pyoxidizer.errors import StandaloneBuildError
from pyoxidizer.pythondist.builder.context import BuildContext
from pyoxidizer.pythondist.builder.targets import TARGETS
from pyoxidizer.pythondist.builder.toolchain import Zig, make_toolchain


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["python-distribution-build", *args])
    err = capsys.readouterr().err
    assert code == 1
    # Progress lines may come first; the error is the last line, and the only one.
    lines = err.splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in err
    assert sum(line.startswith("error: ") for line in lines) == 1
    return lines[-1]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYOXIDIZER_CACHE_DIR", str(tmp_path / "cache"))


def _args(sources: Path, output: Path, target: str = "x86_64-unknown-linux-musl") -> list[str]:
    return ["--sources", str(sources), "--target", target, "--output", str(output)]


def test_missing_sources_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _run(tmp_path, capsys, *_args(tmp_path / "nope", tmp_path / "o.tar.zst"))
    assert "sources directory" in err and "does not exist" in err


def test_unknown_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = _fill(tmp_path / "s", DEBIAN)
    err = _run(tmp_path, capsys, *_args(sources, tmp_path / "o.tar.zst", "riscv64-linux"))
    assert "'riscv64-linux' is not supported" in err


def test_output_in_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = _fill(tmp_path / "s", DEBIAN)
    err = _run(tmp_path, capsys, *_args(sources, tmp_path / "no" / "o.tar.zst"))
    assert f"output directory {tmp_path / 'no'} does not exist" in err


def test_two_cpython_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = _fill(tmp_path / "s", DEBIAN + ["Python-3.11.9.tar.xz"])
    err = _run(tmp_path, capsys, *_args(sources, tmp_path / "o.tar.zst"))
    assert "Python-3.11.9.tar.xz" in err and "python3.11_3.11.2.orig.tar.gz" in err


def test_corrupt_tarball(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ziglang", reason="the standalone extra (zig) is part of the test extra")
    sources = _fill(tmp_path / "s", DEBIAN)
    err = _run(tmp_path, capsys, *_args(sources, tmp_path / "o.tar.zst"))
    assert "cannot be extracted" in err and "python3.11_3.11.2.orig.tar.gz" in err
    assert not (tmp_path / "o.tar.zst").exists()


class _Quiet:
    def stage(self, message: str) -> None: ...

    def detail(self, message: str) -> None: ...


def test_failed_stage_names_library_and_shows_log_tail(tmp_path: Path) -> None:
    def failing_runner(argv, *, cwd, env, log, echo=None):  # type: ignore[no-untyped-def]
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(f"line {i}\n" for i in range(100)))
        return 2

    zig = Zig(tmp_path / "zig", "0.15.2")
    target = TARGETS["x86_64-unknown-linux-gnu"]
    ctx = BuildContext(
        toolchain=make_toolchain(zig, target, tmp_path / "bin", tmp_path, tmp_path / "zc"),
        prefix=tmp_path / "prefix",
        logs_dir=tmp_path / "logs",
        jobs=1,
        runner=failing_runner,
        reporter=_Quiet(),
        verbose=False,
        base_env={},
    )
    with pytest.raises(StandaloneBuildError) as err:
        ctx.make("openssl", tmp_path, "build_libs")
    message = str(err.value)
    assert message.startswith("Building openssl failed")
    assert str(tmp_path / "logs" / "openssl.log") in message
    assert "line 99" in message and "line 70" in message and "line 69" not in message
