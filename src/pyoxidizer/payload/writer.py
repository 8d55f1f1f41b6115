"""Serialise embedded entries and run-time settings into a payload (see format.py)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxidizer.errors import PayloadError
from pyoxidizer.payload.format import (
    FORMAT_VERSION,
    HEADER,
    MAX_OFFSET,
    PAYLOAD_MAGIC,
    RECORD,
    RESOURCE_SEPARATOR,
    TRAILER,
    TRAILER_MAGIC,
    EntryFlag,
    Kind,
    align,
)


@dataclass(frozen=True)
class PayloadEntry:
    kind: Kind
    name: str
    data: bytes
    source: bytes | None = None
    is_package: bool = False
    # EXTENSION: the SHARED_LIBRARY entries it needs, loaded together before it (blob B).
    needs: tuple[str, ...] = ()

    @property
    def flags(self) -> int:
        flags = EntryFlag.PACKAGE if self.is_package else EntryFlag(0)
        if self.source is not None:
            flags |= EntryFlag.HAS_SOURCE
        return int(flags)


@dataclass(frozen=True)
class PayloadHeader:
    """What the launcher reads before Python starts, plus the two marshalled objects."""

    config_flags: int
    optimize_level: int
    runtime_config: bytes  # marshalled dict, read by runtime/bootstrap.py
    bootstrap: bytes  # marshalled tuple of (module name, code object)
    stdio_encoding: str = ""
    main_code: bytes = b""  # eval mode: the code, compiled by the target interpreter


class _Blobs:
    """Collects blobs after the index; returns (offset, length, crc32) references."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes | None) -> tuple[int, int, int]:
        if not data:
            return (0, 0, 0)
        offset = self.start + self.size
        if offset + len(data) > MAX_OFFSET:
            raise PayloadError("the embedded payload would exceed 4 GiB, the format's limit")
        self.parts.append(data)
        padded = align(len(data))
        if padded != len(data):
            self.parts.append(b"\0" * (padded - len(data)))
        self.size += padded
        return (offset, len(data), zlib.crc32(data))


def write_payload(header: PayloadHeader, entries: Iterable[PayloadEntry]) -> tuple[bytes, int]:
    """Return (payload bytes, index length). Entries are sorted so output is deterministic."""
    ordered = sorted(entries, key=lambda e: (int(e.kind), e.name))
    _check_unique(ordered)
    names = b"".join(e.name.encode("utf-8") for e in ordered)
    index_len = align(HEADER.size + RECORD.size * len(ordered) + len(names))
    blobs = _Blobs(index_len)
    config_ref = blobs.add(header.runtime_config)
    boot_ref = blobs.add(header.bootstrap)
    enc_ref = blobs.add(header.stdio_encoding.encode("utf-8"))
    main_ref = blobs.add(header.main_code)
    records = [_record(e, blobs) for e in ordered]
    head = HEADER.pack(
        PAYLOAD_MAGIC,
        FORMAT_VERSION,
        len(ordered),
        len(names),
        header.config_flags,
        header.optimize_level,
        *config_ref,
        *boot_ref,
        *enc_ref,
        *main_ref,
        0,
    )
    index = head + b"".join(records) + names
    index += b"\0" * (index_len - len(index))
    return index + b"".join(blobs.parts), index_len


def _record(entry: PayloadEntry, blobs: _Blobs) -> bytes:
    data_ref = blobs.add(entry.data)
    source_ref = blobs.add(entry.source if entry.kind != Kind.EXTENSION else _needs_blob(entry))
    name_len = len(entry.name.encode("utf-8"))
    return RECORD.pack(int(entry.kind), entry.flags, name_len, *data_ref, *source_ref)


def _needs_blob(entry: PayloadEntry) -> bytes:
    return RESOURCE_SEPARATOR.join(entry.needs).encode("utf-8")


def _check_unique(ordered: list[PayloadEntry]) -> None:
    for before, after in zip(ordered, ordered[1:], strict=False):
        if (before.kind, before.name) == (after.kind, after.name):
            raise PayloadError(
                f"two embedded {after.kind.name.lower()} entries are named {after.name!r}"
            )


def write_trailer(payload_offset: int, payload: bytes, index_len: int) -> bytes:
    """The fixed-size trailer that ends the executable and locates the payload."""
    index_crc = zlib.crc32(payload[:index_len])
    return TRAILER.pack(
        TRAILER_MAGIC, FORMAT_VERSION, index_crc, payload_offset, len(payload), index_len
    )
