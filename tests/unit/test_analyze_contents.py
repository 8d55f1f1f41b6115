"""What analyze reports about a payload, on executables assembled in memory."""

from __future__ import annotations

import marshal
from pathlib import Path

from pyoxidizer.commands.analyze import analyze_file, analyze_image
from pyoxidizer.commands.analyze.contents import has_trailer, largest_packages, read_contents
from pyoxidizer.commands.analyze.report import render_text
from pyoxidizer.payload.format import ConfigFlag, Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from pyoxidizer.payload.writer import PayloadEntry, PayloadHeader, write_payload, write_trailer

ELF = Path(__file__).resolve().parents[1] / "data" / "elf"
LAUNCHER = (ELF / "dynamic-glibc").read_bytes()
EXTENSION = (ELF / "pyversion-symbol.so").read_bytes()  # a real shared object with Py_Version


def _image(entries: list[PayloadEntry], launcher: bytes = LAUNCHER) -> bytes:
    config = {"mode": "module", "code": None, "module": "app", "sys_frozen": True}
    flags = int(ConfigFlag.NO_SITE | ConfigFlag.IGNORE_ENVIRONMENT)
    header = PayloadHeader(flags, 2, marshal.dumps(config), b"boot", "utf-8:strict")
    payload, index_len = write_payload(header, entries)
    return launcher + payload + write_trailer(len(launcher), payload, index_len)


ENTRIES = [
    PayloadEntry(Kind.MODULE, "app", b"c" * 10, b"s" * 5, is_package=True),
    PayloadEntry(Kind.MODULE, "app.main", b"c" * 20, None),
    PayloadEntry(Kind.MODULE, "big", b"c" * 100, b"s" * 300),
    PayloadEntry(Kind.RESOURCE, "app\0data/x.txt", b"r" * 7),
    PayloadEntry(Kind.EXTENSION, "app._speedups", EXTENSION),
    PayloadEntry(Kind.EXTENSION, "broken", b"not an ELF"),
]


def test_summary_counts_sizes_and_settings() -> None:
    found = read_contents(_image(ENTRIES))
    assert found is not None
    analysis = analyze_image(_image(ENTRIES), "exe")
    p = analysis.payload
    assert p is not None
    assert p.launcher_bytes == len(LAUNCHER)
    assert p.run_mode == "module" and p.runtime_config["module"] == "app"
    assert p.interpreter_flags == ("ignore_environment", "no_site")
    assert (p.optimize_level, p.stdio_encoding) == (2, "utf-8:strict")
    assert (p.packages, p.modules_with_source, p.bytecode_bytes, p.source_bytes) == (1, 2, 130, 305)
    totals = {t.kind: (t.count, t.bytes) for t in p.kinds}
    assert totals["modules"] == (3, 435)
    assert totals["resources"] == (1, 7)
    assert totals["extension modules"] == (2, len(EXTENSION) + 10)
    assert totals["shared libraries"] == (0, 0)


def test_largest_packages_group_by_top_level_name() -> None:
    payload, _ = locate_payload(_image(ENTRIES))
    ranked = largest_packages(read_payload(payload).entries, limit=2)
    assert [(s.name, s.entries) for s in ranked] == [("app", 4), ("big", 1)]
    assert ranked[0].bytes == 15 + 20 + 7 + len(EXTENSION)


def test_embedded_objects_are_read_as_elf() -> None:
    needs = analyze_image(_image(ENTRIES), "exe").embedded_needs
    assert needs is not None
    assert needs.unreadable == ("broken",)
    assert needs.libraries == {}


def test_python_version_comes_from_the_launcher() -> None:
    analysis = analyze_image(_image(ENTRIES, launcher=EXTENSION), "exe")
    assert analysis.python_version is not None
    assert analysis.python_version.version == "3.13.0rc2"


def test_plain_elf_has_no_payload() -> None:
    assert not has_trailer(LAUNCHER)
    analysis = analyze_image(LAUNCHER, "plain")
    assert analysis.payload is None and analysis.payload_error is None


def test_damaged_payload_is_reported_not_fatal() -> None:
    image = bytearray(_image(ENTRIES))
    image[len(LAUNCHER) + 20] ^= 0xFF  # inside the index: its checksum no longer matches
    analysis = analyze_image(bytes(image), "exe")
    assert analysis.payload is None
    assert analysis.payload_error is not None and "checksum" in analysis.payload_error
    assert "present but damaged" in render_text(analysis)


def test_app_relative_files_are_listed(tmp_path: Path) -> None:
    exe = tmp_path / "app"
    exe.write_bytes(_image(ENTRIES))
    (tmp_path / "lib" / "pkg").mkdir(parents=True)
    (tmp_path / "lib" / "pkg" / "__init__.py").write_text("x = 1\n")
    analysis = analyze_file(exe)
    assert analysis.app_files is not None
    assert [(f.path, f.bytes) for f in analysis.app_files] == [("lib/pkg/__init__.py", 6)]
    text = render_text(analysis)
    assert "App-relative files next to the executable: 1" in text
    assert "module: app" in text
