"""Warn about extension modules that cannot load from memory on this machine.

An extension module loaded from a memfd finds its libraries by soname among the objects
already loaded (the embedded shared libraries, loaded first) or through the system's
search path; RPATHs relative to the original file (``$ORIGIN``) no longer lead anywhere.
A library found neither way means the module will fail to import: the build says so, and
names the fallback (keeping the package as files, with a ``file-based-packages`` rule).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping

from pyoxidizer._elf import elf_info, open_elf
from pyoxidizer.collect.resources import ExtensionModule, ResourceCollector
from pyoxidizer.config.location import AppRelative
from pyoxidizer.errors import PyOxidizerError
from pyoxidizer.pythondist import Distribution
from pyoxidizer.pythondist.host import HOST_TARGET


def _parse(name: str, data: bytes) -> tuple[str | None, tuple[str, ...]] | None:
    """(soname, DT_NEEDED) of a shared object; None when it cannot be read."""
    try:
        info = elf_info(open_elf(io.BytesIO(data), len(data), name), name)
    except PyOxidizerError:
        return None
    return info.soname, info.needed


def _needed(name: str, data: bytes) -> tuple[str | None, tuple[str, ...]]:
    """(soname, DT_NEEDED) of a shared object; (None, ()) when it cannot be read."""
    return _parse(name, data) or (None, ())


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


# --- fully static targets ------------------------------------------------------------------


def _owner(collector: ResourceCollector, ext: ExtensionModule) -> str:
    """The project (from its dist-info RECORD) that installed ``ext``, else its package."""
    file_name = ext.origin.name if ext.origin is not None else ""
    installed_as = "/".join([*ext.name.split(".")[:-1], file_name])
    for info in collector.dist_info.values():
        if info.relative_path != "RECORD":
            continue
        for line in info.data.decode("utf-8", "replace").splitlines():
            if line.split(",", 1)[0] == installed_as:
                return "package " + info.directory.split("-", 1)[0]
    return f"package {ext.name.split('.', 1)[0]}"


def static_target_errors(collector: ResourceCollector, dist: Distribution) -> list[str]:
    """Compiled extension modules and libraries that a fully static executable (musl)
    could never load: there is no dynamic loader. One sentence each."""
    parts = dist.standalone
    if parts is None or not parts.info.static_crt:
        return []
    added = {(d.flavor, d.name): d.rule for d in collector.decisions if d.action != "skipped"}
    problems = []
    for ext in sorted(collector.extensions.values(), key=lambda e: e.name):
        if ext.data is None:
            continue  # a builtin of the distribution
        rule = added.get(("extension", ext.name), "a packaging rule")
        problems.append(
            f"{_owner(collector, ext)} has the compiled extension module {ext.name} "
            f"({rule}), which a fully static {dist.target} executable cannot load: it has "
            "no dynamic loader. Use a pure-Python release or build of the package (many "
            "have one, e.g. an sdist with its C speedups switched off), leave the package "
            f"out, or build for {HOST_TARGET}, whose executables load binary wheels"
        )
    return problems


_GLIBC_VERSION = re.compile(r"^GLIBC_(\d+)\.(\d+)")


def glibc_floor_warnings(collector: ResourceCollector, dist: Distribution) -> list[str]:
    """Objects a standalone gnu distribution's executable embeds that need a glibc newer
    than the distribution's floor (a wheel for a newer glibc, or compiled on this machine)."""
    parts = dist.standalone
    floor = parts.info.glibc_floor if parts is not None else None
    if floor is None:
        return []
    objects = [(f"extension module {e.name}", e.data) for e in collector.extensions.values()]
    objects += [
        (f"shared library {lib.relative_path}", lib.data)
        for lib in collector.shared_libraries.values()
    ]
    warnings = []
    for label, data in objects:
        if data is None:
            continue
        try:
            info = elf_info(open_elf(io.BytesIO(data), len(data), label), label)
        except PyOxidizerError:
            continue
        needed = [
            (int(m.group(1)), int(m.group(2)))
            for need in info.version_needs
            if (m := _GLIBC_VERSION.match(need.version))
        ]
        newest = max(needed, default=floor)
        if newest > floor:
            warnings.append(
                f"{label} needs GLIBC_{newest[0]}.{newest[1]}, newer than the glibc "
                f"{floor[0]}.{floor[1]} the {dist.target} distribution runs on: it will not "
                "load on older systems (it was built for, or compiled on, a newer glibc)"
            )
    return warnings


def bundled_library_needs(collector: ResourceCollector) -> dict[str, tuple[str, ...]]:
    """Embedded extension module -> the embedded libraries it needs, directly or through
    other embedded libraries, sorted (the launcher loads them together before it).

    Only modules that need at least one are listed. A module whose ELF cannot be read is
    given every embedded library, which is what version 1 loaded for any module.
    """
    libraries = {
        name: lib.data
        for name, lib in collector.shared_libraries.items()
        if not isinstance(lib.location, AppRelative)
    }
    if not libraries:
        return {}
    parsed = {name: _needed(name, data) for name, data in libraries.items()}
    by_soname = {name: name for name in libraries}
    by_soname.update({soname: name for name, (soname, _) in parsed.items() if soname})
    edges = {
        name: {by_soname[n] for n in needed if n in by_soname}
        for name, (_, needed) in parsed.items()
    }
    needs: dict[str, tuple[str, ...]] = {}
    for ext in collector.extensions.values():
        if ext.data is None or isinstance(ext.location, AppRelative):
            continue
        parsed_ext = _parse(ext.name, ext.data)
        if parsed_ext is None:
            found = set(libraries)  # unreadable: every library, to be safe
        else:
            found = _closure({by_soname[n] for n in parsed_ext[1] if n in by_soname}, edges)
        if found:
            needs[ext.name] = tuple(sorted(found))
    return needs


def _closure(start: set[str], edges: Mapping[str, set[str]]) -> set[str]:
    found, pending = set(start), list(start)
    while pending:
        for dependency in edges[pending.pop()] - found:
            found.add(dependency)
            pending.append(dependency)
    return found
