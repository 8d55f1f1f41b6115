"""The schema of the sections that merge key by key (spec 7.3): key -> checker.

Their defaults live in the dataclasses of ``schema.py``. The typed sections
(``[[packaging_rule]]``, ``[[distribution]]``) carry schema and defaults in ``rules.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .validate import (
    Field,
    application_name,
    boolean,
    config_path,
    env_var_name,
    module_name,
    module_names,
    nonempty_string,
    one_of,
    optimize_level,
    path_text,
    resolve_path,
    sha256_hex,
    stdio_encoding,
    string,
    string_array,
)

BUILD_TARGET = {"build_target": Field(string)}

BUILD_FIELDS = {
    **BUILD_TARGET,
    "application_name": Field(application_name),
    "build_path": Field(config_path),
}


def python_executable(value: object, origin: Path) -> str:
    """A command name, or a path; a relative path with a separator is config-relative."""
    text = path_text(value, origin)
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
    "freeze_startup_objects": Field(boolean),
    "lazy_module_loading": Field(boolean),
    "eager_modules": Field(module_names),
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
