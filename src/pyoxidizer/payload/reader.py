"""Read a payload back: from an executable's bytes, for tests, tools and ``analyze``."""

from __future__ import annotations

import marshal
import zlib
from dataclasses import dataclass

from pyoxidizer.errors import PayloadError
from pyoxidizer.payload.format import (
    FORMAT_VERSION,
    HEADER,
    PAYLOAD_MAGIC,
    RECORD,
    TRAILER,
    TRAILER_MAGIC,
    EntryFlag,
    Kind,
)


@dataclass(frozen=True)
class EntryInfo:
    kind: Kind
    name: str
    flags: EntryFlag
    data: memoryview
    source: memoryview | None


@dataclass(frozen=True)
class PayloadContents:
    config_flags: int
    optimize_level: int
    runtime_config: dict[str, object]
    stdio_encoding: str
    entries: tuple[EntryInfo, ...]

    def by_kind(self, kind: Kind) -> dict[str, EntryInfo]:
        return {e.name: e for e in self.entries if e.kind == kind}


def locate_payload(image: bytes | memoryview) -> tuple[memoryview, int]:
    """Find the payload of an executable image; return (payload view, index length)."""
    view = memoryview(image)
    if len(view) < TRAILER.size:
        raise PayloadError("file is too small to hold a pyoxidizer payload")
    magic, version, index_crc, offset, length, index_len = TRAILER.unpack_from(
        view, len(view) - TRAILER.size
    )
    if magic != TRAILER_MAGIC:
        raise PayloadError("no pyoxidizer payload trailer at the end of the file")
    if version != FORMAT_VERSION:
        raise PayloadError(f"payload format version {version} is not supported")
    if offset + length != len(view) - TRAILER.size or not HEADER.size <= index_len <= length:
        raise PayloadError("payload is truncated (sizes in the trailer do not match the file)")
    payload = view[offset : offset + length]
    if zlib.crc32(payload[:index_len]) != index_crc:
        raise PayloadError("payload index fails its checksum")
    return payload, index_len


def _blob(payload: memoryview, offset: int, length: int, crc: int) -> memoryview:
    data = payload[offset : offset + length]
    if len(data) != length or zlib.crc32(data) != crc:
        raise PayloadError(f"payload blob at offset {offset} fails its checksum")
    return data


def read_payload(payload: memoryview) -> PayloadContents:
    fields = HEADER.unpack_from(payload, 0)
    if fields[0] != PAYLOAD_MAGIC or fields[1] != FORMAT_VERSION:
        raise PayloadError("payload header is invalid")
    count, names_len, cflags, optimize = fields[2:6]
    config = _blob(payload, *fields[6:9])
    encoding = _blob(payload, *fields[12:15])
    names = bytes(payload[HEADER.size + RECORD.size * count :][:names_len])
    entries, pos = [], 0
    for i in range(count):
        kind, flags, name_len, *refs = RECORD.unpack_from(payload, HEADER.size + RECORD.size * i)
        name = names[pos : pos + name_len].decode("utf-8")
        pos += name_len
        source = _blob(payload, *refs[3:6]) if flags & EntryFlag.HAS_SOURCE else None
        entries.append(
            EntryInfo(Kind(kind), name, EntryFlag(flags), _blob(payload, *refs[0:3]), source)
        )
    runtime_config = marshal.loads(config) if len(config) else {}
    return PayloadContents(
        cflags, optimize, runtime_config, bytes(encoding).decode(), tuple(entries)
    )
