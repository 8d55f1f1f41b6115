"""Resource types and the collector that merges what packaging rules produce.

Rules add resources in file order; the collector keeps one resource per (flavor, name),
the last one written (spec 7.3.5), and records every decision so a build can explain
why something is or is not in the binary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyoxidizer.config.location import EMBEDDED, Location


@dataclass(frozen=True)
class ModuleSource:
    name: str
    source: bytes
    is_package: bool
    origin: Path | None  # the file it came from; None for generated modules
    optimize_level: int = 0
    include_source: bool = True
    location: Location = EMBEDDED
    optional: bool = False  # dropped, not fatal, if the source does not compile
    compress: bool = True  # the bytecode embedded as a zstd frame (the rule's compression)
    compress_source: bool = True  # the source embedded as a zstd frame


@dataclass(frozen=True)
class ResourceData:
    """A non-module file belonging to a package (``package/relative/path``)."""

    package: str
    relative_path: str
    data: bytes
    location: Location = EMBEDDED
    compress: bool = True

    @property
    def name(self) -> str:
        return f"{self.package}:{self.relative_path}"


@dataclass(frozen=True)
class ExtensionModule:
    name: str
    data: bytes | None  # shared object bytes; None for modules built into libpython
    origin: Path | None
    location: Location = EMBEDDED
    variant: str | None = None  # a standalone distribution's variant, linked in as a builtin
    compress: bool = True
    # A package's __init__ compiled to an extension module (as mypyc builds them).
    is_package: bool = False

    @property
    def builtin(self) -> bool:
        return self.data is None


@dataclass(frozen=True)
class DistInfoFile:
    """A file of a distribution's metadata directory (``name-1.0.dist-info/METADATA``)."""

    directory: str
    relative_path: str
    data: bytes
    location: Location = EMBEDDED
    compress: bool = True

    @property
    def name(self) -> str:
        return f"{self.directory}/{self.relative_path}"


@dataclass(frozen=True)
class SharedLibrary:
    """A shared library an extension module needs (a wheel's ``pkg.libs/libfoo.so``)."""

    name: str  # the file name, which is what the loader looks for
    relative_path: str  # where it sat under the install root
    data: bytes
    location: Location = EMBEDDED
    compress: bool = True


Resource = ModuleSource | ResourceData | ExtensionModule | DistInfoFile | SharedLibrary


_FLAVORS: dict[type, str] = {
    ModuleSource: "module",
    ResourceData: "resource",
    ExtensionModule: "extension",
    DistInfoFile: "dist-info",
    SharedLibrary: "shared-library",
}


@dataclass(frozen=True)
class Decision:
    rule: str
    action: str  # "added", "replaced", "removed", "skipped"
    flavor: str
    name: str
    reason: str = ""


@dataclass
class ResourceCollector:
    modules: dict[str, ModuleSource] = field(default_factory=dict)
    resources: dict[str, ResourceData] = field(default_factory=dict)
    extensions: dict[str, ExtensionModule] = field(default_factory=dict)
    dist_info: dict[str, DistInfoFile] = field(default_factory=dict)
    shared_libraries: dict[str, SharedLibrary] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    license_dirs: list[str] = field(default_factory=list)  # from write-license-files rules
    extra_sys_paths: list[str] = field(default_factory=list)  # from file-based-packages rules

    def _table(self, resource: Resource) -> tuple[str, dict[str, Resource]]:
        flavor = _FLAVORS[type(resource)]
        return flavor, self.tables()[flavor]

    def tables(self) -> dict[str, dict[str, Resource]]:
        """Every flavor's table, by flavor name."""
        return {
            "module": self.modules,  # type: ignore[dict-item]
            "resource": self.resources,  # type: ignore[dict-item]
            "extension": self.extensions,  # type: ignore[dict-item]
            "dist-info": self.dist_info,  # type: ignore[dict-item]
            "shared-library": self.shared_libraries,  # type: ignore[dict-item]
        }

    def replace(self, flavor: str, resource: Resource, rule: str, reason: str) -> None:
        """Swap in a changed copy of a resource (e.g. a new install location)."""
        self.tables()[flavor][resource.name] = resource
        self.decisions.append(Decision(rule, "replaced", flavor, resource.name, reason))

    def remove(self, flavor: str, name: str, rule: str, reason: str) -> None:
        if self.tables()[flavor].pop(name, None) is not None:
            self.decisions.append(Decision(rule, "removed", flavor, name, reason))

    def add(self, resource: Resource, rule: str) -> None:
        flavor, table = self._table(resource)
        action = "replaced" if resource.name in table else "added"
        if flavor == "module" and resource.name in self.extensions:
            del self.extensions[resource.name]  # one name, one importable thing
            action = "replaced"
        table[resource.name] = resource
        self.decisions.append(Decision(rule, action, flavor, resource.name))

    def drop_module(self, name: str, reason: str) -> None:
        del self.modules[name]
        self.decisions.append(Decision("bytecode", "removed", "module", name, reason))

    def skip(self, flavor: str, name: str, rule: str, reason: str) -> None:
        self.decisions.append(Decision(rule, "skipped", flavor, name, reason))

    def add_missing_parents(self) -> None:
        """Create empty packages for parents nobody packaged (spec 12.2.3)."""
        # Only importable names need their parents; a data directory is not a package.
        for name in sorted(set(self.modules) | set(self.extensions)):
            parts = name.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent not in self.modules:
                    child = self.modules.get(name)
                    location = child.location if child else EMBEDDED
                    self.modules[parent] = ModuleSource(parent, b"", True, None, location=location)
                    self.decisions.append(
                        Decision(
                            "packaging", "added", "module", parent, f"missing parent of {name}"
                        )
                    )


def matches_excludes(name: str, excludes: tuple[str, ...] | list[str]) -> bool:
    """``foo`` excludes ``foo`` and ``foo.bar``, never ``foofoo`` (spec 7.3.5)."""
    return any(name == e or name.startswith(e + ".") for e in excludes)
