"""``pyoxidizer distribution`` (tarball, deb, wix) and the python-distribution-* commands."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pyoxidizer.commands.installers import requested
from pyoxidizer.commands.installers.deb import control_text, deb_metadata
from pyoxidizer.commands.installers.tarball import write_tarball
from pyoxidizer.config.rules import DebDistribution, TarballDistribution, WixDistribution
from pyoxidizer.config.schema import BuildConfig, Config, DistributionSection
from pyoxidizer.errors import AppDistributionError
from tests.archives import python_json, write_archive
from tests.helpers import Project, config_text, run_exe

APP_RULES = """
[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["greeting"]
install_location = "app-relative:lib"
"""
RUN = 'mode = "eval"\ncode = "import greeting; print(greeting.TEXT)"'
EMBEDDED = 'sys_paths = ["$ORIGIN/lib"]'


def _app(project: Project, name: str, distributions: str = "") -> None:
    project.write("src/greeting/__init__.py", "TEXT = 'hello from greeting'\n")
    text = config_text(name=name, run=RUN, rules=APP_RULES, embedded=EMBEDDED)
    project.write("pyoxidizer.toml", text + distributions)


# --- tarball ------------------------------------------------------------------------------


def test_tarball_from_section_with_prefix(project: Project, tmp_path: Path) -> None:
    _app(project, "tarred", '\n[[distribution]]\ntype = "tarball"\npath_prefix = "tarred-1.0"\n')
    env_epoch = "1700000000"
    proc = subprocess.run(
        [sys.executable, "-m", "pyoxidizer", "distribution"],
        cwd=project.root,
        env={**project.env(), "SOURCE_DATE_EPOCH": env_epoch},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    archive = project.root / "build/distributions/tarred-x86_64-unknown-linux-gnu-debug.tar.gz"
    assert f"wrote tarball {archive}" in proc.stdout
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names[:2] == ["tarred-1.0", "tarred-1.0/lib"]
        assert "tarred-1.0/tarred" in names and "tarred-1.0/lib/greeting/__init__.py" in names
        assert all((m.uid, m.gid, m.uname, m.mtime) == (0, 0, "root", 1700000000) for m in members)
        safe: dict[str, str] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp_path, **safe)  # type: ignore[arg-type]
    out = run_exe(tmp_path / "tarred-1.0" / "tarred")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello from greeting\n"


def test_tarball_is_reproducible(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "lib" / "pkg").mkdir(parents=True)
    (app / "exe").write_bytes(b"\x7fELF fake")
    (app / "exe").chmod(0o700)
    (app / "lib" / "pkg" / "b.py").write_text("b")
    (app / "lib" / "pkg" / "a.py").write_text("a")
    first = write_tarball(app, tmp_path / "one.tar.gz", "", 0).read_bytes()
    os.utime(app / "lib" / "pkg" / "a.py", (5, 5))
    (app / "lib" / "pkg" / "a.py").chmod(0o600)
    second = write_tarball(app, tmp_path / "two.tar.gz", "", 0).read_bytes()
    assert first == second
    with tarfile.open(tmp_path / "one.tar.gz") as tar:
        assert [(m.name, m.mode) for m in tar.getmembers()] == [
            ("exe", 0o755),
            ("lib", 0o755),
            ("lib/pkg", 0o755),
            ("lib/pkg/a.py", 0o644),
            ("lib/pkg/b.py", 0o644),
        ]


@pytest.mark.parametrize("prefix", ["/abs", "../up", "a/../../b"])
def test_tarball_prefix_must_stay_inside(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(AppDistributionError, match="path_prefix"):
        write_tarball(tmp_path, tmp_path / "x.tar.gz", prefix, 0)
    assert not (tmp_path / "x.tar.gz").exists()


# --- deb ----------------------------------------------------------------------------------


def test_control_file_defaults_and_validation() -> None:
    meta = deb_metadata(
        DebDistribution(), "My_App", "x86_64-unknown-linux-gnu", ("libc6 (>= 2.34)",)
    )
    text = control_text(meta)
    assert "Package: my-app\nVersion: 0.1.0\nArchitecture: amd64\n" in text
    assert "Maintainer: unknown <unknown@localhost>\n" in text
    assert "Depends: libc6 (>= 2.34)\n" in text and "Recommends" not in text
    custom = deb_metadata(
        DebDistribution(description="Short.\nLong text.\n\nMore."), "a1", "x86_64-unknown-linux-gnu"
    )
    assert control_text(custom).endswith("Description: Short.\n Long text.\n .\n More.\n")
    with pytest.raises(AppDistributionError, match="package_name 'Bad Name'.*version 'v1'"):
        deb_metadata(
            DebDistribution(package_name="Bad Name", version="v1"), "a", "x86_64-unknown-linux-gnu"
        )


needs_dpkg = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None or shutil.which("dpkg") is None or os.geteuid() != 0,
    reason="needs dpkg, dpkg-deb and root to install a package",
)


@needs_dpkg
def test_deb_installs_and_runs_from_usr_bin(project: Project) -> None:
    name = f"pyoxtest{secrets.token_hex(4)}"
    section = (
        '\n[[distribution]]\ntype = "deb"\nversion = "1.2.3"\n'
        'maintainer = "Tester <tester@example.org>"\ndescription = "A test app."\n'
    )
    _app(project, name, section)
    out = project.cli("distribution", "--type", "deb").stdout
    deb = project.root / f"build/distributions/{name}_1.2.3_amd64.deb"
    assert f"wrote deb {deb}" in out
    info = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True)
    assert f"Package: {name}\nVersion: 1.2.3\n" in info.stdout
    assert "Depends: libc6 (>= 2." in info.stdout
    try:
        subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, check=True)
        assert Path(f"/opt/{name}/lib/greeting/__init__.py").is_file()
        proc = run_exe(Path(f"/usr/bin/{name}"))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "hello from greeting\n"
    finally:
        subprocess.run(["dpkg", "-r", name], capture_output=True)
    assert not Path(f"/usr/bin/{name}").exists() and not Path(f"/opt/{name}").exists()


# --- wix and the choice of artifacts -------------------------------------------------------


def test_wix_writes_source_and_says_msi_needs_windows(project: Project) -> None:
    _app(project, "winapp")
    out = project.cli("distribution", "--type", "wix").stdout
    wxs = project.root / "build/distributions/winapp.wxs"
    assert f"wrote wix {wxs}" in out and "needs Windows" in out
    root = ET.parse(wxs).getroot()
    ns = {"w": "http://schemas.microsoft.com/wix/2006/wi"}
    sources = sorted(f.get("Source") or "" for f in root.iterfind(".//w:File", ns))
    assert "winapp" in sources and "lib\\greeting\\__init__.py" in sources
    assert not list(wxs.parent.glob("*.msi"))


def test_no_sections_and_no_type_is_an_error(project: Project) -> None:
    _app(project, "plain")
    proc = project.cli("distribution", check=False)
    assert proc.returncode == 1
    assert "has no [[distribution]] sections" in proc.stderr and "--type" in proc.stderr


def _config(*sections: DistributionSection) -> Config:
    return Config(  # only the fields requested() reads matter
        Path("/p/pyoxidizer.toml"),
        "t",
        BuildConfig("a", Path("/p/build")),
        None,
        None,
        None,
        (),
        sections,  # type: ignore[arg-type]
    )


def test_types_pick_the_last_section_of_each_type() -> None:
    config = _config(
        DistributionSection(0, TarballDistribution(path_prefix="one")),
        DistributionSection(1, DebDistribution(version="2.0")),
        DistributionSection(2, TarballDistribution(path_prefix="two")),
    )
    assert requested(config, []) == [
        TarballDistribution(path_prefix="two"),
        DebDistribution(version="2.0"),
    ]
    assert requested(config, ["wix", "deb"]) == [WixDistribution(), DebDistribution(version="2.0")]


# --- python-distribution-extract / -licenses ------------------------------------------------


def _python_json() -> dict[str, object]:
    """A format-5 PYTHON.json by the documented schema (tests/archives.py), with the
    licence data these tests read: _ssl links OpenSSL, _sqlite3 states no licence."""
    doc = python_json(5)
    doc["python_version"] = "3.11.9"
    doc["licenses"] = ["Python-2.0"]
    extensions = doc["build_info"]["extensions"]
    extensions["_ssl"][0].update(
        licenses=["OpenSSL"], links=[{"name": "ssl", "path_static": "build/lib/libssl.a"}]
    )
    for key in ("licenses", "license_paths", "license_public_domain"):
        extensions["_sqlite3"][0].pop(key, None)
    return doc


def _tar_zst(path: Path, members: dict[str, bytes]) -> Path:
    write_archive(path, members)
    return path


def _archive(tmp_path: Path, extra: dict[str, bytes] | None = None) -> Path:
    members = {
        "python/PYTHON.json": json.dumps(_python_json()).encode(),
        "python/install/lib/python3.11/os.py": b"# os\n",
        "python/licenses/LICENSE.cpython.txt": b"PSF\n",
        **(extra or {}),
    }
    return _tar_zst(tmp_path / "cpython-3.11.9-x86_64-unknown-linux-gnu.tar.zst", members)


def test_archive_licenses_in_spec_format(project: Project, tmp_path: Path) -> None:
    out = project.cli("python-distribution-licenses", str(_archive(tmp_path))).stdout
    assert "Python Distribution Licenses: Python-2.0\n" in out
    assert "_ssl\n----\n\nDependency: ssl\nLink Type: library\n\nLicenses: OpenSSL\n" in out
    assert "License Info: https://spdx.org/licenses/OpenSSL.html" in out
    assert (
        "_sqlite3\n--------\n\nDependency: sqlite3\nLink Type: library\n\nLicenses: UNKNOWN\n"
        in out
    )


def test_archive_extract(project: Project, tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()  # an empty directory is fine
    project.cli("python-distribution-extract", str(_archive(tmp_path)), str(dest))
    assert (dest / "python/install/lib/python3.11/os.py").read_bytes() == b"# os\n"
    assert json.loads((dest / "python/PYTHON.json").read_text())["python_version"] == "3.11.9"


def test_archive_with_unsafe_member_extracts_nothing(project: Project, tmp_path: Path) -> None:
    archive = _archive(tmp_path, {"python/../../escape.txt": b"x"})
    dest = tmp_path / "out"
    proc = project.cli("python-distribution-extract", str(archive), str(dest), check=False)
    assert proc.returncode == 1 and "refusing to extract member" in proc.stderr
    assert not dest.exists() and not (tmp_path / "escape.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"\x28\xb5\x2f\xfdgarbage", "not a zstandard-compressed tar", id="bad-zstd"),
        pytest.param(None, "has no python/PYTHON.json", id="no-python-json"),
    ],
)
def test_bad_archives(
    project: Project, tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "dist.tar.zst"
    if content is None:
        _tar_zst(path, {"python/README": b"x"})
    else:
        path.write_bytes(content)
    proc = project.cli("python-distribution-licenses", str(path), check=False)
    assert proc.returncode == 1 and message in proc.stderr and proc.stderr.count("\n") == 1


def test_host_extract(project: Project, tmp_path: Path) -> None:
    dest = tmp_path / "host"
    project.cli("python-distribution-extract", "host", str(dest))
    manifest = json.loads((dest / "DISTRIBUTION.json").read_text())
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert manifest["python_version"] == ".".join(map(str, sys.version_info[:3]))
    assert manifest["stdlib"] == f"lib/python{short}"
    assert (dest / manifest["stdlib"] / "os.py").is_file()
    assert not (dest / manifest["stdlib"] / "site-packages").exists()
    assert not list((dest / manifest["stdlib"]).glob("**/__pycache__"))
    assert list((dest / manifest["dynload"]).glob("*.so"))
    assert (dest / manifest["include"] / "Python.h").is_file()
    assert (dest / manifest["static_lib"]).name == f"libpython{short}.a"
    again = project.cli("python-distribution-extract", "host", str(dest), check=False)
    assert again.returncode == 1 and "already exists and is not an empty directory" in again.stderr


def test_host_licenses(project: Project) -> None:
    out = project.cli("python-distribution-licenses", "host").stdout
    assert "Python Distribution Licenses: Python-2.0" in out
    assert "Best effort" in out
    ssl = out.split("\n_ssl\n----\n", 1)
    if len(ssl) == 1:
        pytest.skip("this interpreter's _ssl is not a shared extension module")
    section = ssl[1].split("\n\n\n", 1)[0]
    assert "Dependency: libssl.so.3" in section or "Dependency: libssl.so.1.1" in section
    debian = shutil.which("dpkg-query") and Path("/usr/share/doc/libssl3/copyright").is_file()
    if debian and "libssl.so.3" in section:
        assert "Debian Package: libssl3" in section and "Licenses: Apache-2.0" in section


def test_unusable_distribution_argument(project: Project) -> None:
    proc = project.cli("python-distribution-licenses", "/nonexistent/python", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: cannot run Python interpreter")
