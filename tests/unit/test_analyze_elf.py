"""ELF facts, the distribution verdicts and the Python version, on tiny real ELF files.

The fixtures in tests/data/elf were made by tests/data/elf/make_fixtures.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pyoxidizer._elf import ElfInfo, VersionNeed, elf_info, open_elf
from pyoxidizer.commands.analyze import analyze_file, analyze_image
from pyoxidizer.commands.analyze.compat import (
    DISTRO_RELEASES,
    DistroRelease,
    newest_version,
    verdicts,
    version_key,
)
from pyoxidizer.commands.analyze.pyversion import (
    decode_hex_version,
    embedded_python_version,
    from_rodata,
    from_symbol,
)
from pyoxidizer.commands.analyze.report import human_bytes, render_text, to_json
from pyoxidizer.errors import AnalyzeError

ELF = Path(__file__).resolve().parents[1] / "data" / "elf"


def _info(name: str) -> ElfInfo:
    data = (ELF / name).read_bytes()
    return elf_info(open_elf(io.BytesIO(data), len(data), name), name)


def _elf(name: str):  # type: ignore[no-untyped-def]
    data = (ELF / name).read_bytes()
    return open_elf(io.BytesIO(data), len(data), name)


def test_dynamic_executable_facts() -> None:
    info = _info("dynamic-glibc")
    assert (info.bits, info.endianness, info.machine) == (64, "little", "x86_64")
    assert info.kind == "position-independent executable"
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert info.needed == ("libm.so.6", "libc.so.6")
    assert VersionNeed("libc.so.6", "GLIBC_2.25") in info.version_needs  # getrandom()
    assert not info.statically_linked


def test_static_executable_has_no_loader_and_no_libraries() -> None:
    info = _info("static-nolibc")
    assert info.kind == "executable"
    assert info.interpreter is None and info.needed == () and info.version_needs == ()
    assert info.statically_linked


def test_big_endian_32_bit_header() -> None:
    info = _info("ppc32-big-endian")
    assert (info.bits, info.endianness, info.machine) == (32, "big", "ppc")
    assert info.interpreter == "/lib/ld.so.1"


def test_newest_version_compares_numerically_and_ignores_private() -> None:
    needs = [VersionNeed("libc.so.6", v) for v in ("GLIBC_2.9", "GLIBC_2.17", "GLIBC_PRIVATE")]
    needs.append(VersionNeed("libstdc++.so.6", "GLIBCXX_3.4.30"))
    assert newest_version(needs, "GLIBC") == "2.17"
    assert newest_version(needs, "GLIBCXX") == "3.4.30"
    assert newest_version(needs, "CXXABI") is None
    assert version_key("2.3.4") < version_key("2.17")


def _verdicts(name: str) -> dict[str, bool]:
    return {f"{v.distro} {v.release}": v.runs for v in verdicts(_info(name))}


def test_glibc_binary_runs_where_glibc_is_new_enough() -> None:
    runs = _verdicts("dynamic-glibc")  # newest: GLIBC_2.34 (__libc_start_main)
    assert runs["Debian 12 (bookworm)"] and runs["RHEL / AlmaLinux / Rocky 9"]
    assert not runs["Debian 11 (bullseye)"] and not runs["Ubuntu 20.04 LTS"]
    assert not runs["Alpine 3.x"]


def test_musl_binary_runs_only_on_musl_releases() -> None:
    runs = _verdicts("musl-interp")
    assert runs["Alpine 3.x"] and not runs["Debian 12 (bookworm)"]


def test_static_binary_runs_everywhere() -> None:
    assert all(_verdicts("static-nolibc").values())


def test_the_table_knows_this_machine_if_it_is_listed() -> None:
    """The table agrees with the glibc of the machine running the tests, when it is listed."""
    import os

    os_release = Path("/etc/os-release")
    fields = (
        dict(line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line)
        if os_release.is_file()
        else {}
    )
    name, version = fields.get("NAME", "").strip('"'), fields.get("VERSION_ID", "").strip('"')
    listed = [
        r for r in DISTRO_RELEASES if name.startswith(r.distro) and r.release.split()[0] == version
    ]
    if not listed:
        pytest.skip(f"{name} {version} is not in the table")
    glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    assert glibc == f"glibc {listed[0].version}"


def test_table_rows_are_unique_and_versions_parse() -> None:
    keys = [(r.distro, r.release) for r in DISTRO_RELEASES]
    assert len(keys) == len(set(keys))
    assert all(version_key(r.version) for r in DISTRO_RELEASES)
    assert {r.libc for r in DISTRO_RELEASES} == {"glibc", "musl"}


def test_custom_release_table() -> None:
    table = [DistroRelease("Old", "1", "glibc", "2.17"), DistroRelease("New", "2", "glibc", "2.40")]
    got = [(v.distro, v.runs) for v in verdicts(_info("dynamic-glibc"), table)]
    assert got == [("Old", False), ("New", True)]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0x030B07F0, "3.11.7"),
        (0x030D00C2, "3.13.0rc2"),
        (0x030C00A1, "3.12.0a1"),
        (0x030A0DB3, "3.10.13b3"),
    ],
)
def test_decode_hex_version(value: int, text: str) -> None:
    assert decode_hex_version(value) == text


def test_python_version_from_py_version_symbol() -> None:
    found = from_symbol(_elf("pyversion-symbol.so"))
    assert found is not None and found.version == "3.13.0rc2"
    assert "Py_Version" in found.evidence


def test_python_version_from_rodata_string() -> None:
    elf = _elf("pyversion-rodata.so")
    assert from_symbol(elf) is None
    found = embedded_python_version(elf)
    assert found is not None and found.version == "3.10.13" and "heuristic" in found.evidence


def test_no_python_version_in_a_plain_binary() -> None:
    assert embedded_python_version(_elf("dynamic-glibc")) is None
    assert from_rodata(_elf("static-nolibc")) is None


# --- malformed inputs ---------------------------------------------------------------------

_GOOD = (ELF / "dynamic-glibc").read_bytes()


def _corrupt_phnum(data: bytes) -> bytes:
    out = bytearray(data)
    out[56:58] = (0xFFFF).to_bytes(2, "little")  # e_phnum: far more headers than bytes
    return bytes(out)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "not an ELF file", id="empty"),
        pytest.param(b"#!/bin/sh\necho hi\n", "not an ELF file", id="shell-script"),
        pytest.param(b"\x7fEL", "not an ELF file", id="three-bytes-of-magic"),
        pytest.param(_GOOD[:10], "malformed ELF file", id="magic-then-nothing"),
        pytest.param(_GOOD[:64], "truncated", id="header-only"),
        pytest.param(_GOOD[: len(_GOOD) // 2], "truncated", id="half-file"),
        pytest.param(_GOOD[:-1], "truncated", id="last-byte-missing"),
        pytest.param(_corrupt_phnum(_GOOD), "truncated", id="huge-phnum"),
        pytest.param(b"\x7fELF" + bytes([9]) + _GOOD[5:], "malformed", id="bad-elf-class"),
    ],
)
def test_malformed_files_give_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(AnalyzeError, match=message) as info:
        analyze_image(data, "sample")
    assert "\n" not in str(info.value) and "sample" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AnalyzeError, match="cannot read"):
        analyze_file(tmp_path / "absent")


# --- rendering ------------------------------------------------------------------------------


def test_text_report_of_a_plain_binary() -> None:
    text = render_text(analyze_file(ELF / "dynamic-glibc"))
    assert "ELF 64-bit little-endian, x86_64, position-independent executable" in text
    assert "newest symbol version needed: GLIBC_2.34" in text
    assert "libm.so.6  part of glibc" in text
    assert "Embedded Python" not in text and "App-relative" not in text


def test_json_report_is_the_analysis() -> None:
    doc = json.loads(to_json(analyze_file(ELF / "musl-interp")))
    assert doc["libc"] == "musl" and doc["elf"]["interpreter"] == "/lib/ld-musl-x86_64.so.1"
    assert doc["payload"] is None and doc["python_version"] is None
    alpine = [d for d in doc["distributions"] if d["distro"] == "Alpine"]
    assert alpine[0]["runs"] is True


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (64_100_000, "64.1 MB")]
)
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


def test_which_libraries_must_be_installed() -> None:
    from pyoxidizer.commands.analyze.compat import library_note

    assert library_note("libc.so.6") == library_note("libpthread.so.0") == "part of glibc"
    assert library_note("ld-linux-x86-64.so.2") == "part of glibc"
    assert library_note("libgcc_s.so.1") is not None
    assert library_note("libssl.so.3") is None and library_note("libselinux.so.1") is None
