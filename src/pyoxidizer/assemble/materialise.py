"""Turn collected resources into payload entries and app-relative files.

Embedded resources become ``PayloadEntry`` values; app-relative ones become files under
the app directory laid out as a normal ``sys.path`` entry (``.py`` with ``__pycache__``
bytecode, extension modules, data files, dist-info directories, bundled libraries).
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass
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
from pyoxidizer.config.location import AppRelative, Location
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.writer import PayloadEntry
from pyoxidizer.pythondist import Distribution

# App-relative .py files and their .pyc headers carry this fixed time (1980-01-01, the
# zip epoch) so builds are reproducible; editing a .py later changes its time, and Python
# then recompiles it as usual.
APP_FILE_MTIME = 315532800


def _pyc_name(module: ModuleSource, dist: Distribution) -> str:
    base = module.name.split(".")[-1] if not module.is_package else "__init__"
    opt = f".opt-{module.optimize_level}" if module.optimize_level else ""
    return f"__pycache__/{base}.{dist.cache_tag}{opt}.pyc"


def _module_files(
    module: ModuleSource, directory: str, code: bytes, magic: bytes, dist: Distribution
) -> dict[str, AppFile]:
    parts = module.name.split(".")
    pkg_dir = "/".join(parts if module.is_package else parts[:-1])
    prefix = f"{directory}/{pkg_dir}".rstrip("/")
    source_name = "__init__.py" if module.is_package else f"{parts[-1]}.py"
    mtime = APP_FILE_MTIME
    header = magic + (0).to_bytes(4, "little") + mtime.to_bytes(4, "little")
    header += (len(module.source) & 0xFFFFFFFF).to_bytes(4, "little")
    return {
        f"{prefix}/{source_name}": AppFile(module.source, mtime=mtime),
        f"{prefix}/{_pyc_name(module, dist)}": AppFile(header + code, mtime=mtime),
    }


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
) -> Materialised:
    out = Materialised([], {})
    for module in collector.modules.values():
        if isinstance(module.location, AppRelative):
            location = module.location.directory
            out.files.update(_module_files(module, location, codes[module.name], magic, dist))
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
    """The distribution's license and every packaged distribution's license files."""
    files: dict[str, AppFile] = {}
    python_license = dist.stdlib_dir / "LICENSE.txt"
    if python_license.is_file():
        files[posixpath.join(directory, "python", "LICENSE.txt")] = AppFile(
            python_license.read_bytes()
        )
    for info in collector.dist_info.values():
        if _is_license(info.relative_path):
            project = info.directory.rsplit(".", 1)[0]  # "name-1.0.dist-info" -> "name-1.0"
            files[posixpath.join(directory, project, info.relative_path)] = AppFile(info.data)
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
        rel = ext.name.replace(".", "/") + dist.ext_suffix
        out.files[f"{ext.location.directory}/{rel}"] = AppFile(ext.data, mode=0o755)
    else:
        out.entries.append(
            PayloadEntry(Kind.EXTENSION, ext.name, ext.data, needs=needs, compress=ext.compress)
        )
