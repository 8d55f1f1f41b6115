"""The executable needs no Python installation and reads no Python files at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyoxidizer.payload.format import Kind
from tests.helpers import Project, config_text, run_exe, stored_blob

CODE = "import json, decimal, sqlite3, email.parser; print(json.dumps([1]), decimal.Decimal(2))"


def _python_prefixes() -> list[str]:
    """Every place a Python installation lives on this machine."""
    candidates = [
        sys.base_prefix,
        os.path.expanduser("~/.pyenv"),
        "/usr/lib/python3",
        "/usr/local/lib/python3",
        *(f"/usr/lib/python3.{m}" for m in range(6, 15)),
    ]
    found = sorted({os.path.realpath(p) for p in candidates if os.path.isdir(p)})
    # A tmpfs over a parent hides its children: drop paths inside another one.
    return [p for p in found if not any(p.startswith(q + "/") for q in found)]


def test_runs_with_every_python_installation_hidden(project: Project) -> None:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.fail("this test needs root and util-linux unshare (scripts/install-system-deps.sh)")
    project.write("pyoxidizer.toml", config_text(run=f'mode = "eval"\ncode = "{CODE}"'))
    exe = project.build()
    hide = " && ".join(f"mount -t tmpfs none '{p}'" for p in _python_prefixes())
    script = f"{hide} && test ! -e '{sys.base_prefix}/bin' && '{exe}'"
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[1] 2"


def test_no_python_file_is_opened(project: Project, tmp_path: Path) -> None:
    if shutil.which("strace") is None:
        pytest.fail("strace is required (scripts/install-system-deps.sh)")
    project.write("pyoxidizer.toml", config_text(run=f'mode = "eval"\ncode = "{CODE}"'))
    exe = project.build()
    log = tmp_path / "strace.log"
    proc = subprocess.run(
        [
            "strace",
            "-f",
            "-e",
            "trace=open,openat,openat2,stat,newfstatat,statx,access",
            "-o",
            str(log),
            str(exe),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines()
    assert any("openat" in c or "open(" in c for c in calls)  # strace did observe file access
    python_files = [c for c in calls if '.py"' in c or '.pyc"' in c or "site-packages" in c]
    assert python_files == []
    stdlib_probes = [c for c in calls if sys.base_prefix + "/lib/python" in c]
    assert stdlib_probes == []


def test_corrupted_payload_gives_one_line_error(project: Project, tmp_path: Path) -> None:
    project.write("pyoxidizer.toml", config_text())
    exe = project.build()
    data = exe.read_bytes()
    from pyoxidizer.payload.reader import locate_payload

    payload, index_len = locate_payload(data)
    start = len(data) - 40 - len(payload)
    cases = {
        "truncated": data[: len(data) - 1000],
        "index": data[: start + 70] + bytes([data[start + 70] ^ 0xFF]) + data[start + 71 :],
        "trailer": data[:-40],
    }
    for label, image in cases.items():
        bad = tmp_path / f"bad-{label}"
        bad.write_bytes(image)
        bad.chmod(0o755)
        proc = run_exe(bad)
        assert proc.returncode == 1, label
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "payload" in lines[0] and "error" in lines[0], (label, lines)


def test_corrupted_module_bytecode_is_reported_not_crashed(
    project: Project, tmp_path: Path
) -> None:
    project.write("src/victim.py", "MARKER = 'corrupt-me-please-0123456789'\n")
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["victim"]\ninclude_source = false\n'
    project.write(
        "pyoxidizer.toml", config_text(run='mode = "eval"\ncode = "import victim"', rules=rules)
    )
    data = bytearray(project.build().read_bytes())
    at, length = stored_blob(bytes(data), Kind.MODULE, "victim")  # a zstd frame, by default
    data[at + length // 2] ^= 0xFF
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    bad.chmod(0o755)
    proc = run_exe(bad)
    assert proc.returncode == 1
    assert "checksum" in proc.stderr and "Segmentation" not in proc.stderr
