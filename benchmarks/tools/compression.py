"""Compressed sizes and decompression speed of an app's payload, per kind and zstd level.

Usage: python benchmarks/tools/compression.py EXECUTABLE [MODULES_FILE]

EXECUTABLE is any app built by pyoxidizer (its content is read back decompressed). With
MODULES_FILE (one module name per line, e.g. what an app has in sys.modules), decompression
is timed over the bytecode and extension modules of those modules only: what that app's
start-up decompresses. Frames are one per entry, as the payload stores them; bytecode and
sources use a dictionary trained like the writer's (payload/compress.py). Times are the
best of 7 runs through the zstandard module, on whatever load the machine has: compare the
rows with each other. Prints a markdown table (docs/benchmarks.md, "Compression").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import zstandard

from pyoxidizer.payload.compress import DICTIONARY_SIZE, TRAINING
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import locate_payload, read_payload

LEVELS = (19, 9, 3, 1, -1)


def main() -> None:
    contents = read_payload(locate_payload(Path(sys.argv[1]).read_bytes())[0])
    used = set(Path(sys.argv[2]).read_text().split()) if len(sys.argv) > 2 else None
    modules = [e for e in contents.entries if e.kind == Kind.MODULE]
    kinds = {
        "bytecode": [bytes(e.data) for e in modules],
        "sources": [bytes(e.source) for e in modules if e.source],
        "extension modules": [bytes(e.data) for e in contents.entries if e.kind == Kind.EXTENSION],
    }
    hot = {
        "bytecode": [bytes(e.data) for e in modules if used is None or e.name in used],
        "sources": [],
        "extension modules": [
            bytes(e.data)
            for e in contents.entries
            if e.kind == Kind.EXTENSION and (used is None or e.name in used)
        ],
    }
    print("| Kind | Raw MB | Level | Dictionary | Stored MB | Ratio | Decompress, used set |")
    print("|:---|---:|---:|:---|---:|---:|---:|")
    for kind, samples in kinds.items():
        raw = sum(map(len, samples))
        dictionary = None
        if kind != "extension modules":
            dictionary = zstandard.train_dictionary(DICTIONARY_SIZE, samples, **TRAINING)
        for level in LEVELS:
            params = zstandard.ZstdCompressionParameters.from_level(level, write_checksum=0)
            compressor = zstandard.ZstdCompressor(compression_params=params, dict_data=dictionary)
            stored = sum(len(compressor.compress(s)) for s in samples)
            stored += len(dictionary.as_bytes()) if dictionary else 0
            print(
                f"| {kind} | {raw / 1e6:.2f} | {level} | {'112 KiB' if dictionary else 'none'} "
                f"| {stored / 1e6:.2f} | {raw / stored:.2f} "
                f"| {_speed(hot[kind], compressor, dictionary)} |"
            )


def _speed(
    samples: list[bytes],
    compressor: zstandard.ZstdCompressor,
    dictionary: zstandard.ZstdCompressionDict | None,
) -> str:
    if not samples:
        return ""
    frames = [compressor.compress(s) for s in samples]
    decompressor = zstandard.ZstdDecompressor(dict_data=dictionary)
    best = min(_time(decompressor, frames) for _ in range(7))
    size = sum(map(len, samples))
    return f"{best * 1e3:.1f} ms for {size / 1e6:.2f} MB ({size / best / 1e9:.2f} GB/s)"


def _time(decompressor: zstandard.ZstdDecompressor, frames: list[bytes]) -> float:
    start = time.perf_counter()
    for frame in frames:
        decompressor.decompress(frame)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
