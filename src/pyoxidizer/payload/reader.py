"""Read a payload back: from an executable's bytes, for tests, tools and ``analyze``."""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import CodeType

from pyoxidizer.errors import PayloadError
from pyoxidizer.payload.compress import decompress, dictionary_id
from pyoxidizer.payload.format import (
    FORMAT_VERSION,
    HEADER,
    PAYLOAD_MAGIC,
    RECORD,
    RESOURCE_SEPARATOR,
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
    data: memoryview  # decompressed
    source: memoryview | None  # decompressed
    needs: tuple[str, ...] = ()  # EXTENSION: the SHARED_LIBRARY entries it needs
    stored: int = 0  # bytes of data and source as stored in the file (compressed or not)


@dataclass(frozen=True)
class PayloadContents:
    config_flags: int
    optimize_level: int
    runtime_config: dict[str, object]
    stdio_encoding: str
    entries: tuple[EntryInfo, ...]
    main_code: bytes = b""  # eval mode: the code compiled at build time (marshal)

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
        raise PayloadError(
            f"payload format version {version} is not supported (this pyoxidizer reads "
            f"version {FORMAT_VERSION}; rebuild the application)"
        )
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


def _header(payload: memoryview) -> tuple[int, ...]:
    fields = HEADER.unpack_from(payload, 0)
    if fields[0] != PAYLOAD_MAGIC:
        raise PayloadError("payload header is invalid")
    if fields[1] != FORMAT_VERSION:
        raise PayloadError(
            f"payload format version {fields[1]} is not supported (this pyoxidizer reads "
            f"version {FORMAT_VERSION})"
        )
    return tuple(fields[2:])


def _records(payload: memoryview, count: int, names_len: int) -> list[tuple[Kind, str, list[int]]]:
    """(kind, name, [flags, data ref..., source ref...]) of every record, in order."""
    names = bytes(payload[HEADER.size + RECORD.size * count :][:names_len])
    records, pos = [], 0
    for i in range(count):
        kind, flags, name_len, *refs = RECORD.unpack_from(payload, HEADER.size + RECORD.size * i)
        records.append((Kind(kind), names[pos : pos + name_len].decode("utf-8"), [flags, *refs]))
        pos += name_len
    return records


def _dictionaries(
    payload: memoryview, records: list[tuple[Kind, str, list[int]]]
) -> dict[int, bytes]:
    """The zstd dictionaries of a payload, by ID."""
    found = (
        bytes(_blob(payload, *refs[1:4])) for kind, _, refs in records if kind == Kind.DICTIONARY
    )
    return {dictionary_id(d): d for d in found}


def _content(
    payload: memoryview, ref: Sequence[int], compressed: int, dictionaries: dict[int, bytes]
) -> memoryview:
    """A blob's verified content, decompressed when it is stored compressed."""
    stored = _blob(payload, *ref)
    if not compressed:
        return stored
    try:
        return memoryview(decompress(stored, dictionaries))
    except ValueError as exc:
        raise PayloadError(
            f"payload blob at offset {ref[0]} cannot be decompressed: {exc}"
        ) from None


def read_payload(payload: memoryview) -> PayloadContents:
    count, names_len, cflags, optimize, *refs = _header(payload)
    config = _blob(payload, *refs[0:3])
    encoding = _blob(payload, *refs[6:9])
    main_code = bytes(_blob(payload, *refs[9:12]))
    records = _records(payload, count, names_len)
    dictionaries = _dictionaries(payload, records)
    entries = []
    for kind, name, (flags, *blobs) in records:
        data = _content(payload, blobs[0:3], flags & EntryFlag.DATA_ZSTD, dictionaries)
        source = None
        if flags & EntryFlag.HAS_SOURCE:
            source = _content(payload, blobs[3:6], flags & EntryFlag.SOURCE_ZSTD, dictionaries)
        needs: tuple[str, ...] = ()
        if kind == Kind.EXTENSION and blobs[4]:
            needs = tuple(bytes(_blob(payload, *blobs[3:6])).decode().split(RESOURCE_SEPARATOR))
        stored = blobs[1] + (blobs[4] if flags & EntryFlag.HAS_SOURCE else 0)
        entries.append(EntryInfo(kind, name, EntryFlag(flags), data, source, needs, stored))
    runtime_config = marshal.loads(config) if len(config) else {}
    return PayloadContents(
        cflags, optimize, runtime_config, bytes(encoding).decode(), tuple(entries), main_code
    )


class InMemoryServices:
    """The launcher's payload services (``_pyoxidizer`` in launcher.c) over payload bytes.

    Tests run the runtime's importer with it in an ordinary interpreter; it answers as the
    launcher does, except that shared objects cannot be loaded (that needs the launcher).
    """

    def __init__(self, payload: bytes | memoryview) -> None:
        self._payload = memoryview(payload)
        count, names_len, *_ = _header(self._payload)
        index_end = HEADER.size + RECORD.size * count + names_len
        self.index = bytes(self._payload[:index_end])
        self._records = _records(self._payload, count, names_len)
        self._numbers = {(int(k), name): i for i, (k, name, _) in enumerate(self._records)}
        self._dictionaries = _dictionaries(self._payload, self._records)

    def find(self, kind: int, name: str, /) -> int:
        return self._numbers.get((kind, name), -1)

    def read(self, number: int, part: int, /) -> bytes:
        kind, name, (flags, *blobs) = self._records[number]
        ref = blobs[3:6] if part else blobs[0:3]
        compressed = flags & (EntryFlag.SOURCE_ZSTD if part else EntryFlag.DATA_ZSTD)
        try:
            return bytes(_content(self._payload, ref, compressed, self._dictionaries))
        except PayloadError:
            what = "the source" if part else "the data"
            raise ImportError(
                f"embedded payload is corrupt ({what} of {name!r} fails its checksum)"
            ) from None

    def code(self, number: int, /) -> CodeType:
        code = marshal.loads(self.read(number, 0))
        if not isinstance(code, CodeType):
            raise ImportError(f"embedded payload is corrupt ({self._records[number][1]!r})")
        return code

    def memfd(self, number: int, name: str, /) -> tuple[int, str]:
        raise ImportError(f"cannot load {name!r}: shared objects load only in an executable")

    def load_libraries(self, paths: list[str], /) -> None:
        raise ImportError("shared libraries load only in an executable")
