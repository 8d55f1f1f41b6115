"""zstd compression of payload blobs: one frame per blob, so each stays readable alone.

Bytecode and sources are compressed with a dictionary trained on samples of their kind
(the writer stores it as a ``DICTIONARY`` entry; a frame names the dictionary it needs by
its ID). Frames record their content size and carry no checksum of their own: the blob's
CRC-32 covers the stored bytes. The numbers behind the levels and the dictionary size are
in docs/benchmarks.md ("Compression").

Compressing the standard library at level 19 takes seconds, so results are looked up in a
cache (any mutable mapping; the pipeline keeps one per distribution on disk) keyed by the
bytes, the level and the dictionary.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import zstandard

# zstandard is imported where it is used: reading an uncompressed payload needs no zstd
# (the runtime tests read payloads with interpreters that do not have it).

DICTIONARY_SIZE = 112 * 1024
# Training a dictionary pays only with enough material (it costs its own size).
MIN_SAMPLES = 64
MIN_SAMPLE_BYTES = 2 * 1024 * 1024
# fastcover parameters: 0.2-0.4 s for the standard library, within 1% of the best found by
# zstd's parameter search (which takes minutes).
TRAINING = {"k": 1024, "d": 8}
# Frames an app reads while it starts (bytecode, extension modules) are written with matches
# of at least this many bytes: zstd then decodes fewer, longer sequences, 20-35% fewer
# instructions for about 6% more bytes (docs/benchmarks.md, "Compression"). Sources keep
# zstd's default for the level: they are read only for tracebacks and inspect.
HOT_MIN_MATCH = 6


def train_dictionary(samples: Sequence[bytes]) -> bytes:
    """A zstd dictionary for ``samples``, or b"" when they are too few to be worth one."""
    import zstandard

    chosen: list[bytes | bytearray | memoryview] = [s for s in samples if s]
    if len(chosen) < MIN_SAMPLES or sum(map(len, chosen)) < MIN_SAMPLE_BYTES:
        return b""
    try:
        return zstandard.train_dictionary(DICTIONARY_SIZE, chosen, **TRAINING).as_bytes()
    except zstandard.ZstdError:
        return b""


def dictionary_id(dictionary: bytes) -> int:
    import zstandard

    return zstandard.ZstdCompressionDict(dictionary).dict_id() if dictionary else 0


class Compressor:
    """Compresses blobs at one level, in parallel threads, through a cache."""

    def __init__(self, level: int, cache: MutableMapping[bytes, bytes] | None = None) -> None:
        self.level = level
        self.cache: MutableMapping[bytes, bytes] = {} if cache is None else cache
        self.used: set[bytes] = set()  # cache keys this build needed
        self.added = 0  # frames compressed now rather than found in the cache
        self._local = threading.local()

    def _key(self, data: bytes, dictionary: bytes, hot: bool) -> bytes:
        h = hashlib.sha256(b"zstd-%d-%d\0" % (self.level, HOT_MIN_MATCH if hot else 0))
        h.update(hashlib.sha256(dictionary).digest())
        h.update(data)
        return h.digest()

    def _compressor(self, dictionary: bytes, hot: bool) -> zstandard.ZstdCompressor:
        """One compressor per thread, dictionary and kind: they are not thread-safe."""
        compressors: dict[tuple[bytes, bool], zstandard.ZstdCompressor] = (
            self._local.__dict__.setdefault("compressors", {})
        )
        found = compressors.get((dictionary, hot))
        if found is None:
            import zstandard

            params = zstandard.ZstdCompressionParameters.from_level(
                self.level,
                **({"min_match": HOT_MIN_MATCH} if hot else {}),
                write_checksum=0,  # the blob's CRC-32 covers the frame
                write_content_size=1,  # the launcher sizes its buffer or memfd from it
                write_dict_id=1,  # the launcher finds the dictionary by it
            )
            found = compressors[(dictionary, hot)] = zstandard.ZstdCompressor(
                compression_params=params,
                dict_data=zstandard.ZstdCompressionDict(dictionary) if dictionary else None,
            )
        return found

    def compress(self, items: Sequence[tuple[bytes, bytes, bool]]) -> list[bytes]:
        """One frame per (data, dictionary, hot) item, in order; ``hot`` frames are read
        while the app starts and are written to decompress faster."""
        keys = [self._key(data, dictionary, hot) for data, dictionary, hot in items]
        self.used.update(keys)
        missing = {k: item for k, item in zip(keys, items, strict=True) if k not in self.cache}
        if missing:
            jobs = list(missing.items())
            workers = min(len(jobs), os.cpu_count() or 1)
            with ThreadPoolExecutor(workers) as pool:  # zstd releases the GIL
                frames = pool.map(
                    lambda job: self._compressor(job[1][1], job[1][2]).compress(job[1][0]), jobs
                )
                for (key, _), frame in zip(jobs, frames, strict=True):
                    self.cache[key] = frame
            self.added += len(jobs)
        return [self.cache[k] for k in keys]


def decompress(frame: bytes | memoryview, dictionaries: dict[int, bytes]) -> bytes:
    """The content of one frame (for the reader and tools); ValueError if it is not one."""
    import zstandard

    frame = bytes(frame)
    try:
        params = zstandard.get_frame_parameters(frame)
        dictionary = dictionaries.get(params.dict_id) if params.dict_id else None
        if params.dict_id and dictionary is None:
            raise ValueError(f"the frame needs zstd dictionary {params.dict_id}, which is missing")
        dict_data = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        return zstandard.ZstdDecompressor(dict_data=dict_data).decompress(frame)
    except zstandard.ZstdError as exc:
        raise ValueError(f"not a zstd frame: {exc}") from None
