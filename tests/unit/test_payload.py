"""The payload writer and reader agree, and damage is detected."""

from __future__ import annotations

import marshal
import re
from pathlib import Path

import pytest

from pyoxidizer.errors import PayloadError
from pyoxidizer.payload import format as fmt
from pyoxidizer.payload.reader import locate_payload, read_payload
from pyoxidizer.payload.writer import PayloadEntry, PayloadHeader, write_payload, write_trailer

ROOT = Path(__file__).resolve().parents[2]


def _header(**config: object) -> PayloadHeader:
    return PayloadHeader(3, 1, marshal.dumps(config), b"boot", "utf-8:strict")


def _entries() -> list[PayloadEntry]:
    return [
        PayloadEntry(fmt.Kind.MODULE, "pkg", b"code-pkg", b"# pkg", is_package=True),
        PayloadEntry(fmt.Kind.MODULE, "pkg.mod", b"code-mod", None),
        PayloadEntry(fmt.Kind.MODULE, "caf\u00e9", b"code-cafe", b"x = 1"),
        PayloadEntry(fmt.Kind.RESOURCE, "pkg\0data/a.txt", b"A" * 100),
        PayloadEntry(fmt.Kind.EXTENSION, "_ext", b"\x7fELF..."),
    ]


def _image(entries: list[PayloadEntry], prefix: bytes = b"LAUNCHER") -> bytes:
    payload, index_len = write_payload(_header(mode="eval"), entries)
    return prefix + payload + write_trailer(len(prefix), payload, index_len)


def test_round_trip_preserves_every_entry() -> None:
    image = _image(_entries())
    payload, _ = locate_payload(image)
    contents = read_payload(payload)
    assert contents.config_flags == 3 and contents.optimize_level == 1
    assert contents.runtime_config == {"mode": "eval"}
    assert contents.stdio_encoding == "utf-8:strict"
    modules = contents.by_kind(fmt.Kind.MODULE)
    assert bytes(modules["pkg"].data) == b"code-pkg"
    assert modules["pkg"].flags & fmt.EntryFlag.PACKAGE
    assert bytes(modules["pkg"].source or b"") == b"# pkg"
    assert modules["pkg.mod"].source is None
    assert bytes(modules["caf\u00e9"].data) == b"code-cafe"
    assert bytes(contents.by_kind(fmt.Kind.RESOURCE)["pkg\0data/a.txt"].data) == b"A" * 100


def test_output_is_deterministic_whatever_the_input_order() -> None:
    entries = _entries()
    assert _image(entries) == _image(list(reversed(entries)))


def test_duplicate_names_are_rejected() -> None:
    entries = [PayloadEntry(fmt.Kind.MODULE, "a", b"1"), PayloadEntry(fmt.Kind.MODULE, "a", b"2")]
    with pytest.raises(PayloadError, match="named 'a'"):
        write_payload(_header(), entries)


def test_truncated_file_is_detected() -> None:
    image = _image(_entries())
    with pytest.raises(PayloadError):
        locate_payload(image[:-10])
    with pytest.raises(PayloadError, match="truncated"):
        locate_payload(image[:20] + image[40:])


def test_corrupted_index_is_detected() -> None:
    image = bytearray(_image(_entries()))
    image[len(b"LAUNCHER") + fmt.HEADER.size + 3] ^= 0xFF
    with pytest.raises(PayloadError, match="checksum"):
        locate_payload(bytes(image))


def test_corrupted_blob_is_detected() -> None:
    image = bytearray(_image(_entries()))
    image[image.index(b"A" * 100) + 5] ^= 0xFF
    payload, _ = locate_payload(bytes(image))
    with pytest.raises(PayloadError, match="checksum"):
        read_payload(payload)


def _c_define(source: str, name: str) -> str:
    match = re.search(rf"#define {name} (.+)", source)
    assert match, name
    return match.group(1).strip()


def test_launcher_constants_match_the_format() -> None:
    source = (ROOT / "src/pyoxidizer/launcher/launcher.c").read_text()
    assert _c_define(source, "PYOX_TRAILER_MAGIC") == f'"{fmt.TRAILER_MAGIC.decode()}"'
    assert _c_define(source, "PYOX_PAYLOAD_MAGIC") == f'"{fmt.PAYLOAD_MAGIC.decode()}"'
    assert int(_c_define(source, "PYOX_FORMAT_VERSION")) == fmt.FORMAT_VERSION
    assert int(_c_define(source, "PYOX_TRAILER_SIZE")) == fmt.TRAILER.size
    assert int(_c_define(source, "PYOX_HEADER_SIZE")) == fmt.HEADER.size
    for flag in fmt.ConfigFlag:
        c_name = "PYOX_CFG_" + str(flag.name)
        shift = int(_c_define(source, c_name).strip("()").split("<<")[1])
        assert 1 << shift == flag.value, c_name


def test_runtime_constants_match_the_format() -> None:
    from pyoxidizer.runtime import importer

    assert importer.TRAILER_MAGIC == fmt.TRAILER_MAGIC
    assert importer.PAYLOAD_MAGIC == fmt.PAYLOAD_MAGIC
    assert importer.FORMAT_VERSION == fmt.FORMAT_VERSION
    assert fmt.HEADER.size == importer.HEADER_SIZE
    assert fmt.RECORD.size == importer.RECORD_WORDS * 4
    for kind in fmt.Kind:
        assert getattr(importer, f"KIND_{kind.name}") == kind.value
    assert importer.FLAG_PACKAGE == fmt.EntryFlag.PACKAGE
    from pyoxidizer.runtime import resources as services

    for name in ("MODULE", "RESOURCE", "EXTENSION", "DIST_INFO"):
        assert getattr(services, f"KIND_{name}") == fmt.Kind[name].value
    assert services.FLAG_PACKAGE == fmt.EntryFlag.PACKAGE
    assert importer.FLAG_HAS_SOURCE == fmt.EntryFlag.HAS_SOURCE
