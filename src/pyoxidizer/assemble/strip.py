"""Strip debug information from shared objects embedded in release builds.

Distributions often ship extension modules with debug info (pyenv's are 2-3x larger for
it). Release builds embed them stripped: smaller executables, less to copy into memfds at
import time. Results are cached by content; without a ``strip`` tool the bytes are kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def strip_debug(data: bytes, cache_dir: Path) -> bytes:
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
        proc = subprocess.run(
            [tool, "--strip-debug", "-o", str(target), str(source)], capture_output=True
        )
        if proc.returncode != 0:
            return data  # not an object strip understands: embed as is
        os.replace(target, cached)
    return cached.read_bytes()
