"""Warn about extension modules that cannot load from memory on this machine.

An extension module loaded from a memfd finds its libraries by soname among the objects
already loaded (the embedded shared libraries, loaded first) or through the system's
search path; RPATHs relative to the original file (``$ORIGIN``) no longer lead anywhere.
A library found neither way means the module will fail to import: the build says so, and
names the fallback (keeping the package as files, with a ``file-based-packages`` rule).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from pyoxidizer._elf import elf_info, open_elf
from pyoxidizer.collect.resources import ResourceCollector
from pyoxidizer.config.location import AppRelative
from pyoxidizer.errors import PyOxidizerError
from pyoxidizer.pythondist import Distribution


def _needed(name: str, data: bytes) -> tuple[str | None, tuple[str, ...]]:
    """(soname, DT_NEEDED) of a shared object; (None, ()) when it cannot be read."""
    try:
        info = elf_info(open_elf(io.BytesIO(data), len(data), name), name)
    except PyOxidizerError:
        return None, ()
    return info.soname, info.needed


def unresolved_libraries(
    collector: ResourceCollector, dist: Distribution, system_libraries: Iterable[str]
) -> Mapping[str, tuple[str, ...]]:
    """Embedded objects (outside the distribution's own) -> libraries nothing provides."""
    embedded = [
        (f"extension module {e.name}", e.data)
        for e in collector.extensions.values()
        if e.data is not None
        and not isinstance(e.location, AppRelative)
        and (e.origin is None or e.origin.parent != dist.dynload_dir)
    ]
    embedded += [
        (f"shared library {lib.relative_path}", lib.data)
        for lib in collector.shared_libraries.values()
        if not isinstance(lib.location, AppRelative)
    ]
    provided = set(system_libraries) | set(collector.shared_libraries)
    parsed = {label: _needed(label, data) for label, data in embedded}
    provided |= {soname for soname, _ in parsed.values() if soname}
    missing = {
        label: tuple(lib for lib in needed if lib not in provided)
        for label, (_, needed) in parsed.items()
    }
    return {label: libs for label, libs in missing.items() if libs}


def warnings_for(missing: Mapping[str, tuple[str, ...]]) -> list[str]:
    return [
        f"{label} needs {', '.join(libs)}, which is neither embedded nor installed on this "
        "machine: it cannot load from memory; keep its package as files with a "
        "file-based-packages rule (packages = [...])"
        for label, libs in sorted(missing.items())
    ]
