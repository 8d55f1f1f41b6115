"""The schema of each pyoxidizer.toml section (spec 7.3): key -> (checker, default).

Defaults of the sections that merge key by key live in the dataclasses of ``schema.py``;
the ``[[packaging_rule]]`` and ``[[distribution]]`` types carry their defaults here because
they end up in a plain ``options`` dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .schema import EMBEDDED
from .validate import (
    Field,
    Where,
    app_relative_path,
    application_name,
    boolean,
    config_path,
    config_paths,
    env_var_name,
    glob_patterns,
    install_location,
    module_name,
    nonempty_string,
    one_of,
    optimize_level,
    resolve_path,
    sha256_hex,
    stdio_encoding,
    string,
    string_array,
    string_table,
    uuid_string,
)


@dataclass(frozen=True)
class TypeSchema:
    """The keys of one ``type`` of ``[[packaging_rule]]`` or ``[[distribution]]``."""

    fields: Mapping[str, Field]
    # A check across keys, given the section as written: (table, where, problems).
    extra_check: Callable[[Mapping[str, object], Where, list[str]], None] | None = None


BUILD_TARGET = {"build_target": Field(string)}

BUILD_FIELDS = {
    **BUILD_TARGET,
    "application_name": Field(application_name),
    "build_path": Field(config_path),
}


def python_executable(value: object, origin: Path) -> str:
    """A command name, or a path; a relative path with a separator is config-relative."""
    text = nonempty_string(value, origin)
    has_separator = "/" in text or "\\" in text
    return str(resolve_path(text, origin)) if has_separator else text


PYTHON_DISTRIBUTION_FIELDS = {
    **BUILD_TARGET,
    "python_executable": Field(python_executable),
    "local_path": Field(config_path),
    "url": Field(nonempty_string),
    "sha256": Field(sha256_hex),
}

EMBEDDED_FIELDS = {
    **BUILD_TARGET,
    "dont_write_bytecode": Field(boolean),
    "ignore_environment": Field(boolean),
    "no_site": Field(boolean),
    "no_user_site_directory": Field(boolean),
    "optimize_level": Field(optimize_level),
    "stdio_encoding": Field(stdio_encoding),
    "unbuffered_stdio": Field(boolean),
    "filesystem_importer": Field(boolean),
    "sys_frozen": Field(boolean),
    "sys_meipass": Field(boolean),
    "sys_paths": Field(string_array),
    "raw_allocator": Field(one_of("system", "jemalloc", "rust", "mimalloc")),
    "terminfo_resolution": Field(one_of("dynamic", "static", "none")),
    "terminfo_dirs": Field(string),
    "write_modules_directory_env": Field(env_var_name),
    "virtual_module_files": Field(boolean),
}

RUN_MODES = ("eval", "module", "repl", "noop")
# mode -> the extra key it requires and only it may set.
RUN_MODE_KEYS: Mapping[str, str] = {"eval": "code", "module": "module"}
RUN_FIELDS = {
    **BUILD_TARGET,
    "mode": Field(one_of(*RUN_MODES)),
    "code": Field(string),
    "module": Field(module_name),
}


def _require_one_of(*keys: str) -> Callable[[Mapping[str, object], Where, list[str]], None]:
    def check(table: Mapping[str, object], where: Where, problems: list[str]) -> None:
        if not any(key in table for key in keys):
            listed = " or ".join(repr(key) for key in keys)
            problems.append(f"{where}: must set at least one of {listed}")

    return check


COMMON_RESOURCE_FIELDS = {
    "optimize_level": Field(optimize_level, 0),
    "include_source": Field(boolean, True),
    "excludes": Field(string_array, ()),
    "install_location": Field(install_location, EMBEDDED),
}

RULE_TYPES: Mapping[str, TypeSchema] = {
    "stdlib-extension-policy": TypeSchema(
        {"policy": Field(one_of("minimal", "all", "no-libraries", "no-gpl"), required=True)}
    ),
    "stdlib-extensions-explicit-includes": TypeSchema(
        {"includes": Field(string_array, required=True)}
    ),
    "stdlib-extensions-explicit-excludes": TypeSchema(
        {"excludes": Field(string_array, required=True)}
    ),
    "stdlib-extension-variant": TypeSchema(
        {"extension": Field(string, required=True), "variant": Field(string, required=True)}
    ),
    "stdlib": TypeSchema(
        {
            "exclude_test_modules": Field(boolean, True),
            "optimize_level": Field(optimize_level, 0),
            "include_source": Field(boolean, True),
            "include_resources": Field(boolean, False),
            "install_location": Field(install_location, EMBEDDED),
        }
    ),
    "package-root": TypeSchema(
        {
            "path": Field(config_path, required=True),
            "packages": Field(string_array, required=True),
            **COMMON_RESOURCE_FIELDS,
        }
    ),
    "pip-install-simple": TypeSchema(
        {
            "package": Field(nonempty_string, required=True),
            **COMMON_RESOURCE_FIELDS,
            "extra_args": Field(string_array, ()),
        }
    ),
    "pip-requirements-file": TypeSchema(
        {
            "requirements_path": Field(config_path, required=True),
            **COMMON_RESOURCE_FIELDS,
            "extra_args": Field(string_array, ()),
        }
    ),
    "setup-py-install": TypeSchema(
        {
            "package_path": Field(config_path, required=True),
            "extra_env": Field(string_table, {}),
            "extra_global_arguments": Field(string_array, ()),
            **COMMON_RESOURCE_FIELDS,
        }
    ),
    "virtualenv": TypeSchema({"path": Field(config_path, required=True), **COMMON_RESOURCE_FIELDS}),
    "write-license-files": TypeSchema({"path": Field(app_relative_path, required=True)}),
    # This project's addition: packages that need real files, moved next to the binary.
    "file-based-packages": TypeSchema(
        {
            "path": Field(app_relative_path, "lib"),
            "packages": Field(string_array, ()),
            "detect_dunder_file": Field(boolean, True),
        }
    ),
    "filter-include": TypeSchema(
        {"files": Field(config_paths, ()), "glob_files": Field(glob_patterns, ())},
        extra_check=_require_one_of("files", "glob_files"),
    ),
}

DISTRIBUTION_TYPES: Mapping[str, TypeSchema] = {
    "tarball": TypeSchema({"path_prefix": Field(string)}),
    "wix": TypeSchema(
        {
            "msi_upgrade_code_x86": Field(uuid_string),
            "msi_upgrade_code_amd64": Field(uuid_string),
            "bundle_upgrade_code": Field(uuid_string),
        }
    ),
    "deb": TypeSchema(
        {
            "package_name": Field(nonempty_string),
            "version": Field(nonempty_string),
            "maintainer": Field(nonempty_string),
            "description": Field(string),
        }
    ),
}

# Spellings of a ``type`` accepted for another (the spec uses both for this rule).
TYPE_ALIASES = {"stdlib-extensions-policy": "stdlib-extension-policy"}
