#!/usr/bin/env bash
# Build a static jemalloc for a standalone target with zig, from Debian's jemalloc source, and
# write ARCHIVE_OUT: a copy of ARCHIVE with python/build/lib/libjemalloc_pic.a added, which
# pyoxidizer links for raw_allocator = "jemalloc" (see docs/standalone-distributions.md).
# Usage: benchmarks/build-jemalloc.sh ARCHIVE ARCHIVE_OUT [WORK_DIR]
# Needs deb-src entries (scripts/fetch-sources.sh writes them), zig (pip install
# 'pyoxidizer[standalone]') and make. Takes 3 to 5 minutes on a 2-core machine.
set -euo pipefail
archive="$(realpath "$1")"
out="$(realpath -m "$2")"
work="$(realpath -m "${3:-$(mktemp -d)}")"
mkdir -p "$work"
python3 - "$archive" > "$work/target" <<'PY'
import sys
from pyoxidizer.pythondist.extract import read_archive
print(read_archive(__import__("pathlib").Path(sys.argv[1])).info.target_triple)
PY
triple="$(cat "$work/target")"
case "$triple" in
  x86_64-unknown-linux-musl) zig_target=x86_64-linux-musl ;;
  x86_64-unknown-linux-gnu) zig_target=x86_64-linux-gnu.2.17 ;;
  *) echo "unsupported target $triple" >&2; exit 1 ;;
esac
zig="$(python3 -c 'from pyoxidizer.pythondist.zig import find_zig; print(find_zig())')"
export ZIG_GLOBAL_CACHE_DIR="${PYOXIDIZER_CACHE_DIR:-$HOME/.cache/pyoxidizer}/zig/global"

cd "$work"
if ! ls jemalloc_*.orig.tar.* >/dev/null 2>&1; then
  apt-get source --download-only jemalloc >/dev/null
fi
rm -rf src build && mkdir -p bin build
tar xf jemalloc_*.orig.tar.* && mv jemalloc-*/ src
printf '#!/bin/sh\nexec "%s" cc -target %s -fno-sanitize=undefined -g0 "$@"\n' "$zig" "$zig_target" > bin/cc
printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$zig" > bin/ar
printf '#!/bin/sh\nexec "%s" ranlib "$@"\n' "$zig" > bin/ranlib
chmod +x bin/*
export PATH="$work/bin:$PATH"
# As Debian builds it (no symbol prefix: the launcher renames every exported symbol), static
# and position-independent, without the statistics and profiling the launcher never reads.
(cd build && ../src/configure --host="$zig_target" CC=cc AR=ar RANLIB=ranlib CFLAGS="-O2 -fPIC" \
   --disable-cxx --disable-shared --enable-static --disable-libdl --disable-initial-exec-tls \
   --disable-stats --disable-prof >configure.log 2>&1 \
 && make -j"$(nproc)" build_lib_static >make.log 2>&1) \
 || { tail -30 build/configure.log build/make.log >&2; exit 1; }

python3 - "$archive" "$work/build/lib/libjemalloc_pic.a" "$out" <<'PY'
# The archive with one more member, written as the builder writes archives.
import io, sys, tarfile, zstandard
src, lib, dst = sys.argv[1:]
with open(src, "rb") as raw, open(dst, "wb") as sink:
    reader = zstandard.ZstdDecompressor().stream_reader(raw)
    writer = zstandard.ZstdCompressor(level=12).stream_writer(sink)
    with tarfile.open(fileobj=reader, mode="r|") as tin, tarfile.open(fileobj=writer, mode="w|") as tout:
        for member in tin:
            tout.addfile(member, tin.extractfile(member) if member.isfile() else None)
        data = open(lib, "rb").read()
        info = tarfile.TarInfo("python/build/lib/libjemalloc_pic.a")
        info.size, info.mtime, info.mode = len(data), 1577836800, 0o644
        tout.addfile(info, io.BytesIO(data))
    writer.close()
PY
sha256sum "$out"
