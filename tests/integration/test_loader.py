"""How the launcher loads the payload: damage is reported, never crashed on, and shared
objects reach dlopen() verified, from the running file, without Python-level helpers."""

from __future__ import annotations

import marshal
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from pyoxidizer.payload.format import TRAILER, Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from tests.helpers import Project, config_text, run_exe, stored_blob, write_native_package

# The app runs its first argument as code, so one build serves every case.
RUN = 'mode = "eval"\ncode = "import sys; exec(sys.argv[1])"'
EXTENSIONS = ["_decimal", "_json", "_struct", "array", "_ssl", "_sqlite3", "unicodedata"]
EXTENSIONS += ["_bisect", "_heapq", "_random", "_csv", "_lzma", "_bz2", "_pickle"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("loader") / "proj"
    root.mkdir()
    project = Project(root, cache_dir)
    project.write("pyoxidizer.toml", config_text(run=RUN))
    return project.build()


def _variant(app: Path, tmp_path: Path, data: bytes | bytearray, name: str = "bad") -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "error:" in lines[0]
    return lines[0]


def test_extension_modules_load_verified_and_their_memfds_are_closed(app: Path) -> None:
    code = (
        f"import os, {', '.join(EXTENSIONS)}\n"
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    try: print(os.readlink('/proc/self/fd/' + fd))\n"
        "    except OSError: pass  # the directory's own descriptor\n"
    )
    proc = run_exe(app, code)
    assert proc.returncode == 0, proc.stderr
    assert "memfd" not in proc.stdout  # every memfd was closed once its object was loaded


def test_ten_extension_modules_import_with_eight_descriptors(app: Path) -> None:
    code = f"import {', '.join(EXTENSIONS)}; print('imported', len(sys.modules))"
    proc = subprocess.run(
        ["sh", "-c", 'ulimit -n 8 && exec "$0" "$1"', str(app), code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("imported")


def test_reimported_extension_module_is_the_same_object(app: Path) -> None:
    """A descriptor number comes back after close; the loader must not mistake the next
    object loaded through it for the first one, nor load the first one twice."""
    code = (
        "import _json, _decimal; first = _decimal.__file__; del sys.modules['_decimal'];"
        "import _decimal, array; print(_decimal.__file__ == first, _decimal.Decimal('1.5') * 2,"
        " array.array('i', [3]).tolist())"
    )
    proc = run_exe(app, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True 3.0 [3]\n"


def test_trailer_offsets_that_wrap_around_are_refused(app: Path, tmp_path: Path) -> None:
    """Issue 13: 2**64 - 4096 as the payload offset made offset + size wrap to the file size,
    and the index checksum then read memory before the mapping."""
    data = bytearray(app.read_bytes())
    size = len(data)
    data[size - 24 : size - 8] = struct.pack("<QQ", 2**64 - 4096, (size - 40) + 4096)
    line = _one_error_line(run_exe(_variant(app, tmp_path, data)))
    assert "sizes do not match the file" in line


@pytest.mark.parametrize("version", [1, 3, 0xFFFFFFFF])
def test_other_format_versions_are_refused_naming_the_version(
    app: Path, tmp_path: Path, version: int
) -> None:
    data = bytearray(app.read_bytes())
    at = len(data) - TRAILER.size + TRAILER.offsets["version"]
    data[at : at + 4] = struct.pack("<I", version)
    line = _one_error_line(run_exe(_variant(app, tmp_path, data)))
    assert f"format version {version}, but this launcher reads version 2 only" in line


def test_damaged_extension_module_is_an_import_error_not_a_crash(app: Path, tmp_path: Path) -> None:
    image = app.read_bytes()
    data = bytearray(image)
    at, length = stored_blob(image, Kind.EXTENSION, "_decimal")
    data[at + length // 2] ^= 0x40
    bad = _variant(app, tmp_path, data)
    proc = run_exe(bad, "import _decimal")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        "ImportError: embedded payload is corrupt (the shared object of '_decimal' fails its "
        "checksum)"
    )
    # The rest of the app still works; only the damaged module is refused.
    assert run_exe(bad, "import _json; print('ok')").stdout == "ok\n"


def test_damage_to_a_start_up_module_is_one_line(app: Path, tmp_path: Path) -> None:
    image = app.read_bytes()
    data = bytearray(image)
    at, length = stored_blob(image, Kind.MODULE, "encodings")
    data[at + length // 2] ^= 0x01
    line = _one_error_line(run_exe(_variant(app, tmp_path, data)))
    assert "corrupt (the data of 'encodings' fails its checksum)" in line
    assert "Fatal Python error" not in line


def test_a_running_app_keeps_reading_its_own_file_after_an_upgrade(
    app: Path, tmp_path: Path
) -> None:
    """An upgrade renames a new file over the path; the old process must not load the new
    file's bytes (its own index does not describe them)."""
    installed = tmp_path / "installed"
    shutil.copy2(app, installed)
    proc = subprocess.Popen(
        [
            str(installed),
            "print('ready', flush=True); sys.stdin.readline(); import _decimal; "
            "print(_decimal.Decimal(7) / 2)",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline() == "ready\n"
    newer = tmp_path / "newer"
    newer.write_bytes(b"\x7fELF not the same program at all" * 1000)
    newer.chmod(0o755)
    newer.rename(installed)
    out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0, err
    assert out == "3.5\n"


def test_memfd_create_failing_is_an_import_error_naming_the_module(
    app: Path, tmp_path: Path
) -> None:
    if shutil.which("strace") is None:
        pytest.fail("strace is required (scripts/install-system-deps.sh)")
    proc = subprocess.run(
        [
            "strace",
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "inject=memfd_create:error=ENOSYS",
            str(app),
            "import _decimal",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (
        "ImportError: cannot load '_decimal' from memory: memfd_create failed: "
        "Function not implemented (errno 38)"
    )
    assert "OSError" not in proc.stderr


def test_bundled_libraries_load_without_importing_python_modules(project: Project) -> None:
    """Issue 11: with bundled libraries, the first extension module imported made the
    loader import ctypes, whose own import of struct failed when that extension module
    was _struct."""
    write_native_package(project.root)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["oxnative"]\n'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=RUN))
    build = project.cli("build")
    assert "cannot load from memory" not in build.stderr
    exe = project.exe()
    proc = run_exe(
        exe, "import struct, zoneinfo, oxnative; print(oxnative.answer(), 'ctypes' in sys.modules)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "42 False\n"
    contents = read_payload(locate_payload(exe.read_bytes())[0])
    assert len(contents.by_kind(Kind.SHARED_LIBRARY)) == 2


@pytest.mark.network
def test_first_import_of_each_stdlib_extension_with_pillows_bundled_libraries(
    project: Project,
) -> None:
    """Pillow's wheel bundles libraries (pillow.libs/); each stdlib extension module, as the
    first thing a fresh process imports, loads as it does under python, with no ctypes."""
    import sys

    rules = '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "Pillow"\n'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=RUN))
    exe = project.build()
    contents = read_payload(locate_payload(exe.read_bytes())[0])
    assert any(
        ".libs" in name or name.startswith("lib") for name in contents.by_kind(Kind.SHARED_LIBRARY)
    )
    names = sorted(n for n in contents.by_kind(Kind.EXTENSION) if "." not in n)
    assert len(names) > 40
    code = "__import__(sys.argv[2]); print('ctypes' in sys.modules)"
    failures = []
    for name in names:
        reference = subprocess.run(
            [sys.executable, "-I", "-S", "-c", f"import {name}"], capture_output=True
        )
        proc = run_exe(exe, code, name)
        expected = "False\n" if reference.returncode == 0 else None
        if expected is not None and (proc.returncode != 0 or proc.stdout != expected):
            failures.append((name, proc.stdout, proc.stderr[-300:]))
    assert failures == []
    # _imagingft needs freetype and harfbuzz, which need each other.
    code = "import PIL.Image, PIL.features; print(PIL.Image.new('RGB', (2, 2)).size, PIL.features.check('freetype2'))"
    proc = run_exe(exe, code)
    assert proc.stdout == "(2, 2) True\n", proc.stderr


def test_launcher_checksum_is_zlibs_crc32_with_and_without_pclmul(app: Path) -> None:
    lengths = (0, 1, 15, 16, 63, 64, 65, 127, 255, 256, 257, 511, 512, 1040, 4096, 70001)
    code = (
        "import _pyoxidizer, random, zlib\n"
        "data = random.Random(5).randbytes(80000)\n"
        "print(all(_pyoxidizer.crc32(data[i:i + n]) == zlib.crc32(data[i:i + n])\n"
        f"          for i in range(0, 40, 7) for n in {lengths!r}))"
    )
    # AVX-512 folding where the CPU has it, 128-bit PCLMULQDQ folding, and the tables.
    for env in ({}, {"PYOXIDIZER_CRC_NO_AVX512": "1"}, {"PYOXIDIZER_CRC_TABLES": "1"}):
        proc = run_exe(app, code, env={**os.environ, **env})
        assert proc.stdout == "True\n", proc.stderr


def test_eval_code_runs_compiled_at_build_time(app: Path) -> None:
    contents = read_payload(locate_payload(app.read_bytes())[0])
    code = marshal.loads(contents.main_code)
    assert code.co_filename == "<string>"
    proc = run_exe(app, "print(sys._getframe().f_code.co_filename, __name__); 1/0")
    assert proc.stdout == "<string> __main__\n"
    assert 'File "<string>", line 1, in <module>' in proc.stderr


def _with_bootstrap(app: Path, bootstrap: bytes) -> bytes:
    """The app's launcher with its payload rewritten around another bootstrap blob."""
    from pyoxidizer.payload.writer import PayloadEntry, PayloadHeader, write_payload, write_trailer

    image = app.read_bytes()
    payload, _ = locate_payload(image)
    contents = read_payload(payload)
    launcher = image[: len(image) - TRAILER.size - len(payload)]
    entries = [
        PayloadEntry(e.kind, e.name, bytes(e.data), None, bool(e.flags & 1), needs=e.needs)
        for e in contents.entries
        if e.kind != Kind.DICTIONARY
    ]
    header = PayloadHeader(
        contents.config_flags,
        contents.optimize_level,
        marshal.dumps(contents.runtime_config),
        bootstrap,
        contents.stdio_encoding,
        contents.main_code,
    )
    new, index_len = write_payload(header, entries)
    return launcher + new + write_trailer(len(launcher), new, index_len)


@pytest.mark.parametrize(
    ("bootstrap", "message"),
    [
        (marshal.dumps(42), "the embedded bootstrap is malformed (not a tuple of modules)"),
        (
            marshal.dumps((("x", 1),)),
            "the embedded bootstrap is malformed (an item is not a (name, bytes) pair)",
        ),
        (marshal.dumps((("x", marshal.dumps(1)),)), "the embedded bootstrap module x is not code"),
    ],
)
def test_a_malformed_bootstrap_is_reported_not_silent(
    app: Path, tmp_path: Path, bootstrap: bytes, message: str
) -> None:
    """A checksum-valid but malformed bootstrap raises a Python exception naming the
    problem; the launcher prints it and its own line (it said only "failed to start")."""
    proc = run_exe(_variant(app, tmp_path, _with_bootstrap(app, bootstrap)))
    assert proc.returncode == 1
    assert f"RuntimeError: {message}" in proc.stderr
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .endswith("error: the embedded importer failed to start")
    )


def _need_root_tools(tool: str) -> None:
    if shutil.which(tool) is None or os.geteuid() != 0:
        pytest.fail(f"this test needs root and util-linux {tool} (scripts/install-system-deps.sh)")


def test_launcher_errors_name_errno(app: Path) -> None:
    """An execute-only executable run by another user cannot read its own payload: the one
    error line says which step failed and why (strerror and errno)."""
    _need_root_tools("setpriv")
    shared = Path(tempfile.mkdtemp(prefix="pyox-xonly-"))
    try:
        shared.chmod(0o755)
        exe = shared / "app"
        shutil.copyfile(app, exe)
        exe.chmod(0o711)
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(exe)]
        proc = subprocess.run(argv, capture_output=True, text=True)
    finally:
        shutil.rmtree(shared)
    line = _one_error_line(proc)
    assert line.endswith(
        "error: cannot open the running executable to read the embedded payload: "
        "Permission denied (errno 13)"
    )


def test_an_app_runs_where_proc_is_not_mounted(app: Path) -> None:
    """Without /proc (an empty chroot, a minimal container) the launcher finds itself by the
    path it was run as (AT_EXECFN), relative or absolute."""
    _need_root_tools("unshare")
    code = "import sys, json, os; print(os.path.exists('/proc/self'), sys.executable)"
    for how in (f"exec '{app}'", f"cd '{app.parent}' && exec './{app.name}'"):
        script = f'mount -t tmpfs none /proc && {how} "{code}"'
        argv = ["unshare", "-m", "sh", "-c", script]
        proc = subprocess.run(argv, capture_output=True, text=True)
        assert proc.returncode == 0, (how, proc.stderr)
        assert proc.stdout == f"False {app}\n"
    # Extension modules are loaded from memory through /proc/self/fd: without /proc, the
    # import fails with an error that says so (musl executables link them in instead).
    script = f"mount -t tmpfs none /proc && exec '{app}' 'import _decimal'"
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "ImportError: cannot load '_decimal' from memory: /proc is not mounted" in proc.stderr


def test_import_time_report_covers_imports_from_memory(app: Path) -> None:
    code = "import json, email.parser; print('ok')"
    plain = run_exe(app, code)
    assert plain.stdout == "ok\n" and "import time:" not in plain.stderr
    timed = run_exe(app, code, env={**os.environ, "PYOXIDIZER_IMPORT_TIME": "1"})
    assert timed.stdout == "ok\n", timed.stderr
    lines = timed.stderr.splitlines()
    assert lines[0].startswith("import time: self [us] | cumulative | imported package")
    modules = {line.rsplit("|", 1)[1].strip() for line in lines[1:]}
    assert {"json", "json.decoder", "email.parser", "encodings"} <= modules
