"""Which CPython a launcher embeds, read from the statically linked libpython itself.

Nothing about the version is stored in the payload, and marshalled bytecode carries no
version, so the launcher's own bytes are the evidence:

1. CPython 3.11+ exports ``const unsigned long Py_Version = PY_VERSION_HEX``; the launcher
   is linked with ``-export-dynamic``, so the symbol is in ``.dynsym`` even after
   ``strip``. Its value is exact (including alpha/beta/rc).
2. CPython 3.10 has no such symbol. ``Py_GetVersion()`` formats the ``PY_VERSION`` string
   literal, which therefore lies in ``.rodata``; the linker may merge it into the tail of a
   longer string (pyenv's prefix ``.../versions/3.10.13``), so every NUL-terminated string
   ending in a ``3.N.M`` version is a candidate, and the answer is given only when all
   candidates agree. This is reported as a heuristic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyoxidizer._elf import section_bytes, symbol_bytes

_LEVELS = {0xA: "a", 0xB: "b", 0xC: "rc", 0xF: ""}
_VERSION_TAIL = re.compile(rb"(?<![0-9.])(3\.[1-9][0-9]\.[0-9]{1,3}(?:(?:a|b|rc)[0-9]+)?\+?)\x00")


@dataclass(frozen=True)
class PythonVersion:
    version: str
    evidence: str


def decode_hex_version(value: int) -> str:
    """``PY_VERSION_HEX`` -> "3.11.7" / "3.13.0rc2"."""
    major, minor, micro = (value >> 24) & 0xFF, (value >> 16) & 0xFF, (value >> 8) & 0xFF
    level, serial = (value >> 4) & 0xF, value & 0xF
    suffix = _LEVELS.get(level, "?")
    return f"{major}.{minor}.{micro}" + (f"{suffix}{serial}" if suffix else "")


def from_symbol(elf: Any) -> PythonVersion | None:
    raw = symbol_bytes(elf, "Py_Version")
    if raw is None or len(raw) not in (4, 8):
        return None
    value = int.from_bytes(raw, "little" if elf.little_endian else "big")
    return PythonVersion(decode_hex_version(value), "symbol Py_Version")


def from_rodata(elf: Any) -> PythonVersion | None:
    found = {m.group(1).decode() for m in _VERSION_TAIL.finditer(section_bytes(elf, ".rodata"))}
    if len(found) != 1:
        return None
    return PythonVersion(found.pop(), "version string in .rodata (heuristic)")


def embedded_python_version(elf: Any) -> PythonVersion | None:
    return from_symbol(elf) or from_rodata(elf)
