"""The shape of a library recipe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..context import BuildContext


@dataclass(frozen=True)
class Library:
    """A dependency library: how to build it from its source tree, and its licence data.

    ``build`` gets the context and a private copy of the extracted source tree, and installs
    static archives (``archives``, named without ``lib``/``.a``) and headers into the prefix.
    ``prepare``, when set, runs once on the shared extracted tree before any target copies it:
    the place for host-independent generation (sqlite's amalgamation).
    """

    name: str
    source: str
    archives: tuple[str, ...]
    licenses: tuple[str, ...]
    license_files: tuple[str, ...]
    build: Callable[[BuildContext, Path], None]
    public_domain: bool = False
    optional: bool = False
    prepare: Callable[[BuildContext, Path], None] | None = None
