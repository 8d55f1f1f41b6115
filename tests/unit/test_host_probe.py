"""Programs that are not CPython given as ``python_executable``: one clear error each, with
the real runner (issue 13 §3)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pyoxidizer.errors import DistributionError
from pyoxidizer.pythondist import host


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-python"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("exit 0\n", "did not answer the probe with JSON"),
        ('echo "$@"\n', "did not answer the probe with JSON"),
        ("echo 'Python 3.11.7'\n", "did not answer the probe with JSON"),
        ("echo '[1, 2]'\n", "answered the probe with something other than an object"),
        ("echo '{\"version\": [3, 11, 0]}'\n", "gave an unexpected answer to the probe"),
        ("echo oops >&2; exit 2\n", r"failed to start \(exit 2\): oops"),
    ],
    ids=["true", "echo", "not-json", "json-array", "json-lacking-keys", "fails"],
)
def test_a_program_that_is_not_cpython(tmp_path: Path, body: str, expected: str) -> None:
    python = _script(tmp_path, body)
    with pytest.raises(DistributionError, match=expected):
        host.probe_host_distribution(python)


@pytest.mark.parametrize("python", ["/bin/true", "/bin/echo"])
def test_real_programs_that_are_not_cpython(python: str) -> None:
    with pytest.raises(DistributionError, match="did not answer the probe with JSON"):
        host.probe_host_distribution(python)


def test_a_sleeper_with_a_grandchild_holding_the_pipe_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(host, "PROBE_TIMEOUT", 1)
    python = _script(tmp_path, "sleep 30 &\nsleep 30\n")
    started = time.monotonic()
    with pytest.raises(DistributionError, match="did not answer within 1 seconds"):
        host.probe_host_distribution(python)
    assert time.monotonic() - started < 10  # not until the grandchild's sleep ends
