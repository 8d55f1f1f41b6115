"""Builds both standalone distributions from real sources and checks what they contain.

Needs a directory filled by ``scripts/fetch-sources.sh DIR`` in PYOXIDIZER_STANDALONE_SOURCES.
The first build of both targets takes a while on two cores (see docs/standalone.md); reruns
copy the archives from the cache. Without sources the tests fail and say how to provide them,
unless PYOXIDIZER_STANDALONE_SKIP=1 opts out explicitly.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import zstandard

from pyoxidizer.cli import cache_dir
from pyoxidizer.pythondist.builder.metadata import missing_keys

pytestmark = pytest.mark.slow

TARGETS = ("x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl")
IMPORTS = (
    "import ssl, sqlite3, zlib, lzma, bz2, decimal, ctypes, hashlib, json, readline, curses, "
    "uuid, _ctypes, _uuid, pyexpat, _elementtree, _curses_panel; "
    "print(ssl.OPENSSL_VERSION); print(sqlite3.sqlite_version); "
    "print(hashlib.sha256(b'x').hexdigest()[:8]); print(decimal.Decimal(1) / 7)"
)
EXPECTED_EXTENSIONS = {
    "_ssl": {"ssl", "crypto"},
    "_hashlib": {"crypto"},
    "_sqlite3": {"sqlite3"},
    "zlib": {"z"},
    "_lzma": {"lzma"},
    "_bz2": {"bz2"},
    "_ctypes": {"ffi"},
    "pyexpat": {"expat"},
    "readline": {"readline", "ncursesw"},
    "_curses": {"ncursesw"},
    "_curses_panel": {"panelw", "ncursesw"},
    "_uuid": {"uuid"},
    "_decimal": {"mpdec"},
}


def _sources() -> Path:
    if os.environ.get("PYOXIDIZER_STANDALONE_SKIP") == "1":
        pytest.skip("PYOXIDIZER_STANDALONE_SKIP=1: standalone distribution builds opted out")
    value = os.environ.get("PYOXIDIZER_STANDALONE_SOURCES")
    if not value or not Path(value).is_dir():
        pytest.fail(
            "PYOXIDIZER_STANDALONE_SOURCES must name a directory filled by "
            "`bash scripts/fetch-sources.sh DIR` (or set PYOXIDIZER_STANDALONE_SKIP=1 to skip "
            f"these tests explicitly); it is {value!r}."
        )
    return Path(value)


@pytest.fixture(scope="module", params=TARGETS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extracted ``python/`` directory of the target's archive."""
    triple = request.param
    out = tmp_path_factory.mktemp(triple)
    archive = out / f"cpython-{triple}.tar.zst"
    cmd = [sys.executable, "-m", "pyoxidizer", "python-distribution-build"]
    cmd += ["--sources", str(_sources()), "--target", triple, "--output", str(archive)]
    cmd += ["--jobs", str(min(2, os.cpu_count() or 1))]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = zstandard.ZstdDecompressor().stream_reader(archive.open("rb")).read()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(out / "x", filter="tar")
    return out / "x" / "python"


def _doc(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "PYTHON.json").read_text())


def test_interpreter_imports_every_library_module(built: Path) -> None:
    exe = built / "install" / "bin" / "python3.11"
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm"}
    proc = subprocess.run([str(exe), "-I", "-c", IMPORTS], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("OpenSSL 3.")
    assert lines[2] == "2d711642"
    assert lines[3].startswith("0.142857")


def test_python_json_is_complete_and_points_at_real_files(built: Path) -> None:
    doc = _doc(built)
    assert missing_keys(doc) == []
    info = doc["build_info"]
    paths = [*info["core"]["objs"], info["inittab_object"], info["inittab_source"]]
    paths += [info["core"]["static_lib"], doc["python_exe"], doc["license_path"], doc["run_tests"]]
    for entries in info["extensions"].values():
        for entry in entries:
            paths += entry["objs"] + entry["license_paths"]
            paths += [link["path_static"] for link in entry["links"] if "path_static" in link]
    absent = [p for p in paths if not (built / p).is_file()]
    assert absent == []


def test_extensions_are_separate_objects_with_their_libraries(built: Path) -> None:
    extensions = _doc(built)["build_info"]["extensions"]
    for name, libs in EXPECTED_EXTENSIONS.items():
        entry = extensions[name][0]
        assert entry["objs"] and not entry["in_core"], name
        assert libs <= {link["name"] for link in entry["links"]}, name
    assert extensions["_ssl"][0]["licenses"] == ["Apache-2.0"]
    assert extensions["_sqlite3"][0]["license_public_domain"] is True
    assert extensions["readline"][0]["licenses"] == ["GPL-3.0-or-later", "X11"]
    assert extensions["_io"][0]["required"] is True
    for left_out in ("_tkinter", "_gdbm"):
        assert left_out not in extensions
        assert left_out in _doc(built)["pyoxidizer_missing_extensions"]


def test_sources_are_recorded(built: Path) -> None:
    sources = json.loads((built / "SOURCES.json").read_text())
    assert len(sources["recipe_sha256"]) == 64
    assert sources["sources"]["openssl"]["upstream_version"].startswith("3.")
    assert all(len(s["sha256"]) == 64 for s in sources["sources"].values())


def _analyze(path: Path) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, "-m", "pyoxidizer", "analyze", str(path), "--json"]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def test_target_libc(built: Path) -> None:
    exe = built / "install" / "bin" / "python3.11"
    report = _analyze(exe)
    if _doc(built)["target_triple"].endswith("gnu"):
        glibc = tuple(int(p) for p in report["glibc_required"].split("."))
        assert glibc <= (2, 17), report["glibc_required"]
        assert report["extra_libraries"] == []
    else:
        assert report["elf"]["interpreter"] is None and report["elf"]["needed"] == []
        if shutil.which("file"):
            described = subprocess.run(["file", str(exe)], capture_output=True, text=True)
            assert "statically linked" in described.stdout


def test_no_build_path_leaks_into_the_archive(built: Path) -> None:
    # Reproducible wherever it is built: the work directory (under the cache) is nowhere.
    needle = str(cache_dir().absolute()).encode()
    leaks = [
        str(path.relative_to(built))
        for path in built.rglob("*")
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes()
    ]
    assert leaks == []


def test_test_package_is_installed(built: Path) -> None:
    stdlib = built / "install" / "lib" / "python3.11"
    assert (stdlib / "test" / "__init__.py").is_file()
    assert "test" in _doc(built)["python_stdlib_test_packages"]


def test_zstd_for_the_launcher_is_shipped_with_every_symbol_hidden(built: Path) -> None:
    """The launcher's zstd (decoder only): the library, its headers and its licence."""
    library = built / "build" / "lib" / "libzstd.a"
    assert (built / "build" / "include" / "zstd" / "zstd.h").is_file()
    assert "BSD" in (built / "licenses" / "LICENSE.zstd.txt").read_text()
    symbols = subprocess.run(
        ["readelf", "-sW", str(library)], capture_output=True, text=True, check=True
    ).stdout
    defined = [line.split() for line in symbols.splitlines() if " FUNC " in line]
    defined = [f for f in defined if len(f) >= 8 and f[6] != "UND"]
    names = {f[7] for f in defined}
    assert {"ZSTD_decompressDCtx", "ZSTD_createDDict_byReference"} <= names
    assert "ZSTD_compress" not in names  # the decoder only
    assert {f[7] for f in defined if f[4] == "GLOBAL" and f[5] != "HIDDEN"} == set()
