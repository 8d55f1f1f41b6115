"""The build's zstd compressor and its on-disk cache (one file per distribution and level).

Compressing the standard library at level 19 takes seconds; its results are the same in
every build that uses the same distribution, so they are kept by content and reused, and a
rebuild after an edit compresses only what changed.
"""

from __future__ import annotations

import marshal
from pathlib import Path

from pyoxidizer._fs import atomic_write
from pyoxidizer.payload.compress import Compressor
from pyoxidizer.pythondist import Distribution

# Release builds are what ships: the smallest files (docs/benchmarks.md, "Compression").
# Debug builds compress fast; the launcher decompresses both at the same speed.
RELEASE_LEVEL = 19
DEBUG_LEVEL = 3
# Entries a build no longer uses are dropped once the file exceeds this.
CACHE_LIMIT = 256 * 1024 * 1024


def cache_path(cache_dir: Path, dist: Distribution, level: int) -> Path:
    return cache_dir / "compressed" / f"{dist.cache_tag}-{dist.identity()}-zstd{level}.marshal"


def load_compressor(cache_dir: Path, dist: Distribution, release: bool) -> Compressor:
    level = RELEASE_LEVEL if release else DEBUG_LEVEL
    path = cache_path(cache_dir, dist, level)
    cache: dict[bytes, bytes] = {}
    if path.is_file():
        try:
            loaded = marshal.loads(path.read_bytes())
        except (EOFError, ValueError, TypeError):
            loaded = {}  # a damaged cache is only a slower build
        if isinstance(loaded, dict):
            cache = loaded
    return Compressor(level, cache)


def save_compressor(compressor: Compressor, cache_dir: Path, dist: Distribution) -> None:
    """Write the cache back when this build added to it."""
    cache = dict(compressor.cache)
    if compressor.added == 0:
        return
    if sum(map(len, cache.values())) > CACHE_LIMIT:
        cache = {k: v for k, v in cache.items() if k in compressor.used}
    atomic_write(cache_path(cache_dir, dist, compressor.level), marshal.dumps(cache))
