"""``pyoxidizer analyze`` on a real built app, on /bin/ls and on files that are not ELF."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Project, config_text, find_python

RULES = """
[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["embedded_pkg"]

[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["beside"]
install_location = "app-relative:lib"
"""


def _app(project: Project, python: str | None = None) -> Path:
    project.write("src/embedded_pkg/__init__.py", "VALUE = 1\n")
    project.write("src/beside/__init__.py", "VALUE = 2\n")
    run = 'mode = "eval"\ncode = "import embedded_pkg; print(embedded_pkg.VALUE)"'
    project.write("pyoxidizer.toml", config_text(python=python, run=run, rules=RULES))
    return project.build()


def _host_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


def test_built_app_text_report(project: Project) -> None:
    exe = _app(project)
    out = project.cli("analyze", str(exe)).stdout
    assert f"Python:             CPython {_host_version()} (from symbol Py_Version)" in out
    assert "run mode:           eval: 'import embedded_pkg; print(embedded_pkg.VALUE)'" in out
    assert re.search(r"newest symbol version needed: GLIBC_2\.\d+", out)
    assert re.search(r"extension modules:\s+\d+", out)
    assert "largest top-level packages:" in out and "encodings" in out
    assert "App-relative files next to the executable: 2" in out
    assert "lib/beside/__init__.py" in out


def test_built_app_json_report(project: Project) -> None:
    exe = _app(project)
    doc = json.loads(project.cli("analyze", str(exe), "--json").stdout)
    assert doc["python_version"]["version"] == _host_version()
    payload = doc["payload"]
    assert payload["run_mode"] == "eval"
    kinds = {k["kind"]: k for k in payload["kinds"]}
    assert kinds["modules"]["count"] > 300 and kinds["extension modules"]["count"] > 10
    assert payload["launcher_bytes"] + payload["payload_bytes"] < doc["size"]
    names = [p["name"] for p in payload["largest_packages"]]
    assert len(names) == 10 and "beside" not in names
    files = {f["path"] for f in doc["app_files"]}
    assert any(f.startswith("lib/beside/__pycache__/") for f in files)
    # The embedded extension modules' own needs: a shared zlib module links libz.
    if "zlib" not in sys.builtin_module_names:
        assert "zlib" in doc["embedded_needs"]["libraries"]["libz.so.1"]


@pytest.mark.skipif(find_python("3.10") is None, reason="no CPython 3.10 with a static libpython")
def test_python_3_10_version_comes_from_rodata(project: Project) -> None:
    python = find_python("3.10")
    assert python is not None
    exe = _app(project, python)
    version = subprocess.run(
        [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    doc = json.loads(project.cli("analyze", str(exe), "--json").stdout)
    assert doc["python_version"] == {
        "version": version,
        "evidence": "version string in .rodata (heuristic)",
    }


def _readelf(*args: str) -> str:
    return subprocess.run(["readelf", *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not Path("/bin/ls").is_file(), reason="no /bin/ls")
def test_bin_ls(project: Project) -> None:
    out = project.cli("analyze", "/bin/ls").stdout
    assert out.startswith("/bin/ls\n  format:       ELF 64-bit little-endian,")
    assert "Linux distributions that can run it" in out
    assert "Embedded Python" not in out
    doc = json.loads(project.cli("analyze", "/bin/ls", "--json").stdout)
    assert doc["payload"] is None and doc["app_files"] is None
    assert "libc.so.6" in doc["elf"]["needed"]
    if shutil.which("readelf"):  # the same facts from an independent tool
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", _readelf("-d", "/bin/ls"))
        assert doc["elf"]["needed"] == needed
        versions = set(re.findall(r"Name: GLIBC_([\d.]+)", _readelf("-V", "--wide", "/bin/ls")))
        newest = max(versions, key=lambda v: tuple(map(int, v.split("."))))
        assert doc["glibc_required"] == newest


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"just text\n", "is not an ELF file", id="text"),
        pytest.param(b"", "is not an ELF file", id="empty"),
        pytest.param(None, "is truncated", id="truncated-ls"),
    ],
)
def test_not_elf_or_truncated_is_one_line_error(
    project: Project, content: bytes | None, message: str
) -> None:
    path = project.root / "sample"
    path.write_bytes(content if content is not None else Path("/bin/ls").read_bytes()[:4096])
    proc = project.cli("analyze", str(path), check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert message in proc.stderr
