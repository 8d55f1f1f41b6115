"""One recipe per dependency library, in build order (readline needs ncurses)."""

from __future__ import annotations

from .autotools import LIBFFI, NCURSES, READLINE, XZ
from .base import Library
from .openssl import OPENSSL
from .simple import BZIP2, EXPAT, LIBUUID, ZLIB
from .sqlite import SQLITE

LIBRARIES: tuple[Library, ...] = (
    ZLIB,
    BZIP2,
    XZ,
    LIBFFI,
    EXPAT,
    LIBUUID,
    SQLITE,
    NCURSES,
    READLINE,
    OPENSSL,
)

__all__ = ["LIBRARIES", "Library"]
