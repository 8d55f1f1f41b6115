"""Licence data of the libraries linked into extension modules, keyed by link name."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .recipes import Library


@dataclass(frozen=True)
class LicenseInfo:
    """The licence of one shipped library, and where its text sits in the archive."""

    component: str
    spdx: tuple[str, ...]
    path: str
    public_domain: bool


def license_path(component: str) -> str:
    return f"licenses/LICENSE.{component}.txt"


MPDECIMAL = LicenseInfo("mpdecimal", ("BSD-2-Clause",), license_path("mpdecimal"), False)


def by_link_name(libraries: Sequence[Library]) -> dict[str, LicenseInfo]:
    """Link name (``ssl``, ``ncursesw``...) -> the licence of the library providing it."""
    table = {"mpdec": MPDECIMAL}
    for lib in libraries:
        info = LicenseInfo(lib.name, lib.licenses, license_path(lib.name), lib.public_domain)
        for archive in lib.archives:
            table[archive] = info
    return table


def license_text(source_dir: Path, names: Sequence[str], component: str) -> str:
    """The licence files a library ships, concatenated; a note when it ships none."""
    parts = []
    for name in names:
        path = source_dir / name
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    if parts:
        return "\n\n".join(parts)
    return f"{component}: no licence file was found in its source tarball.\n"


def mpdecimal_text(cpython_dir: Path) -> str:
    """libmpdec (bundled with CPython) states its licence in each source file's header."""
    source = cpython_dir / "Modules" / "_decimal" / "libmpdec" / "mpdecimal.c"
    text = source.read_text(encoding="utf-8", errors="replace")
    header = re.match(r"\s*/\*(.*?)\*/", text, re.S)
    body = header.group(1) if header else ""
    lines = [re.sub(r"^ ?\* ?", "", line) for line in body.splitlines()]
    return "\n".join(lines).strip() + "\n"


def extension_licenses(
    link_names: Sequence[str], table: Mapping[str, LicenseInfo]
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(SPDX ids, licence paths, public domain?) of the libraries an extension links."""
    infos = [table[name] for name in link_names if name in table]
    spdx = tuple(sorted({s for info in infos for s in info.spdx}))
    paths = tuple(sorted({info.path for info in infos}))
    return spdx, paths, any(info.public_domain for info in infos)
