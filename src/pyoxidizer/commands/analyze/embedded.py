"""What the embedded extension modules and shared libraries need when they are loaded.

They are ELF files too: their ``DT_NEEDED`` libraries (other than glibc and the shared
libraries embedded beside them) must be installed on the target machine, and their
``GLIBC_*`` versions may be newer than the launcher's. Both only matter once the module
is imported, so they are reported apart from what the executable needs to start.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxidizer._elf import elf_info, open_elf
from pyoxidizer.commands.analyze.compat import library_note, newest_version, version_key
from pyoxidizer.errors import AnalyzeError
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import EntryInfo


@dataclass(frozen=True)
class EmbeddedNeeds:
    glibc_required: str | None  # newest GLIBC_* among embedded shared objects
    glibc_required_by: tuple[str, ...]  # the entries needing that version
    libraries: dict[str, tuple[str, ...]]  # library soname -> entries that need it
    unreadable: tuple[str, ...]  # entries that are not readable ELF files


def embedded_needs(entries: Iterable[EntryInfo]) -> EmbeddedNeeds:
    objects = [e for e in entries if e.kind in (Kind.EXTENSION, Kind.SHARED_LIBRARY)]
    embedded_sonames = {e.name for e in objects if e.kind == Kind.SHARED_LIBRARY}
    glibc: dict[str, str] = {}
    libraries: dict[str, list[str]] = defaultdict(list)
    unreadable = []
    for entry in objects:
        try:
            elf = open_elf(io.BytesIO(entry.data), len(entry.data), entry.name)
            info = elf_info(elf, entry.name)
        except AnalyzeError:
            unreadable.append(entry.name)
            continue
        version = newest_version(info.version_needs, "GLIBC")
        if version is not None:
            glibc[entry.name] = version
        for lib in info.needed:
            if library_note(lib) is None and lib not in embedded_sonames:
                libraries[lib].append(entry.name)
    return _needs(glibc, libraries, unreadable)


def _needs(
    glibc: dict[str, str], libraries: dict[str, list[str]], unreadable: list[str]
) -> EmbeddedNeeds:
    newest = max(glibc.values(), key=version_key) if glibc else None
    return EmbeddedNeeds(
        glibc_required=newest,
        glibc_required_by=tuple(sorted(n for n, v in glibc.items() if v == newest)),
        libraries={lib: tuple(sorted(users)) for lib, users in sorted(libraries.items())},
        unreadable=tuple(sorted(unreadable)),
    )
