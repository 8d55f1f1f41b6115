"""Strip debug information from shared objects embedded in release builds.

Distributions often ship extension modules with debug info (pyenv's are 2-3x larger for
it). Release builds embed them stripped: smaller executables, less to copy into memfds at
import time. Results are cached by content; without a ``strip`` tool the bytes are kept.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from pyoxidizer._fs import publish
from pyoxidizer._proc import Runner, run


def strip_debug(data: bytes, cache_dir: Path, runner: Runner = run) -> bytes:
    tool = shutil.which("strip")
    if tool is None:
        return data
    cached = cache_dir / "stripped" / hashlib.sha256(data).hexdigest()
    if cached.is_file():
        return cached.read_bytes()
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cached.parent) as tmp:
        source, target = Path(tmp) / "in.so", Path(tmp) / "out.so"
        source.write_bytes(data)
        try:
            proc = runner([tool, "--strip-debug", "-o", str(target), str(source)])
        except OSError:
            return data
        if not proc.ok:
            return data  # not an object strip understands: embed as is
        publish(target, cached)
    return cached.read_bytes()
