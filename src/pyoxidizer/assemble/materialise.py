"""Turn collected resources into payload entries and app-relative files.

Embedded resources become ``PayloadEntry`` values; app-relative ones become files under
the app directory laid out as a normal ``sys.path`` entry (``.py`` with ``__pycache__``
bytecode, extension modules, data files, dist-info directories, bundled libraries).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyoxidizer._proc import Runner, run
from pyoxidizer.assemble.appdir import AppFile
from pyoxidizer.assemble.strip import strip_debug
from pyoxidizer.collect.linkcheck import bundled_library_needs
from pyoxidizer.collect.resources import (
    ExtensionModule,
    ModuleSource,
    ResourceCollector,
    ResourceData,
)
from pyoxidizer.collect.rules.extensions import linked_extensions
from pyoxidizer.config.location import AppRelative, Location
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.writer import PayloadEntry
from pyoxidizer.pythondist import Distribution

# App-relative files carry this fixed time (1980-01-01, the zip epoch), so builds are
# reproducible. The .pyc files do not depend on it: they are hash-based (PEP 552).
APP_FILE_MTIME = 315532800

# The flags word of a .pyc header (PEP 552): bit 0 hash-based, bit 1 check the source.
PYC_CHECKED_HASH = 0b11
PYC_UNCHECKED_HASH = 0b01


def _pyc(magic: bytes, flags: int, source_hash: bytes, code: bytes) -> bytes:
    return magic + flags.to_bytes(4, "little") + source_hash + code


def _module_files(
    module: ModuleSource, directory: str, code: bytes, magic: bytes, bytecode: AppBytecode
) -> dict[str, AppFile]:
    """The files of an app-relative module; see "App-relative install locations" in
    docs/user-guide.md for why each is what CPython will use, wherever the app is copied."""
    parts = module.name.split(".")
    pkg_dir = "/".join(parts if module.is_package else parts[:-1])
    prefix = f"{directory}/{pkg_dir}".rstrip("/")
    base = "__init__" if module.is_package else parts[-1]
    source_hash = bytecode.source_hashes[module.name]
    if not module.include_source:
        # No source: a sourceless .pyc at the module's own path, as compileall -b writes
        # it. CPython runs it whatever its optimize level, and nothing can make it stale.
        pyc = _pyc(magic, PYC_UNCHECKED_HASH, source_hash, code)
        return {f"{prefix}/{base}.pyc": AppFile(pyc, mtime=APP_FILE_MTIME)}
    # With the source: a checked hash-based .pyc (valid whatever the files' times after a
    # copy or an extraction; an edited source is compiled again), named for the optimize
    # level the interpreter runs at, so CPython uses it. It holds the code compiled at the
    # rule's level, as an embedded module does.
    opt = f".opt-{bytecode.optimize_level}" if bytecode.optimize_level else ""
    pyc = _pyc(magic, PYC_CHECKED_HASH, source_hash, code)
    return {
        f"{prefix}/{base}.py": AppFile(module.source, mtime=APP_FILE_MTIME),
        f"{prefix}/__pycache__/{base}.{bytecode.cache_tag}{opt}.pyc": AppFile(
            pyc, mtime=APP_FILE_MTIME
        ),
    }


@dataclass(frozen=True)
class AppBytecode:
    """What app-relative .pyc files need besides each module's code."""

    cache_tag: str  # the target's sys.implementation.cache_tag
    optimize_level: int  # the interpreter's (embedded_python_config), not the rule's
    source_hashes: Mapping[str, bytes] = field(default_factory=dict)  # per module name


@dataclass
class Materialised:
    entries: list[PayloadEntry]
    files: dict[str, AppFile]


def materialise(
    collector: ResourceCollector,
    codes: dict[str, bytes],
    magic: bytes,
    dist: Distribution,
    strip_cache: Path | None,
    runner: Runner = run,
    *,
    app_bytecode: AppBytecode | None = None,
) -> Materialised:
    out = Materialised([], {})
    bytecode = app_bytecode or AppBytecode(dist.cache_tag, 0)
    for module in collector.modules.values():
        if isinstance(module.location, AppRelative):
            location = module.location.directory
            code = codes[module.name]
            out.files.update(_module_files(module, location, code, magic, bytecode))
            continue
        source = module.source if module.include_source else None
        out.entries.append(
            PayloadEntry(
                Kind.MODULE,
                module.name,
                codes[module.name],
                source,
                module.is_package,
                compress=module.compress,
                compress_source=module.compress_source,
                train=_from_stdlib(module, dist),
            )
        )
    for resource in collector.resources.values():
        _materialise_resource(resource, out)
    needs = bundled_library_needs(collector)
    for ext in collector.extensions.values():
        if strip_cache is not None and ext.data is not None and _from_distribution(ext, dist):
            ext = dataclasses.replace(ext, data=strip_debug(ext.data, strip_cache, runner))
        _materialise_extension(ext, dist, out, needs.get(ext.name, ()))
    for info in collector.dist_info.values():
        _place(
            info.location,
            info.name,
            Kind.DIST_INFO,
            f"{info.directory}\0{info.relative_path}",
            info.data,
            out,
            compress=info.compress,
        )
    for lib in collector.shared_libraries.values():
        _place(
            lib.location,
            lib.relative_path,
            Kind.SHARED_LIBRARY,
            lib.name,
            lib.data,
            out,
            0o755,
            lib.compress,
        )
    for directory in collector.license_dirs:
        out.files.update(license_files(directory, collector, dist))
    return out


_LICENSE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")


def _is_license(relative_path: str) -> bool:
    return relative_path.startswith("licenses/") or relative_path.upper().startswith(
        _LICENSE_PREFIXES
    )


def license_files(
    directory: str, collector: ResourceCollector, dist: Distribution
) -> dict[str, AppFile]:
    """The distribution's licenses and every packaged distribution's license files."""
    files = _python_license_files(directory, collector, dist)
    for info in collector.dist_info.values():
        if _is_license(info.relative_path):
            project = info.directory.rsplit(".", 1)[0]  # "name-1.0.dist-info" -> "name-1.0"
            files[posixpath.join(directory, project, info.relative_path)] = AppFile(info.data)
    return files


def _python_license_files(
    directory: str, collector: ResourceCollector, dist: Distribution
) -> dict[str, AppFile]:
    """CPython's license; for a standalone distribution also those of the libraries that
    the linked extension modules bring (as PYTHON.json annotates them)."""
    if dist.standalone is None:
        texts = [dist.stdlib_dir / "LICENSE.txt"]
    else:
        parts = dist.standalone
        paths = [parts.info.license_path] if parts.info.license_path else []
        paths += [p for v in linked_extensions(dist, collector) for p in v.license_paths]
        texts = [parts.path(p) for p in dict.fromkeys(paths)]
    files: dict[str, AppFile] = {}
    for text in texts:
        if text.is_file():
            name = "LICENSE.txt" if dist.standalone is None else text.name
            files[posixpath.join(directory, "python", name)] = AppFile(text.read_bytes())
    return files


def _from_stdlib(module: ModuleSource, dist: Distribution) -> bool:
    """Whether a module is the distribution's own: the same in every build, so its bytecode
    and source may train the payload's compression dictionaries."""
    return module.origin is not None and module.origin.is_relative_to(dist.stdlib_dir)


def _from_distribution(ext: ExtensionModule, dist: Distribution) -> bool:
    """Only the distribution's own modules are stripped: wheels' objects are often edited
    by patchelf (auditwheel), and strip is known to corrupt such files."""
    return ext.origin is not None and ext.origin.parent == dist.dynload_dir


def _place(
    location: Location,
    rel: str,
    kind: Kind,
    name: str,
    data: bytes,
    out: Materialised,
    mode: int = 0o644,
    compress: bool = True,
) -> None:
    """Embed ``data`` as entry ``name``, or write it at ``rel`` under an app-relative dir."""
    if isinstance(location, AppRelative):
        out.files[f"{location.directory}/{rel}"] = AppFile(data, mode=mode)
    else:
        out.entries.append(PayloadEntry(kind, name, data, compress=compress))


def _materialise_resource(resource: ResourceData, out: Materialised) -> None:
    rel = f"{resource.package.replace('.', '/')}/{resource.relative_path}"
    name = f"{resource.package}\0{resource.relative_path}"
    _place(
        resource.location, rel, Kind.RESOURCE, name, resource.data, out, compress=resource.compress
    )


def _materialise_extension(
    ext: ExtensionModule, dist: Distribution, out: Materialised, needs: tuple[str, ...]
) -> None:
    if ext.data is None:
        return  # compiled into libpython
    if isinstance(ext.location, AppRelative):
        # A package's compiled __init__ goes inside its directory, where CPython's file
        # finder looks for it (before the __init__.py beside it).
        rel = ext.name.replace(".", "/") + ("/__init__" if ext.is_package else "")
        rel += dist.ext_suffix
        out.files[f"{ext.location.directory}/{rel}"] = AppFile(ext.data, mode=0o755)
    else:
        out.entries.append(
            PayloadEntry(Kind.EXTENSION, ext.name, ext.data, needs=needs, compress=ext.compress)
        )
