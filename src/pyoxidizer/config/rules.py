"""Typed ``[[packaging_rule]]`` and ``[[distribution]]`` sections: one frozen dataclass per type.

Each class *is* its schema: a field's metadata holds the checker of its key, its default is
the key's default (defined here and nowhere else), and a field without a default is a
required key. ``RuleOptions`` is the union of every rule class; ``RULE_TYPES`` (type name ->
class) is derived from it, and the collect stage dispatches on the same union with a check
mypy verifies is exhaustive, so a rule type cannot exist in one place and not the other.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Union

from .location import EMBEDDED, Location
from .validate import (
    Check,
    Field,
    app_relative_path,
    boolean,
    config_path,
    config_paths,
    env_table,
    glob_patterns,
    install_location,
    module_names,
    nonempty_string,
    one_of,
    optimize_level,
    pip_arguments,
    pip_requirement,
    string,
    string_array,
    uuid_string,
)


def key(check: Check, default: Any = dataclasses.MISSING) -> Any:
    """A config key: its checker and, unless it is required, its default."""
    metadata = {"check": check}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


class Section:
    """Base of the typed section classes: the ``type`` value and the derived schema."""

    TYPE: ClassVar[str]
    # At least one of these keys must be set (none: no such constraint).
    REQUIRE_ONE_OF: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def fields(cls) -> dict[str, Field]:
        """Key -> how to check it, its default, whether it is required."""
        schema = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.default is not dataclasses.MISSING:
                default: object = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                schema[f.name] = Field(f.metadata["check"], None, required=True)
                continue
            schema[f.name] = Field(f.metadata["check"], default)
        return schema


# --- packaging rules ------------------------------------------------------------------------


# How a rule's embedded files are stored (docs/config-reference.md, "compression"):
# zstd frames, or as they are. Unset in the rules that package found files, whose default
# leaves shared objects uncompressed (decompressing a large wheel's costs start-up time).
COMPRESSIONS = ("zstd", "none")


@dataclass(frozen=True, kw_only=True)
class StdlibExtensionPolicy(Section):
    TYPE = "stdlib-extension-policy"
    policy: str = key(one_of("minimal", "all", "no-libraries", "no-gpl"))
    compression: str = key(one_of(*COMPRESSIONS), "zstd")


@dataclass(frozen=True, kw_only=True)
class StdlibExtensionsExplicitIncludes(Section):
    TYPE = "stdlib-extensions-explicit-includes"
    includes: tuple[str, ...] = key(string_array)


@dataclass(frozen=True, kw_only=True)
class StdlibExtensionsExplicitExcludes(Section):
    TYPE = "stdlib-extensions-explicit-excludes"
    excludes: tuple[str, ...] = key(string_array)


@dataclass(frozen=True, kw_only=True)
class StdlibExtensionVariant(Section):
    TYPE = "stdlib-extension-variant"
    extension: str = key(string)
    variant: str = key(string)


@dataclass(frozen=True, kw_only=True)
class Stdlib(Section):
    TYPE = "stdlib"
    exclude_test_modules: bool = key(boolean, True)
    optimize_level: int = key(optimize_level, 0)
    include_source: bool = key(boolean, True)
    include_resources: bool = key(boolean, False)
    install_location: Location = key(install_location, EMBEDDED)
    compression: str = key(one_of(*COMPRESSIONS), "zstd")


@dataclass(frozen=True, kw_only=True)
class ResourceOptions(Section):
    """The keys every rule that packages files it finds shares (spec 7.3.5)."""

    optimize_level: int = key(optimize_level, 0)
    include_source: bool = key(boolean, True)
    excludes: tuple[str, ...] = key(string_array, ())
    install_location: Location = key(install_location, EMBEDDED)
    compression: str | None = key(one_of(*COMPRESSIONS), None)


@dataclass(frozen=True, kw_only=True)
class PackageRoot(ResourceOptions):
    TYPE = "package-root"
    path: Path = key(config_path)
    packages: tuple[str, ...] = key(module_names)


@dataclass(frozen=True, kw_only=True)
class PipInstallSimple(ResourceOptions):
    TYPE = "pip-install-simple"
    package: str = key(pip_requirement)
    extra_args: tuple[str, ...] = key(pip_arguments, ())


@dataclass(frozen=True, kw_only=True)
class PipRequirementsFile(ResourceOptions):
    TYPE = "pip-requirements-file"
    requirements_path: Path = key(config_path)
    extra_args: tuple[str, ...] = key(pip_arguments, ())


@dataclass(frozen=True, kw_only=True)
class SetupPyInstall(ResourceOptions):
    TYPE = "setup-py-install"
    package_path: Path = key(config_path)
    extra_env: dict[str, str] = key(env_table, {})
    extra_global_arguments: tuple[str, ...] = key(string_array, ())


@dataclass(frozen=True, kw_only=True)
class Virtualenv(ResourceOptions):
    TYPE = "virtualenv"
    path: Path = key(config_path)


@dataclass(frozen=True, kw_only=True)
class WriteLicenseFiles(Section):
    TYPE = "write-license-files"
    path: str = key(app_relative_path)


@dataclass(frozen=True, kw_only=True)
class FileBasedPackages(Section):
    """This project's addition: packages that need real files, moved next to the binary."""

    TYPE = "file-based-packages"
    path: str = key(app_relative_path, "lib")
    packages: tuple[str, ...] = key(module_names, ())
    detect_dunder_file: bool = key(boolean, True)


@dataclass(frozen=True, kw_only=True)
class FilterInclude(Section):
    TYPE = "filter-include"
    REQUIRE_ONE_OF = ("files", "glob_files")
    files: tuple[Path, ...] = key(config_paths, ())
    glob_files: tuple[str, ...] = key(glob_patterns, ())


# A filter file lists module names, one a line: even a huge app needs well under 1 MiB.
FILTER_FILE_LIMIT = 16 << 20
# A requirements file lists packages: the same bound.
REQUIREMENTS_FILE_LIMIT = 16 << 20


RuleOptions = Union[  # noqa: UP007 - typing.get_args() needs a Union object here
    StdlibExtensionPolicy,
    StdlibExtensionsExplicitIncludes,
    StdlibExtensionsExplicitExcludes,
    StdlibExtensionVariant,
    Stdlib,
    PackageRoot,
    PipInstallSimple,
    PipRequirementsFile,
    SetupPyInstall,
    Virtualenv,
    WriteLicenseFiles,
    FileBasedPackages,
    FilterInclude,
]

RULE_TYPES: Mapping[str, type[Section]] = {cls.TYPE: cls for cls in typing.get_args(RuleOptions)}

# Spellings of a ``type`` accepted for another (the spec uses both for this rule).
TYPE_ALIASES = {"stdlib-extensions-policy": "stdlib-extension-policy"}


@dataclass(frozen=True)
class PackagingRule:
    """One ``[[packaging_rule]]``: its position in the file and its typed options.

    ``index`` is the 0-based position among all ``[[packaging_rule]]`` sections of the file
    (before build_target filtering), so messages can say "packaging_rule #3 (package-root)".
    """

    index: int
    options: RuleOptions

    @property
    def type(self) -> str:
        return self.options.TYPE

    @property
    def label(self) -> str:
        return f"[[packaging_rule]] #{self.index + 1} (type = {self.type!r})"


# --- [[distribution]] sections (installers) --------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TarballDistribution(Section):
    TYPE = "tarball"
    path_prefix: str | None = key(app_relative_path, None)


@dataclass(frozen=True, kw_only=True)
class WixDistribution(Section):
    TYPE = "wix"
    msi_upgrade_code_x86: str | None = key(uuid_string, None)
    msi_upgrade_code_amd64: str | None = key(uuid_string, None)
    bundle_upgrade_code: str | None = key(uuid_string, None)


@dataclass(frozen=True, kw_only=True)
class DebDistribution(Section):
    """This project's addition: a Debian package."""

    TYPE = "deb"
    package_name: str | None = key(nonempty_string, None)
    version: str | None = key(nonempty_string, None)
    maintainer: str | None = key(nonempty_string, None)
    description: str | None = key(string, None)


DistributionOptions = Union[TarballDistribution, WixDistribution, DebDistribution]  # noqa: UP007

DISTRIBUTION_TYPES: Mapping[str, type[Section]] = {
    cls.TYPE: cls for cls in typing.get_args(DistributionOptions)
}


@dataclass(frozen=True)
class DistributionSection:
    index: int
    options: DistributionOptions

    @property
    def type(self) -> str:
        return self.options.TYPE
