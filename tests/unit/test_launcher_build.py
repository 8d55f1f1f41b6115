"""Launcher build failures are reported as errors, not tracebacks."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from pyoxidizer.errors import LauncherError
from pyoxidizer.launcher import ensure_launcher
from pyoxidizer.pythondist import probe_host_distribution


def test_missing_compiler_is_a_clear_error(tmp_path: Path) -> None:
    dist = dataclasses.replace(probe_host_distribution(sys.executable), cc=("/nonexistent/gcc",))
    with pytest.raises(LauncherError, match="cannot run the C compiler '/nonexistent/gcc'"):
        ensure_launcher(dist, False, tmp_path)
    assert list((tmp_path / "launchers").iterdir()) == []  # nothing half-written


def test_launcher_is_cached_per_build_type(tmp_path: Path) -> None:
    dist = probe_host_distribution(sys.executable)
    debug, built = ensure_launcher(dist, False, tmp_path)
    assert built and debug.is_file()
    again, built_again = ensure_launcher(dist, False, tmp_path)
    assert again == debug and not built_again
    release, _ = ensure_launcher(dist, True, tmp_path)
    assert release != debug and release.stat().st_size < debug.stat().st_size
