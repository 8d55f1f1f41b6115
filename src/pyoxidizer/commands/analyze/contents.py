"""What an executable built by pyoxidizer embeds: run-time settings, entries and their sizes.

Everything is read back with ``payload.reader``, the same reader the tests use, so this view
cannot drift from the format.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxidizer.payload.format import (
    RESOURCE_SEPARATOR,
    TRAILER,
    TRAILER_MAGIC,
    ConfigFlag,
    EntryFlag,
    Kind,
)
from pyoxidizer.payload.reader import EntryInfo, PayloadContents, locate_payload, read_payload

LARGEST_PACKAGES = 10

KIND_LABELS = {
    Kind.MODULE: "modules",
    Kind.RESOURCE: "resources",
    Kind.EXTENSION: "extension modules",
    Kind.SHARED_LIBRARY: "shared libraries",
    Kind.DIST_INFO: "dist-info files",
    Kind.DICTIONARY: "zstd dictionaries",
}


@dataclass(frozen=True)
class KindTotal:
    kind: str
    count: int
    bytes: int  # decompressed
    stored_bytes: int = 0  # as stored in the file


@dataclass(frozen=True)
class PackageSize:
    name: str
    entries: int
    bytes: int


@dataclass(frozen=True)
class PayloadSummary:
    launcher_bytes: int
    payload_bytes: int
    run_mode: str
    runtime_config: dict[str, object]
    interpreter_flags: tuple[str, ...]
    optimize_level: int
    stdio_encoding: str
    packages: int  # modules that are packages
    modules_with_source: int
    bytecode_bytes: int
    source_bytes: int
    kinds: tuple[KindTotal, ...]
    largest_packages: tuple[PackageSize, ...]


def has_trailer(image: bytes | memoryview) -> bool:
    """Whether ``image`` ends with a pyoxidizer trailer (the payload may still be damaged)."""
    start = len(image) - TRAILER.size
    return start >= 0 and bytes(image[start : start + len(TRAILER_MAGIC)]) == TRAILER_MAGIC


def read_contents(image: bytes | memoryview) -> tuple[PayloadContents, int, int] | None:
    """(contents, launcher bytes, payload bytes) of ``image``; None without a trailer.

    A payload that is present but damaged raises ``PayloadError``.
    """
    if not has_trailer(image):
        return None
    payload, _ = locate_payload(image)
    return read_payload(payload), len(image) - TRAILER.size - len(payload), len(payload)


def summarise(contents: PayloadContents, launcher_bytes: int, payload_bytes: int) -> PayloadSummary:
    modules = [e for e in contents.entries if e.kind == Kind.MODULE]
    config = dict(contents.runtime_config)
    return PayloadSummary(
        launcher_bytes=launcher_bytes,
        payload_bytes=payload_bytes,
        run_mode=str(config.get("mode", "unknown")),
        runtime_config=config,
        interpreter_flags=tuple(
            str(f.name).lower() for f in ConfigFlag if contents.config_flags & f
        ),
        optimize_level=contents.optimize_level,
        stdio_encoding=contents.stdio_encoding,
        packages=sum(1 for e in modules if e.flags & EntryFlag.PACKAGE),
        modules_with_source=sum(1 for e in modules if e.source is not None),
        bytecode_bytes=sum(len(e.data) for e in modules),
        source_bytes=sum(_size(e) - len(e.data) for e in modules),
        kinds=kind_totals(contents.entries),
        largest_packages=largest_packages(contents.entries),
    )


def _size(entry: EntryInfo) -> int:
    return len(entry.data) + (len(entry.source) if entry.source is not None else 0)


def kind_totals(entries: Iterable[EntryInfo]) -> tuple[KindTotal, ...]:
    counts: dict[Kind, list[int]] = {kind: [0, 0, 0] for kind in KIND_LABELS}
    for entry in entries:
        counts[entry.kind][0] += 1
        counts[entry.kind][1] += _size(entry)
        counts[entry.kind][2] += entry.stored
    return tuple(
        KindTotal(KIND_LABELS[k], n, size, stored) for k, (n, size, stored) in counts.items()
    )


def top_level_name(entry: EntryInfo) -> str:
    """The top-level package an entry belongs to (resources: their package's)."""
    name = entry.name
    if entry.kind in (Kind.RESOURCE, Kind.DIST_INFO):
        name = name.split(RESOURCE_SEPARATOR, 1)[0]
    if entry.kind == Kind.SHARED_LIBRARY:
        return f"(shared library) {name}"
    return name.split(".", 1)[0] if entry.kind != Kind.DIST_INFO else f"(dist-info) {name}"


def largest_packages(
    entries: Iterable[EntryInfo], limit: int = LARGEST_PACKAGES
) -> tuple[PackageSize, ...]:
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        total = sizes[top_level_name(entry)]
        total[0] += 1
        total[1] += _size(entry)
    ranked = sorted(sizes.items(), key=lambda item: (-item[1][1], item[0]))
    return tuple(PackageSize(name, n, size) for name, (n, size) in ranked[:limit])
