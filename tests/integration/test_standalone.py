"""Executables built on python-build-standalone archives (issue 10's proof).

The archives come from ``PYOXIDIZER_TEST_DISTRIBUTIONS`` (see tests/archives.py): a
glibc one (x86_64-unknown-linux-gnu, glibc 2.17 floor) and a musl one (fully static).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyoxidizer.payload.format import EntryFlag, Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from tests.archives import (
    GNU,
    MUSL,
    archive_for,
    distribution_section,
    rewrite_archive,
    rewrite_python_json,
    upstream_shaped,
)
from tests.helpers import Project, config_text, run_exe
from tests.integration.test_isolation import _python_prefixes
from tests.integration.test_packaging_rules import PYFLAKES_CONFIG, _reference

# json, sqlite3, ssl, zlib, lzma, bz2, decimal, ctypes and hashlib, each used for real.
STDLIB_TOUR = """\
import bz2, ctypes, decimal, hashlib, json, lzma, math, sqlite3, ssl, sys, zlib
data = b"pyoxidizer " * 1000
packed = [len(m.compress(data)) for m in (zlib, lzma, bz2)]
assert all(m.decompress(m.compress(data)) == data for m in (zlib, lzma, bz2))
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
total = db.execute("select sum(x) from t").fetchone()[0]
buf = ctypes.create_string_buffer(b"abc")
context = ssl.create_default_context(cadata=CA) if CA else ssl.create_default_context()
print(json.dumps({
    "sum": total,
    "decimal": str(decimal.Decimal(1) / decimal.Decimal(7)),
    "sha256": hashlib.sha256(data).hexdigest()[:12],
    "blake2b": hashlib.blake2b(b"x").hexdigest()[:8],
    "ctypes": [ctypes.sizeof(ctypes.c_long), buf.value.decode()],
    "openssl": ssl.OPENSSL_VERSION.split()[1],
    "cas": context.cert_store_stats()["x509_ca"],
    "sqlite": sqlite3.sqlite_version,
    "compressed": all(n < len(data) for n in packed),
    "log2": math.log2(2.0 ** -1065),  # glibc's libm, not zig's compiler_rt (subnormals)
    "builtin": [m for m in ("_ssl", "_sqlite3", "_ctypes", "zlib") if m in sys.builtin_module_names],
}))
"""

EXPECTED = {
    "sum": 45,
    "decimal": "0.1428571428571428571428571429",
    "sha256": hashlib.sha256(b"pyoxidizer " * 1000).hexdigest()[:12],
    "blake2b": hashlib.blake2b(b"x").hexdigest()[:8],
    "ctypes": [8, "abc"],
    "compressed": True,
    "log2": -1065.0,
    "builtin": ["_ssl", "_sqlite3", "_ctypes", "zlib"],
}


def _tour(ca: str) -> str:
    return f"CA = {ca}\n{STDLIB_TOUR}"


def _config(target: str, run: str, rules: str = "", **kwargs: str) -> str:
    return distribution_section(target) + config_text(run=run, rules=rules, **kwargs)


def _eval(code: str) -> str:
    return f"mode = \"eval\"\ncode = '''{code}'''"


def _require_root() -> None:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.fail("this test needs root and util-linux unshare (scripts/install-system-deps.sh)")


def _check_tour(stdout: str) -> dict[str, object]:
    got = json.loads(stdout)
    for key, value in EXPECTED.items():
        assert got[key] == value, (key, got)
    assert str(got["openssl"]).startswith("3.")
    return dict(got)


@pytest.mark.network  # certifi comes from the package index
def test_musl_executable_runs_in_an_empty_root(project: Project, tmp_path: Path) -> None:
    _require_root()
    rules = '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "certifi"\n'
    run = _eval("import certifi\n" + _tour("certifi.contents()"))
    project.write("pyoxidizer.toml", _config(MUSL, run, rules))
    exe = project.build("--release", "--target", MUSL)
    kind = subprocess.run(["file", "-b", str(exe)], capture_output=True, text=True).stdout
    assert "statically linked" in kind, kind
    root = tmp_path / "empty-root"
    root.mkdir()
    shutil.copy2(exe, root / "app")
    assert sorted(p.name for p in root.iterdir()) == ["app"]  # no /lib, /usr, /proc, Python
    proc = subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "chroot", str(root), "/app"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    got = _check_tour(proc.stdout)
    assert int(str(got["cas"])) > 100  # certifi's bundle, read from memory


def test_gnu_executable_needs_glibc_2_17_and_no_python(project: Project) -> None:
    _require_root()
    project.write("pyoxidizer.toml", _config(GNU, _eval(_tour("None"))))
    exe = project.build("--release", "--target", GNU)
    report = project.cli("analyze", str(exe)).stdout
    assert "newest symbol version needed: GLIBC_2.17" in report, report
    for row in ("RHEL / CentOS 7", "Debian 9 (stretch)", "Ubuntu 18.04 LTS", "Amazon Linux 2 "):
        line = next(line for line in report.splitlines() if row in line)
        assert line.split()[0] == "yes", line
    hidden = {*_python_prefixes(), str(project.cache_dir), str(archive_for(GNU).parent)}
    hide = " && ".join(f"mount -t tmpfs none '{p}'" for p in sorted(hidden))
    script = f"{hide} && test ! -e '{sys.base_prefix}/bin' && '{exe}'"
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    _check_tour(proc.stdout)


@pytest.mark.network
@pytest.mark.parametrize("target", [GNU, MUSL])
def test_pyflakes_walkthrough_on_each_archive(
    project: Project, tmp_path: Path, target: str
) -> None:
    project.write("pyoxidizer.toml", distribution_section(target) + PYFLAKES_CONFIG)
    project.write("victim.py", "import os\nimport sys\nprint(sys.argv)\n")
    exe = project.build("--target", target)
    ours = run_exe(exe, "victim.py", cwd=project.root)
    theirs = _reference(tmp_path, ["pyflakes==2.1.1"], "pyflakes", "victim.py", cwd=project.root)
    assert ours.stdout == theirs.stdout == "victim.py:1: 'os' imported but unused\n"
    assert ours.returncode == theirs.returncode == 1
    clean = run_exe(exe, cwd=project.root, input="x = 1\n")  # stdin, as pyflakes does by default
    assert (clean.returncode, clean.stdout) == (0, "")


@pytest.mark.parametrize("target", [GNU, MUSL])
def test_only_selected_extension_modules_are_linked_in(project: Project, target: str) -> None:
    code = (
        "import sys, json, importlib.util as u; "
        "print(json.dumps([u.find_spec(m) is not None and u.find_spec(m).origin "
        "for m in ('_json', '_ssl', 'zlib', 'posix')]))"
    )
    extensions = 'policy = "minimal"\n\n[[packaging_rule]]\ntype = "stdlib-extensions-explicit-includes"\nincludes = ["_json"]'
    project.write("pyoxidizer.toml", _config(target, _eval(code), extensions=extensions))
    exe = project.build("--target", target)
    proc = run_exe(exe)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["built-in", False, False, "built-in"]
    # Nothing is loaded from memory: the payload holds no extension module.
    payload, _ = locate_payload(exe.read_bytes())
    assert read_payload(payload).by_kind(Kind.EXTENSION) == {}


def test_musl_target_from_run_app_path_and_distribution(project: Project) -> None:
    project.write("pyoxidizer.toml", _config(MUSL, _eval("import sys; print(sys.argv[1:])")))
    path = project.cli("app-path", "--target", MUSL).stdout.strip()
    assert path.endswith(f"/{MUSL}/debug")
    ran = project.cli("run", "--target", MUSL, "--", "a", "b")
    assert ran.stdout == "['a', 'b']\n"
    made = project.cli("distribution", "--target", MUSL, "--type", "tarball").stdout
    assert MUSL in made and ".tar" in made


def test_license_files_follow_what_is_linked(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "write-license-files"\npath = "licenses"\n'
    extensions = 'policy = "minimal"\n\n[[packaging_rule]]\ntype = "stdlib-extensions-explicit-includes"\nincludes = ["_ssl"]'
    project.write("pyoxidizer.toml", _config(GNU, _eval("print(1)"), rules, extensions=extensions))
    exe = project.build("--target", GNU)
    names = sorted(p.name for p in (exe.parent / "licenses" / "python").iterdir())
    assert any("cpython" in n for n in names) and any("openssl" in n for n in names)
    assert not any("sqlite" in n or "readline" in n for n in names), names
    licenses = project.cli("python-distribution-licenses", str(archive_for(GNU))).stdout
    assert "readline" in licenses and "GPL-3.0" in licenses


def test_an_archive_shaped_like_python_build_standalones_own(
    project: Project, tmp_path: Path
) -> None:
    """The writer of python-build-standalone spells some keys differently from its prose;
    a format-7 archive written its way builds and runs too (see upstream_shaped)."""
    archive = tmp_path / "cpython-3.11-x86_64-unknown-linux-gnu-noopt-full.tar.zst"
    sha = rewrite_python_json(archive_for(GNU), archive, upstream_shaped)
    section = f'[[python_distribution]]\nlocal_path = "{archive}"\nsha256 = "{sha}"\n'
    code = "import _json, _ssl, sys; print(sorted({'_json', '_ssl', 'builtins'} & set(sys.builtin_module_names)))"
    project.write("pyoxidizer.toml", section + config_text(run=_eval(code)))
    proc = run_exe(project.build())
    assert proc.stdout == "['_json', '_ssl', 'builtins']\n", proc.stderr
    licenses = project.cli("python-distribution-licenses", str(archive)).stdout
    assert "CPython 3.11" in licenses and "_ssl" in licenses


def _stored_compressed(exe: Path) -> list[str]:
    contents = read_payload(locate_payload(exe.read_bytes())[0])
    zstd = EntryFlag.DATA_ZSTD | EntryFlag.SOURCE_ZSTD
    return [e.name for e in contents.entries if e.flags & zstd]


def test_the_payload_is_compressed_with_the_archives_own_zstd(project: Project) -> None:
    """The archive carries a zstd built for its target: the payload is stored as zstd
    frames, and the launcher keeps zstd to itself (not exported to extension modules,
    which may bring a zstd of their own)."""
    code = "import json, email.parser; print(json.dumps([1]))"
    project.write("pyoxidizer.toml", distribution_section(GNU) + config_text(run=_eval(code)))
    exe = project.build()
    assert run_exe(exe).stdout == "[1]\n"
    assert {"json", "email.parser"} <= set(_stored_compressed(exe))
    exported = subprocess.run(
        ["nm", "-D", "--defined-only", str(exe)], capture_output=True, text=True, check=True
    ).stdout
    assert "PyList_New" in exported  # the CPython API is exported, for binary wheels
    assert "ZSTD_" not in exported


def test_an_archive_without_zstd_stores_the_payload_uncompressed(
    project: Project, tmp_path: Path
) -> None:
    """python-build-standalone's archives for CPython 3.11 carry no zstd: the launcher is
    built without it, the payload is stored as it is (the build says so), and it runs."""
    archive = tmp_path / "no-zstd.tar.zst"
    sha = rewrite_archive(
        archive_for(MUSL),
        archive,
        drop=lambda name: "/zstd/" in name or name.endswith("/libzstd.a"),
    )
    section = (
        f'[[python_distribution]]\nbuild_target = "{MUSL}"\n'
        f'local_path = "{archive}"\nsha256 = "{sha}"\n'
    )
    run = _eval("import json; print(json.dumps([2]))")
    project.write("pyoxidizer.toml", section + config_text(run=run))
    proc = project.cli("build", "--target", MUSL)
    assert "storing the payload uncompressed" in proc.stdout + proc.stderr
    exe = project.exe("--target", MUSL)
    assert run_exe(exe).stdout == "[2]\n"
    assert _stored_compressed(exe) == []


# CPython's own tests, run by its test runner (test.libregrtest) inside an executable built
# on each distribution. These modules exercise the linked extension modules and the core;
# tests that start sys.executable as a Python interpreter cannot work in an app (it is not
# one), so those few test cases are ignored, on every distribution alike.
CPYTHON_TESTS = [
    "test_abc",
    "test_array",
    "test_audioop",
    "test_base64",
    "test_binascii",
    "test_bisect",
    "test_bz2",
    "test_cmath",
    "test_codecencodings_jp",
    "test_codecs",
    "test_collections",
    "test_contextlib",
    "test_copy",
    "test_csv",
    "test_dataclasses",
    "test_datetime",
    "test_decimal",
    "test_dict",
    "test_enum",
    "test_float",
    "test_fractions",
    "test_functools",
    "test_glob",
    "test_grp",
    "test_hashlib",
    "test_heapq",
    "test_int",
    "test_itertools",
    "test_json",
    "test_list",
    "test_long",
    "test_lzma",
    "test_math",
    "test_memoryview",
    "test_mmap",
    "test_operator",
    "test_pathlib",
    "test_pickle",
    "test_pwd",
    "test_pyexpat",
    "test_random",
    "test_re",
    "test_resource",
    "test_select",
    "test_set",
    "test_shutil",
    "test_ssl",
    "test_statistics",
    "test_string",
    "test_struct",
    "test_time",
    "test_typing",
    "test_unicodedata",
    "test_uuid",
    "test_xml_etree",
    "test_xml_etree_c",
    "test_zlib",
    "test_zoneinfo",
]
STARTS_PYTHON = (
    "*TestTool*",  # test_json: python -m json.tool
    "*test_struct_cleans_up_at_runtime_shutdown",
    "*test_failed_import_during_compiling",  # test_unicodedata
    "*test_base64.TestMain*",
)
# musl accepts any locale name but has only UTF-8 and C character types, so re.LOCALE with
# a Latin-1 locale cannot work: CPython fails these two on any musl system (Alpine too).
MUSL_HAS_NO_LATIN1_LOCALE = ("*test_re.ReTests.test_locale_caching", "*test_locale_compiled")


def _test_package(tmp_path: Path, target: str | None) -> Path:
    """CPython's ``test`` package of the distribution, as files (its tests read data files
    next to ``__file__``)."""
    if target is None:
        import test

        return Path(test.__file__).parent.parent
    import tarfile

    import zstandard

    root = tmp_path / "stdlib"
    with open(archive_for(target), "rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                parts = Path(member.name).parts
                if (
                    len(parts) > 5
                    and parts[:3] == ("python", "install", "lib")
                    and parts[4] == "test"
                ):
                    member.name = str(Path(*parts[4:]))
                    tar.extract(member, root, filter="data")
    return root


def _uncompilable(stdlib: Path) -> list[str]:
    """Test modules that are deliberately not valid Python (bad syntax samples)."""
    bad = []
    for path in sorted((stdlib / "test").rglob("*.py")):
        try:
            compile(path.read_bytes(), str(path), "exec")
        except (SyntaxError, ValueError):
            bad.append(".".join(path.relative_to(stdlib).with_suffix("").parts))
    return bad


@pytest.mark.parametrize(
    ("target", "lazy"),
    [(None, False), (GNU, False), (MUSL, False), (None, True)],
    ids=["host", "gnu", "musl", "host-lazy"],
)
def test_cpython_test_modules_pass_inside_the_executable(
    project: Project, tmp_path: Path, target: str | None, lazy: bool
) -> None:
    """With lazy_module_loading too: the standard library's modules then run at their
    first use, and the test suite is the same (docs/runtime.md, "Lazy module loading")."""
    stdlib = _test_package(tmp_path, target)
    rules = (
        f'[[packaging_rule]]\ntype = "package-root"\npath = "{stdlib}"\npackages = ["test"]\n'
        f"excludes = {json.dumps(_uncompilable(stdlib))}\n"
        'install_location = "app-relative:lib"\n'
    )
    run = _eval("from test.libregrtest.main import main; main()")
    embedded = 'sys_paths = ["$ORIGIN/lib"]' + ("\nlazy_module_loading = true" if lazy else "")
    config = config_text(run=run, rules=rules, embedded=embedded)
    project.write("pyoxidizer.toml", (distribution_section(target) if target else "") + config)
    exe = project.build(*(["--target", target] if target else []))
    patterns = STARTS_PYTHON + (MUSL_HAS_NO_LATIN1_LOCALE if target == MUSL else ())
    ignores = [arg for pattern in patterns for arg in ("-i", pattern)]
    proc = subprocess.run(
        [str(exe), "-v", *ignores, *CPYTHON_TESTS],
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    summary = proc.stdout[proc.stdout.rfind("== Tests result") :]
    assert proc.returncode == 0 and "Tests result: SUCCESS" in summary, proc.stdout[-3000:]
    assert f"All {len(CPYTHON_TESTS)} tests OK." in proc.stdout
    ran = sum(int(n) for n in re.findall(r"^Ran (\d+) tests? in", proc.stdout, re.M))
    skipped = sum(int(n) for n in re.findall(r"^OK \(skipped=(\d+)\)", proc.stdout, re.M))
    where = (target or "host") + (", lazy" if lazy else "")
    print(f"{where}: {len(CPYTHON_TESTS)} modules, {ran} tests, {skipped} skipped")
    assert ran > 5000
