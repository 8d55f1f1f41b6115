"""Source discovery: both naming styles, and one clear error for each kind of bad directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyoxidizer.errors import StandaloneBuildError
from pyoxidizer.pythondist.builder.sources import SOURCES, discover_sources

DEBIAN = [
    "python3.11_3.11.2.orig.tar.gz",
    "zlib_1.2.13.dfsg.orig.tar.bz2",
    "bzip2_1.0.8.orig.tar.gz",
    "xz-utils_5.4.1.orig.tar.xz",
    "libffi_3.4.4.orig.tar.gz",
    "sqlite3_3.40.1.orig.tar.xz",
    "openssl_3.0.20.orig.tar.gz",
    "expat_2.5.0.orig.tar.gz",
    "ncurses_6.4.orig.tar.gz",
    "readline_8.2.orig.tar.gz",
    "util-linux_2.38.1.orig.tar.xz",
]
UPSTREAM = [
    "Python-3.11.9.tar.xz",
    "zlib-1.3.1.tar.gz",
    "bzip2-1.0.8.tar.gz",
    "xz-5.4.6.tar.xz",
    "libffi-3.4.6.tar.gz",
    "sqlite-autoconf-3450300.tar.gz",
    "openssl-3.0.13.tar.gz",
    "expat-2.6.2.tar.xz",
    "ncurses-6.4.tar.gz",
    "readline-8.2.tar.gz",
    "util-linux-2.39.3.tar.xz",
]


def _fill(directory: Path, names: list[str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name in names:
        (directory / name).write_bytes(name.encode())
    return directory


def test_debian_names(tmp_path: Path) -> None:
    found = discover_sources(_fill(tmp_path / "s", DEBIAN + ["openssl_3.0.20.orig.tar.gz.asc"]))
    assert {k: v.version for k, v in found.items()} == {
        "cpython": "3.11.2",
        "zlib": "1.2.13.dfsg",
        "bzip2": "1.0.8",
        "xz": "5.4.1",
        "libffi": "3.4.4",
        "sqlite": "3.40.1",
        "openssl": "3.0.20",
        "expat": "2.5.0",
        "ncurses": "6.4",
        "readline": "8.2",
        "util-linux": "2.38.1",
    }
    assert found["zlib"].upstream_version == "1.2.13"
    assert len(found["cpython"].sha256) == 64


def test_upstream_names(tmp_path: Path) -> None:
    found = discover_sources(_fill(tmp_path / "s", UPSTREAM))
    assert found["cpython"].version == "3.11.9"
    assert found["sqlite"].version == "3.45.3"
    assert found["xz"].version == "5.4.6"
    assert found["util-linux"].path.name == "util-linux-2.39.3.tar.xz"


def test_styles_mix(tmp_path: Path) -> None:
    names = [n for n in DEBIAN if not n.startswith("python")] + ["Python-3.11.2.tar.xz"]
    assert discover_sources(_fill(tmp_path / "s", names))["cpython"].version == "3.11.2"


def test_every_spec_has_both_styles() -> None:
    for spec in SOURCES:
        assert spec.debian_names and spec.upstream_names, spec.key


def test_missing_libraries_are_named_together(tmp_path: Path) -> None:
    names = [n for n in DEBIAN if not n.startswith(("openssl", "ncurses"))]
    with pytest.raises(StandaloneBuildError) as err:
        discover_sources(_fill(tmp_path / "s", names))
    message = str(err.value)
    assert "openssl (openssl_VERSION.orig.tar.* or openssl-VERSION.tar.*)" in message
    assert "ncurses" in message and "scripts/fetch-sources.sh" in message


def test_util_linux_is_optional(tmp_path: Path) -> None:
    names = [n for n in DEBIAN if not n.startswith("util-linux")]
    assert "util-linux" not in discover_sources(_fill(tmp_path / "s", names))


def test_two_cpython_versions(tmp_path: Path) -> None:
    with pytest.raises(StandaloneBuildError, match="cpython tarballs of different versions"):
        discover_sources(_fill(tmp_path / "s", DEBIAN + ["Python-3.11.9.tar.xz"]))


def test_same_version_in_both_styles_is_fine(tmp_path: Path) -> None:
    found = discover_sources(_fill(tmp_path / "s", DEBIAN + ["Python-3.11.2.tar.xz"]))
    assert found["cpython"].path.name == "Python-3.11.2.tar.xz"


def test_unsupported_python(tmp_path: Path) -> None:
    names = [n for n in DEBIAN if not n.startswith("python")] + ["Python-3.12.1.tar.xz"]
    with pytest.raises(StandaloneBuildError, match="CPython 3.11 only"):
        discover_sources(_fill(tmp_path / "s", names))


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StandaloneBuildError, match="does not exist"):
        discover_sources(tmp_path / "absent")
