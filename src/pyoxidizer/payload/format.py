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

Integers are little-endian. Offsets are relative to the payload start. ``docs/payload-format.md``
describes the same layout in prose; ``launcher/launcher.c`` and ``runtime/importer.py``
repeat the constants and a test checks that they agree with this module.
"""

from __future__ import annotations

import enum
import struct

TRAILER_MAGIC = b"PYOXTRLR"
PAYLOAD_MAGIC = b"PYOXPAYL"
FORMAT_VERSION = 1
DATA_ALIGN = 16

# magic, format version, index crc32, payload offset (in file), payload length, index length
TRAILER = struct.Struct("<8sIIQQQ")

# magic, format version, entry count, names length, config flags, optimize level,
# then three blob references (offset, length, crc32): run-time config (marshal),
# bootstrap code (marshal), stdio encoding (UTF-8 text, may be empty).
HEADER = struct.Struct("<8sIIIII" + "III" * 3)

# kind, flags, name length, then two blob references (offset, length, crc32):
# blob A is the entry's main data (bytecode, resource bytes, shared object);
# blob B is the module source when packaged.
RECORD = struct.Struct("<HHI" + "III" * 2)

MAX_OFFSET = 0xFFFFFFFF


class Kind(enum.IntEnum):
    MODULE = 1  # A: bytecode (marshal), B: source (optional)
    RESOURCE = 2  # name "package\0relative/path"; A: data
    EXTENSION = 3  # A: shared object bytes of an extension module
    SHARED_LIBRARY = 4  # name: the soname; A: shared object bytes
    DIST_INFO = 5  # name "dist-info-dir\0relative/path"; A: data


class EntryFlag(enum.IntFlag):
    PACKAGE = 1
    HAS_SOURCE = 2


class ConfigFlag(enum.IntFlag):
    """Interpreter settings the C launcher needs before Python exists."""

    DONT_WRITE_BYTECODE = 1 << 0
    IGNORE_ENVIRONMENT = 1 << 1
    NO_SITE = 1 << 2
    NO_USER_SITE = 1 << 3
    UNBUFFERED_STDIO = 1 << 4
    FILESYSTEM_IMPORTER = 1 << 5


# The raw allocator travels in the config flags too: bits 8-15 hold a RawAllocator code, so
# payloads written before the field existed (all zero there) mean "system".
ALLOCATOR_SHIFT = 8
ALLOCATOR_MASK = 0xFF


class RawAllocator(enum.IntEnum):
    """Allocator of CPython's PYMEM_DOMAIN_RAW, chosen by the launcher at start-up."""

    SYSTEM = 0
    JEMALLOC = 1
    MIMALLOC = 2


RESOURCE_SEPARATOR = "\0"


def align(value: int, to: int = DATA_ALIGN) -> int:
    return (value + to - 1) // to * to
