"""Executables built on python-build-standalone archives (issue 10's proof).

The archives come from ``PYOXIDIZER_TEST_DISTRIBUTIONS`` (see tests/standalone.py): a
glibc one (x86_64-unknown-linux-gnu, glibc 2.17 floor) and a musl one (fully static).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from tests.helpers import Project, config_text, run_exe
from tests.integration.test_isolation import _python_prefixes
from tests.integration.test_packaging_rules import PYFLAKES_CONFIG, _reference
from tests.standalone import (
    GNU,
    MUSL,
    archive_for,
    distribution_section,
    rewrite_python_json,
    upstream_shaped,
)

# json, sqlite3, ssl, zlib, lzma, bz2, decimal, ctypes and hashlib, each used for real.
STDLIB_TOUR = """\
import bz2, ctypes, decimal, hashlib, json, lzma, sqlite3, ssl, sys, zlib
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
