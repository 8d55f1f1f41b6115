"""Serialise embedded entries and run-time settings into a payload (see format.py)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyoxidizer.errors import PayloadError
from pyoxidizer.payload.compress import Compressor, train_dictionary
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

# Names of the DICTIONARY entries: what each was trained on and is used for.
BYTECODE_DICTIONARY = "bytecode"
SOURCE_DICTIONARY = "source"


@dataclass(frozen=True)
class PayloadEntry:
    kind: Kind
    name: str
    data: bytes
    source: bytes | None = None
    is_package: bool = False
    # EXTENSION: the SHARED_LIBRARY entries it needs, loaded together before it (blob B).
    needs: tuple[str, ...] = ()
    # Store the data, and the source, as zstd frames, when that is smaller.
    compress: bool = False
    compress_source: bool = False
    # A MODULE whose bytecode and source may shape the shared dictionaries: content that is
    # the same from build to build (the standard library), so an edit to the app does not
    # change the dictionaries and with them every compressed blob.
    train: bool = False

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


@dataclass(frozen=True)
class _Stored:
    """An entry as it is written: its blobs as stored, and its record flags."""

    kind: Kind
    name: str
    flags: int
    data: bytes
    second: bytes  # blob B: source, or an extension module's needed libraries


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


def write_payload(
    header: PayloadHeader, entries: Iterable[PayloadEntry], compressor: Compressor | None = None
) -> tuple[bytes, int]:
    """Return (payload bytes, index length). Entries are sorted so output is deterministic.

    Without a compressor nothing is compressed, whatever the entries ask for.
    """
    ordered = sorted(entries, key=lambda e: (int(e.kind), e.name))
    _check_unique(ordered)
    stored = _compressed(ordered, compressor) if compressor else [_raw(e) for e in ordered]
    stored.sort(key=lambda s: (int(s.kind), s.name))
    names = b"".join(s.name.encode("utf-8") for s in stored)
    index_len = align(HEADER.size + RECORD.size * len(stored) + len(names))
    blobs = _Blobs(index_len)
    config_ref = blobs.add(header.runtime_config)
    boot_ref = blobs.add(header.bootstrap)
    enc_ref = blobs.add(header.stdio_encoding.encode("utf-8"))
    main_ref = blobs.add(header.main_code)
    records = [_record(s, blobs) for s in stored]
    head = HEADER.pack(
        PAYLOAD_MAGIC,
        FORMAT_VERSION,
        len(stored),
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


def _raw(entry: PayloadEntry) -> _Stored:
    second = entry.source or b""
    if entry.kind == Kind.EXTENSION:
        second = RESOURCE_SEPARATOR.join(entry.needs).encode("utf-8")
    return _Stored(entry.kind, entry.name, entry.flags, entry.data, second)


def _compressed(ordered: Sequence[PayloadEntry], compressor: Compressor) -> list[_Stored]:
    """Entries with their blobs compressed where asked and smaller, plus the dictionaries
    those frames need."""
    modules = [e for e in ordered if e.kind == Kind.MODULE and e.train]
    dictionaries = {
        BYTECODE_DICTIONARY: train_dictionary([e.data for e in modules if e.compress]),
        SOURCE_DICTIONARY: train_dictionary(
            [e.source or b"" for e in modules if e.compress_source]
        ),
    }
    jobs: list[tuple[bytes, bytes, bool]] = []
    for entry in ordered:
        is_module = entry.kind == Kind.MODULE
        if entry.compress:
            hot = entry.kind in (Kind.MODULE, Kind.EXTENSION, Kind.SHARED_LIBRARY)
            dictionary = dictionaries[BYTECODE_DICTIONARY] if is_module else b""
            jobs.append((entry.data, dictionary, hot))
        if is_module and entry.source and entry.compress_source:
            jobs.append((entry.source, dictionaries[SOURCE_DICTIONARY], False))
    frames = iter(compressor.compress(jobs))
    stored, used = [], set()
    for entry in ordered:
        raw = _raw(entry)
        flags, data, second = raw.flags, raw.data, raw.second
        if entry.compress:
            frame = next(frames)
            if len(frame) < len(data):
                flags, data = flags | EntryFlag.DATA_ZSTD, frame
                used.add(BYTECODE_DICTIONARY if entry.kind == Kind.MODULE else "")
        if entry.kind == Kind.MODULE and entry.source and entry.compress_source:
            frame = next(frames)
            if len(frame) < len(second):
                flags, second = flags | EntryFlag.SOURCE_ZSTD, frame
                used.add(SOURCE_DICTIONARY)
        stored.append(_Stored(entry.kind, entry.name, int(flags), data, second))
    stored += [
        _Stored(Kind.DICTIONARY, name, 0, dictionary, b"")
        for name, dictionary in dictionaries.items()
        if dictionary and name in used
    ]
    return stored


def _record(entry: _Stored, blobs: _Blobs) -> bytes:
    data_ref = blobs.add(entry.data)
    second_ref = blobs.add(entry.second)
    name_len = len(entry.name.encode("utf-8"))
    return RECORD.pack(int(entry.kind), entry.flags, name_len, *data_ref, *second_ref)


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
