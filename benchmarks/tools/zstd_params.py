"""Writes, per set of zstd parameters, the frames of the bytecode and extension modules an
app imports, for zstd_frames.c to decompress under callgrind, and prints what the whole
standard library would store with those parameters.

Usage: python benchmarks/tools/zstd_params.py EXECUTABLE MODULES_FILE OUTPUT_DIR

EXECUTABLE is any app built by pyoxidizer (its content is read back decompressed);
MODULES_FILE names the modules whose frames are written (one per line). Prints
"kind variant stored_bytes path" lines; benchmarks/zstd-params.sh turns them into a table.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import zstandard

from pyoxidizer.payload.compress import DICTIONARY_SIZE, TRAINING
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import locate_payload, read_payload

# name: (level, extra parameters)
VARIANTS: dict[str, tuple[int, dict[str, int]]] = {
    "level 19": (19, {}),
    "level 19, min_match 5": (19, {"min_match": 5}),
    "level 19, min_match 6": (19, {"min_match": 6}),
    "level 19, min_match 7": (19, {"min_match": 7}),
    "level 9": (9, {}),
}


def main() -> None:
    exe, modules_file, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    contents = read_payload(locate_payload(exe.read_bytes())[0])
    used = set(modules_file.read_text().split())
    kinds = {"bytecode": Kind.MODULE, "extension modules": Kind.EXTENSION}
    for kind, entry_kind in kinds.items():
        entries = [e for e in contents.entries if e.kind == entry_kind]
        everything = [bytes(e.data) for e in entries]
        hot = [bytes(e.data) for e in entries if e.name in used]
        dictionary = None
        if entry_kind == Kind.MODULE:
            dictionary = zstandard.train_dictionary(DICTIONARY_SIZE, everything, **TRAINING)
        for number, (variant, (level, extra)) in enumerate(VARIANTS.items()):
            params = zstandard.ZstdCompressionParameters.from_level(
                level, write_checksum=0, **extra
            )
            compressor = zstandard.ZstdCompressor(compression_params=params, dict_data=dictionary)
            stored = sum(len(compressor.compress(s)) for s in everything)
            path = out / f"{entry_kind.name.lower()}-{number}.frames"
            raw_dictionary = dictionary.as_bytes() if dictionary else b""
            with path.open("wb") as f:
                f.write(struct.pack("<I", len(raw_dictionary)) + raw_dictionary)
                for sample in hot:
                    frame = compressor.compress(sample)
                    f.write(struct.pack("<II", len(sample), len(frame)) + frame)
            print(f"{kind}\t{variant}\t{stored}\t{path}")


if __name__ == "__main__":
    main()
