"""Removing the work directory's path from the installed text files (Makefile, sysconfig).

CPython records its build directory in config files; a fixed placeholder instead keeps the
archive identical wherever the build ran.
"""

from __future__ import annotations

from pathlib import Path

from .toolchain import BUILD_PREFIX_MAP

_BINARY_MAGICS = (b"\x7fELF", b"!<arch>")
_MAX_TEXT = 16 << 20


def scrub_install(install: Path, work_dir: str) -> list[Path]:
    """Rewrite ``work_dir`` to the placeholder in every text file; return the files changed.

    Bytecode of a rewritten module is deleted: it would no longer match its source.
    """
    needle, replacement = work_dir.encode(), BUILD_PREFIX_MAP.encode()
    changed = []
    for path in sorted(install.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > _MAX_TEXT:
            continue
        data = path.read_bytes()
        if needle not in data or data.startswith(_BINARY_MAGICS) or path.suffix == ".pyc":
            continue
        path.write_bytes(data.replace(needle, replacement))
        changed.append(path)
        if path.suffix == ".py":
            for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
                pyc.unlink()
    return changed
