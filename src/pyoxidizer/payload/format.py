"""The payload format: the single source of truth for its layout.

An executable is ``launcher ELF + payload + trailer``. The trailer is the last
``TRAILER.size`` bytes of the file and says where the payload starts. The payload is::

    header       HEADER (fixed size)
    records      entry_count * RECORD, one per embedded entry, sorted by (kind, name)
    names        entry names, UTF-8, packed without separators (lengths are in the records)
    padding      to DATA_ALIGN
    data         blobs (bytecode, source, resource data, extension modules, ...)

Everything before ``data`` is the *index*; the trailer carries its CRC-32 so a truncated
or corrupted index is caught before any of it is used. Each blob carries its own CRC-32,
verified when the blob is first read, so the data itself is never read in full at start-up.

Integers are little-endian. Offsets are relative to the payload start. The constants the
running executable needs come from ``runtime/contract.py``; the layouts below are built from
named fields, and ``c_header()`` turns both into the C header the launcher is compiled with,
so Python, the runtime and C cannot disagree. ``docs/payload-format.md`` is the prose.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from typing import Any

from pyoxidizer.runtime import contract as c

TRAILER_MAGIC = c.TRAILER_MAGIC
PAYLOAD_MAGIC = c.PAYLOAD_MAGIC
FORMAT_VERSION = c.FORMAT_VERSION
DATA_ALIGN = c.DATA_ALIGN
RESOURCE_SEPARATOR = c.RESOURCE_SEPARATOR
MAX_OFFSET = 0xFFFFFFFF

# A blob reference: (offset in the payload, length, CRC-32 of the bytes).
BLOB = ("offset", "I"), ("length", "I"), ("crc", "I")


def _blob(prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}_{name}", code) for name, code in BLOB)


class Layout:
    """A fixed-size little-endian record made of named fields."""

    def __init__(self, fields: Sequence[tuple[str, str]]) -> None:
        self.fields = tuple(fields)
        self.struct = struct.Struct("<" + "".join(code for _, code in self.fields))
        self.size = self.struct.size
        offsets: dict[str, int] = {}
        position = 0
        for name, code in self.fields:
            offsets[name] = position
            position += struct.calcsize("<" + code)
        self.offsets = offsets

    def pack(self, *values: object) -> bytes:
        return self.struct.pack(*values)

    def unpack_from(self, buffer: bytes | memoryview, offset: int = 0) -> tuple[Any, ...]:
        return self.struct.unpack_from(buffer, offset)


TRAILER = Layout(
    [
        ("magic", "8s"),
        ("version", "I"),
        ("index_crc", "I"),
        ("payload_offset", "Q"),  # in the file
        ("payload_size", "Q"),
        ("index_size", "Q"),
    ]
)

HEADER = Layout(
    [
        ("magic", "8s"),
        ("version", "I"),
        ("entry_count", "I"),
        ("names_size", "I"),
        ("config_flags", "I"),
        ("optimize_level", "I"),
        *_blob("settings"),  # run-time settings (marshal of RuntimeSettings.to_marshal())
        *_blob("bootstrap"),  # marshalled tuple of (module name, marshalled code)
        *_blob("stdio_encoding"),  # UTF-8 "encoding[:errors]", may be empty
        *_blob("main_code"),  # eval mode: the code compiled at build time (marshal), or empty
        ("reserved", "I"),  # zero; keeps the records 16-byte aligned
    ]
)

RECORD = Layout(
    [
        ("kind", "H"),
        ("flags", "H"),
        ("name_size", "I"),
        *_blob("data"),  # the entry's main data (bytecode, resource bytes, shared object)
        *_blob("source"),  # the module source when packaged
    ]
)

assert TRAILER.size == c.TRAILER_SIZE
assert HEADER.size == c.HEADER_SIZE
assert RECORD.size == c.RECORD_WORDS * 4


class Kind(enum.IntEnum):
    MODULE = c.KIND_MODULE  # A: bytecode (marshal), B: source (optional)
    RESOURCE = c.KIND_RESOURCE  # name "package\0relative/path"; A: data
    EXTENSION = c.KIND_EXTENSION  # A: shared object bytes of an extension module
    SHARED_LIBRARY = c.KIND_SHARED_LIBRARY  # name: the soname; A: shared object bytes
    DIST_INFO = c.KIND_DIST_INFO  # name "dist-info-dir\0relative/path"; A: data
    DICTIONARY = c.KIND_DICTIONARY  # name: what it was trained on; A: zstd dictionary


class EntryFlag(enum.IntFlag):
    PACKAGE = c.FLAG_PACKAGE
    HAS_SOURCE = c.FLAG_HAS_SOURCE
    DATA_ZSTD = c.FLAG_DATA_ZSTD
    SOURCE_ZSTD = c.FLAG_SOURCE_ZSTD


class ConfigFlag(enum.IntFlag):
    """Interpreter settings the C launcher needs before Python exists."""

    DONT_WRITE_BYTECODE = 1 << 0
    IGNORE_ENVIRONMENT = 1 << 1
    NO_SITE = 1 << 2
    NO_USER_SITE = 1 << 3
    UNBUFFERED_STDIO = 1 << 4
    FILESYSTEM_IMPORTER = 1 << 5
    FREEZE_STARTUP_OBJECTS = 1 << 6


# The raw allocator travels in the config flags too: bits 8-15 hold a RawAllocator code, so
# payloads written before the field existed (all zero there) mean "system".
ALLOCATOR_SHIFT = 8
ALLOCATOR_MASK = 0xFF


# Every bit a payload may set in the config flags; the launcher refuses any other.
KNOWN_CONFIG_BITS = sum(ConfigFlag) | ALLOCATOR_MASK << ALLOCATOR_SHIFT


class RawAllocator(enum.IntEnum):
    """Allocator of CPython's PYMEM_DOMAIN_RAW, chosen by the launcher at start-up."""

    SYSTEM = 0
    JEMALLOC = 1
    MIMALLOC = 2


def align(value: int, to: int = DATA_ALIGN) -> int:
    return (value + to - 1) // to * to


# --- the launcher's view --------------------------------------------------------------------


def _c_string(data: bytes) -> str:
    return '"' + data.decode("ascii") + '"'


def _offsets(prefix: str, layout: Layout) -> list[str]:
    return [
        f"#define PYOX_{prefix}_{name.upper()}_AT {offset}"
        for name, offset in layout.offsets.items()
    ]


def c_header() -> str:
    """``pyoxidizer_format.h``: every constant and field offset launcher.c reads."""
    lines = [
        "/* Generated by pyoxidizer/payload/format.py for each launcher build: do not edit. */",
        "#ifndef PYOXIDIZER_FORMAT_H",
        "#define PYOXIDIZER_FORMAT_H",
        f"#define PYOX_TRAILER_MAGIC {_c_string(TRAILER_MAGIC)}",
        f"#define PYOX_PAYLOAD_MAGIC {_c_string(PAYLOAD_MAGIC)}",
        f"#define PYOX_FORMAT_VERSION {FORMAT_VERSION}",
        f"#define PYOX_DATA_ALIGN {DATA_ALIGN}",
        f"#define PYOX_TRAILER_SIZE {TRAILER.size}",
        f"#define PYOX_HEADER_SIZE {HEADER.size}",
        f"#define PYOX_RECORD_SIZE {RECORD.size}",
        *_offsets("TRAILER", TRAILER),
        *_offsets("HEADER", HEADER),
        *_offsets("RECORD", RECORD),
        *(
            f"#define PYOX_CFG_{flag.name} (1u << {flag.value.bit_length() - 1})"
            for flag in ConfigFlag
        ),
        f"#define PYOX_CFG_ALLOCATOR_SHIFT {ALLOCATOR_SHIFT}",
        f"#define PYOX_CFG_ALLOCATOR_MASK 0x{ALLOCATOR_MASK:X}u",
        f"#define PYOX_CFG_KNOWN_BITS 0x{KNOWN_CONFIG_BITS:X}u",
        *(f"#define PYOX_ALLOCATOR_{code.name} {code.value}" for code in RawAllocator),
        *(f"#define PYOX_KIND_{kind.name} {kind.value}" for kind in Kind),
        *(f"#define PYOX_FLAG_{flag.name} {flag.value}u" for flag in EntryFlag),
        f"#define PYOX_BOOTSTRAP_FILENAME_PREFIX {_c_string(c.BOOTSTRAP_FILENAME_PREFIX.encode())}",
        "#endif",
    ]
    return "\n".join(lines) + "\n"
