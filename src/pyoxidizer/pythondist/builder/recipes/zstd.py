"""zstd's decoder, for pyoxidizer's launcher rather than for CPython.

CPython 3.11 has no module that links zstd; the launcher of every app built from the archive
decompresses its payload with it. Only the decoding half is compiled (the launcher never
compresses), file by file like the small libraries, with zstd's own x86-64 assembly for the
Huffman decoder. The library and its two public headers are shipped in the archive as
``build/lib/libzstd.a`` and ``build/include/zstd/`` (docs/standalone.md).
"""

from __future__ import annotations

from pathlib import Path

from ..context import BuildContext
from .base import Library

_SOURCES = (
    "common/debug.c",
    "common/entropy_common.c",
    "common/error_private.c",
    "common/fse_decompress.c",
    "common/xxhash.c",
    "common/zstd_common.c",
    "decompress/huf_decompress.c",
    "decompress/huf_decompress_amd64.S",
    "decompress/zstd_ddict.c",
    "decompress/zstd_decompress.c",
    "decompress/zstd_decompress_block.c",
)
# zstd's own release flags (-O3, xxhash in zstd's namespace, no legacy formats, no tracing
# hooks), and every symbol hidden: a gnu executable exports its symbols to the extension
# modules it loads, and one that brings a zstd of its own must keep binding to that one.
_FLAGS = [
    "-O3",
    "-DXXH_NAMESPACE=ZSTD_",
    "-DZSTD_LEGACY_SUPPORT=0",
    "-DZSTD_TRACE=0",
    "-fvisibility=hidden",
    "-DZSTDLIB_VISIBLE=",
    "-DZSTDERRORLIB_VISIBLE=",
]
HEADERS = ("zstd.h", "zstd_errors.h")


def _build_zstd(ctx: BuildContext, src: Path) -> None:
    ctx.compile_archive("zstd", src / "lib", _SOURCES, "zstd", _FLAGS)
    ctx.install_headers(src / "lib", HEADERS, "zstd")


ZSTD = Library(
    "zstd", "zstd", ("zstd",), ("BSD-3-Clause",), ("LICENSE",), _build_zstd, optional=True
)
