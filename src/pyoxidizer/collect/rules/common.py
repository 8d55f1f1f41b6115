"""What every rule that turns found files into resources shares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._fs import Refused, read_regular_file, regular_file_problem
from pyoxidizer.collect.resources import (
    DistInfoFile,
    ExtensionModule,
    ModuleSource,
    Resource,
    ResourceCollector,
    ResourceData,
    SharedLibrary,
    matches_excludes,
)
from pyoxidizer.collect.rules.scan import Found
from pyoxidizer.config.location import EMBEDDED, Location
from pyoxidizer.config.rules import ResourceOptions
from pyoxidizer.errors import RuleError


@dataclass(frozen=True)
class FileRuleOptions:
    """How a rule turns the files it found into resources."""

    optimize_level: int = 0
    include_source: bool = True
    include_resources: bool = True
    location: Location = EMBEDDED
    excludes: tuple[str, ...] = ()
    optional_modules: bool = False
    warn_dunder_file: bool = False  # warn about embedded modules that use __file__
    # What is stored as zstd frames: what imports read (bytecode, extension modules and
    # libraries), and what is read on demand (sources, resource files, metadata).
    compress_imported: bool = False
    compress_on_demand: bool = True

    @classmethod
    def of(cls, rule: ResourceOptions) -> FileRuleOptions:
        """The options of a rule with the common resource keys (spec 7.3.5)."""
        return cls(
            optimize_level=rule.optimize_level,
            include_source=rule.include_source,
            location=rule.install_location,
            excludes=rule.excludes,
            warn_dunder_file=True,
            compress_imported=rule.compression == "zstd",
            compress_on_demand=rule.compression != "none",
        )


_MODULE_NAMED = ("module", "extension", "resource")  # names that excludes apply to


def add_found(
    found: Iterable[Found], options: FileRuleOptions, collector: ResourceCollector, rule: str
) -> int:
    """Read each found file and add it as a resource; return how many were added."""
    found = list(found)
    # As in CPython, an extension module beats a source file of the same name in the same
    # place (mypyc-compiled wheels ship both).
    compiled = {item.name for item in found if item.kind == "extension"}
    count = 0
    for item in found:
        if item.kind == "module" and item.name in compiled:
            collector.skip(item.kind, item.name, rule, "an extension module of the same name wins")
            continue
        if item.kind in _MODULE_NAMED and matches_excludes(item.name, options.excludes):
            collector.skip(item.kind, item.name, rule, "matches excludes")
            continue
        if item.kind == "resource" and not options.include_resources:
            continue
        data = _read(item, collector, rule)
        if data is None:
            continue
        resource = _resource(item, data, options)
        if options.warn_dunder_file and isinstance(resource, ModuleSource):
            _warn_dunder_file(resource, collector)
        collector.add(resource, rule)
        count += 1
    return count


def _warn_dunder_file(module: ModuleSource, collector: ResourceCollector) -> None:
    """Spec 12.2.2: embedded modules have no __file__; say so for modules that use it."""
    if module.location == EMBEDDED and b"__file__" in module.source:
        collector.warnings.append(
            f"module {module.name} ({module.origin}) uses __file__, which embedded modules do "
            'not have; consider install_location = "app-relative:lib" for its package, or a '
            "file-based-packages rule, which moves such packages next to the executable"
        )


# Found files are read whole; the limit only stops a file that grows without end.
_NO_LIMIT = 1 << 62


def _read(item: Found, collector: ResourceCollector, rule: str) -> bytes | None:
    """The file's bytes, or None (with a warning) for a pipe, socket, device or broken link.

    A named pipe would block the build, a link to /dev/zero would be read until memory
    runs out, and a socket cannot be opened; none of them is data to package.
    """
    problem = regular_file_problem(item.path, _NO_LIMIT)
    try:
        if problem is None:
            return read_regular_file(item.path, _NO_LIMIT)
    except Refused as exc:  # it changed since the check
        problem = exc.strerror
    except OSError as exc:
        raise RuleError(f"{rule}: cannot read {item.path}: {exc.strerror}") from None
    collector.skip(item.kind, item.name, rule, f"{item.path} {problem}")
    collector.warnings.append(f"{rule}: left out {item.path}: it {problem}")
    return None


def _resource(item: Found, data: bytes, options: FileRuleOptions) -> Resource:
    if item.kind == "module":
        return ModuleSource(
            item.name,
            data,
            item.is_package,
            item.path,
            optimize_level=options.optimize_level,
            include_source=options.include_source,
            location=options.location,
            optional=options.optional_modules,
            compress=options.compress_imported,
            compress_source=options.compress_on_demand,
        )
    where = options.location
    shared = options.compress_imported
    if item.kind == "extension":
        if b"PyInit_" + item.name.rpartition(".")[2].encode() not in data:
            # A plain "libfoo.so" beside the modules: a library they link, not a module.
            rel = Path(*item.name.split(".")[:-1], item.path.name).as_posix()
            return SharedLibrary(item.path.name, rel, data, location=where, compress=shared)
        return ExtensionModule(
            item.name,
            data,
            item.path,
            location=where,
            compress=shared,
            is_package=item.is_package,
        )
    compress = options.compress_on_demand
    if item.kind == "dist-info":
        return DistInfoFile(item.name, item.relative_path, data, where, compress)
    if item.kind == "shared-library":
        return SharedLibrary(item.name, item.relative_path, data, where, compress=shared)
    return ResourceData(item.name, item.relative_path, data, where, compress)
