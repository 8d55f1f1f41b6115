"""Member names of a Unix ``ar`` archive (System V/GNU variant, as llvm-ar and GNU ar write)."""

from __future__ import annotations

from ...errors import StandaloneBuildError

_MAGIC = b"!<arch>\n"
_HEADER = 60


def member_names(data: bytes) -> list[str]:
    """The file names of the members, in archive order; symbol tables are skipped."""
    if not data.startswith(_MAGIC):
        raise StandaloneBuildError("The static library is not an ar archive (bad magic).")
    names: list[str] = []
    long_names = b""
    offset = len(_MAGIC)
    while offset + _HEADER <= len(data):
        header = data[offset : offset + _HEADER]
        raw_name = header[:16].decode("ascii", "replace").rstrip()
        size = int(header[48:58].decode("ascii").strip() or "0")
        body = data[offset + _HEADER : offset + _HEADER + size]
        if raw_name == "//":
            long_names = body
        elif raw_name not in ("/", "/SYM64/"):
            names.append(_decode(raw_name, long_names))
        offset += _HEADER + size + (size & 1)
    return names


def _decode(raw: str, long_names: bytes) -> str:
    if raw.startswith("/") and raw[1:].isdigit():
        start = int(raw[1:])
        end = long_names.find(b"/\n", start)
        return long_names[start:end].decode("utf-8", "replace")
    return raw.removesuffix("/")


def normalized(data: bytes) -> bytes:
    """The archive with every member's time, owner and mode fixed, as ``ar D`` writes them.

    Some build systems ask for real timestamps (ncurses uses ``ar -curvU``); the layout and
    every offset stay the same, only these header fields change.
    """
    if not data.startswith(_MAGIC):
        raise StandaloneBuildError("The static library is not an ar archive (bad magic).")
    out = bytearray(data)
    fixed = b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8)
    offset = len(_MAGIC)
    while offset + _HEADER <= len(out):
        size = int(bytes(out[offset + 48 : offset + 58]).decode("ascii").strip() or "0")
        out[offset + 16 : offset + 48] = fixed
        offset += _HEADER + size + (size & 1)
    return bytes(out)
