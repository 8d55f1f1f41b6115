"""License data for extension modules: Debian copyright parsing and the host derivation.

The host derivation runs against a fake ``HostSystem``; tests/integration runs it for real.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pyoxidizer._elf import ElfInfo
from pyoxidizer.errors import AnalyzeError
from pyoxidizer.pythondist.extract import StandaloneArchive
from pyoxidizer.pythondist.licenses import (
    DistributionLicenses,
    archive_licenses,
    deb822_paragraphs,
    distribution_licenses,
    extension_licenses,
    host_extension_licenses,
    parse_copyright,
    parse_dpkg_search,
    parse_ldconfig_cache,
    path_spellings,
    render_licenses,
    resolve_library,
)
from tests.archives import python_json

DEP5 = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: libexample

Files: *
Copyright: 2020 Example Authors
License: Apache-2.0
 The full text
 .
 continues here.

Files: tools/helper.pl
Copyright: 2001 Someone
License: Artistic or GPL-1+

Files: debian/*
Copyright: 2022 A Packager
License: GPL-2+

License: Apache-2.0
 On Debian systems, see /usr/share/common-licenses/Apache-2.0.
"""


def test_deb822_paragraphs_join_continuation_lines() -> None:
    paragraphs = deb822_paragraphs(DEP5)
    assert len(paragraphs) == 5
    assert paragraphs[1]["license"].startswith("Apache-2.0\nThe full text")
    assert paragraphs[2]["files"] == "tools/helper.pl"


def test_copyright_main_and_other_licenses() -> None:
    parsed = parse_copyright(DEP5)
    assert parsed is not None
    assert parsed.main == ("Apache-2.0",)
    assert parsed.other == ("Artistic or GPL-1+",)  # debian/* is the packaging, not the library


def test_copyright_without_catch_all_uses_every_listed_license() -> None:
    text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
    text += "Files: src/a.c\nLicense: MIT\n\nFiles: src/b.c\nLicense: BSD-3-clause\n"
    parsed = parse_copyright(text)
    assert parsed is not None and parsed.main == ("BSD-3-clause", "MIT") and parsed.other == ()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("This package was debianized by someone.\nIt is GPL.\n", id="free-form"),
        pytest.param(
            "Format: https://example.org/other\n\nFiles: *\nLicense: MIT\n", id="other-format"
        ),
    ],
)
def test_unreadable_copyright_is_unknown(text: str | None) -> None:
    assert parse_copyright(text) is None


def test_dpkg_search_output() -> None:
    output = (
        "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
        "diversion by foo from: /usr/lib/x86_64-linux-gnu/libz.so.1\n"
        "zlib1g:amd64, zlib1g:i386: /lib/x86_64-linux-gnu/libz.so.1\n"
    )
    assert parse_dpkg_search(output) == {
        "/usr/lib/x86_64-linux-gnu/libssl.so.3": "libssl3",
        "/lib/x86_64-linux-gnu/libz.so.1": "zlib1g",
    }


def test_ldconfig_cache_prefers_the_native_architecture() -> None:
    output = (
        "3 libs found in cache `/etc/ld.so.cache'\n"
        "\tlibz.so.1 (libc6) => /lib/i386-linux-gnu/libz.so.1\n"
        "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1\n"
        "\tlibfoo.so.2 (libc6,x86-64, OS ABI: Linux 3.2.0) => /usr/lib/libfoo.so.2\n"
    )
    assert parse_ldconfig_cache(output) == {
        "libz.so.1": "/lib/x86_64-linux-gnu/libz.so.1",
        "libfoo.so.2": "/usr/lib/libfoo.so.2",
    }


def test_path_spellings_cover_the_usr_merge() -> None:
    got = path_spellings(
        "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"
    )
    assert got == (
        "/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
        "/lib/x86_64-linux-gnu/libz.so.1.2.13",
    )


# --- the host derivation with a fake machine ------------------------------------------------


def _elf(needed: tuple[str, ...], runpath: tuple[str, ...] = ()) -> ElfInfo:
    return ElfInfo(64, "little", "x86_64", "shared library", None, needed, runpath, None, ())


@dataclass
class FakeSystem:
    elves: dict[str, ElfInfo]
    files: set[str]
    cache: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    copyrights: dict[str, str] = field(default_factory=dict)
    dpkg_calls: list[Sequence[str]] = field(default_factory=list)

    def read_elf(self, path: Path) -> ElfInfo:
        if path.name not in self.elves:
            raise AnalyzeError(f"{path} is not an ELF file")
        return self.elves[path.name]

    def library_cache(self) -> Mapping[str, str]:
        return self.cache

    def exists(self, path: str) -> bool:
        return path in self.files

    def realpath(self, path: str) -> str:
        links = {"/lib/x86_64-linux-gnu/libz.so.1": "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"}
        return links.get(path, path)

    def packages_owning(self, paths: Sequence[str]) -> Mapping[str, str]:
        self.dpkg_calls.append(paths)
        return {p: self.owners[p] for p in paths if p in self.owners}

    def copyright_text(self, package: str) -> str | None:
        return self.copyrights.get(package)

    def read_text(self, path: Path) -> str | None:
        return None


def _system() -> FakeSystem:
    return FakeSystem(
        elves={
            "_ssl.so": _elf(("libssl.so.3", "libc.so.6")),
            "zlib.so": _elf(("libz.so.1", "libpthread.so.0")),
            "_own.so": _elf(("libown.so",), runpath=("$ORIGIN/../libs",)),
            "math.so": _elf(("libm.so.6", "libc.so.6")),
            "_gone.so": _elf(("libgone.so.9",)),
        },
        files={"/dyn/../libs/libown.so"},
        cache={
            "libssl.so.3": "/lib/x86_64-linux-gnu/libssl.so.3",
            "libz.so.1": "/lib/x86_64-linux-gnu/libz.so.1",
        },
        owners={
            "/usr/lib/x86_64-linux-gnu/libssl.so.3": "libssl3",
            "/lib/x86_64-linux-gnu/libz.so.1.2.13": "zlib1g",  # the /lib alias of the real path
        },
        copyrights={"libssl3": DEP5, "zlib1g": "free-form text"},
    )


MODULES = {n: Path("/dyn") / f"{n}.so" for n in ("_ssl", "zlib", "_own", "math", "_gone", "_bad")}


def test_host_derivation_per_module() -> None:
    system = _system()
    got = {e.module: e for e in host_extension_licenses(MODULES, system)}
    ssl = got["_ssl"]
    assert ssl.library_names == ("libssl.so.3",)  # libc is glibc: not listed
    assert ssl.libraries[0].package == "libssl3"  # found through the /usr alias
    assert ssl.licenses == ("Apache-2.0",)
    assert ssl.libraries[0].other_licenses == ("Artistic or GPL-1+",)
    assert ssl.license_info == ("/usr/share/doc/libssl3/copyright",)
    assert got["zlib"].libraries[0].package == "zlib1g"  # found through its real path
    assert got["zlib"].licenses is None  # its copyright file is not machine-readable
    assert got["_own"].libraries[0].path == "/dyn/../libs/libown.so"  # $ORIGIN run path
    assert got["_own"].licenses is None  # no package owns it
    assert got["math"].libraries == () and got["math"].licenses == ()
    assert got["_gone"].libraries[0].path is None and got["_gone"].licenses is None
    assert got["_bad"].libraries == () and got["_bad"].licenses is None
    assert len(system.dpkg_calls) == 1  # one dpkg-query for every library


def test_resolve_library_order() -> None:
    system = _system()
    system.files.add("/lib/x86_64-linux-gnu/libother.so.1")
    assert resolve_library("libother.so.1", (), {}, system) == "/lib/x86_64-linux-gnu/libother.so.1"
    assert (
        resolve_library("libssl.so.3", (), system.cache, system)
        == "/lib/x86_64-linux-gnu/libssl.so.3"
    )
    assert resolve_library("libnowhere.so", ("/nope",), {}, system) is None


def test_render_host_report_marks_unknowns() -> None:
    extensions = host_extension_licenses(MODULES, _system())
    report = DistributionLicenses(
        "python (CPython 3.11.7)", "host data (best effort)", None, None, extensions
    )
    text = render_licenses(report)
    assert "Python Distribution Licenses: NO LICENSE FOUND" in text
    assert "_ssl\n----\n\nDependency: libssl.so.3\nLink Type: shared library\n" in text
    assert "Licenses: Apache-2.0\nLicense Info: /usr/share/doc/libssl3/copyright" in text
    assert "zlib\n----" in text and "Licenses: UNKNOWN" in text
    assert "\nmath\n" not in text
    assert "1 other extension modules link no library beyond the C library." in text


# --- python-build-standalone annotations ----------------------------------------------------

PYTHON_JSON = python_json(5)


def test_archive_annotations_are_used_as_they_are() -> None:
    archive = StandaloneArchive(Path("dist.tar.zst"), PYTHON_JSON)
    got = extension_licenses(archive)
    assert got["readline"].variant == "default"
    assert got["readline"].library_names == ("ncursesw", "readline")
    assert got["readline"].licenses == ("GPL-3.0-only", "X11")
    assert got["_sqlite3"].licenses == ("Public Domain",)
    # libuuid is a system library but not part of the C library: its licence is unknown.
    assert got["_uuid"].licenses is None and got["_uuid"].libraries[0].link_type == "system"
    # No annotation, and only parts of the C library linked: no library licence to know.
    assert got["math"].licenses == () and got["_crypt"].licenses == ()
    assert got["_json"].licenses == ()
    variants = [
        (e.module, e.variant) for e in archive_licenses(archive.info, "dist.tar.zst").extensions
    ]
    assert ("readline", "libedit") in variants


def test_render_archive_report_in_the_spec_format() -> None:
    text = render_licenses(distribution_licenses(StandaloneArchive(Path("d.tar.zst"), PYTHON_JSON)))
    assert "Python Distribution Licenses: Python-2.0, CNRI-Python" in text
    expected = (
        "readline\n--------\n\nDependency: ncursesw\nLink Type: library\n\n"
        "Dependency: readline\nLink Type: library\n\n"
        "Licenses: GPL-3.0-only, X11\nLicense Info: https://spdx.org/licenses/GPL-3.0-only.html\n"
    )
    assert expected in text
    assert "readline (libedit)\n------------------\n" in text
    assert "_uuid\n-----\n\nDependency: uuid\nLink Type: system\n\nLicenses: UNKNOWN\n" in text
    assert "Licenses: Public Domain\n" in text
