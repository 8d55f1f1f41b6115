"""Translate the validated config into what the payload carries for run time.

The launcher needs a few interpreter flags before Python exists (the payload header);
everything else reaches ``runtime/bootstrap.py`` as one marshalled dict.
"""

from __future__ import annotations

import marshal
from collections.abc import Sequence

from pyoxidizer.config.schema import EmbeddedPythonConfig, RunConfig
from pyoxidizer.errors import NotImplementedFeatureError
from pyoxidizer.launcher.toolchain import ALLOCATORS, require_allocator
from pyoxidizer.payload.format import ALLOCATOR_SHIFT, ConfigFlag, RawAllocator
from pyoxidizer.payload.writer import PayloadHeader

# The compiler asked for static libraries when the caller does not say which one it uses.
DEFAULT_CC = ("cc",)


def config_flags(embedded: EmbeddedPythonConfig) -> int:
    pairs = (
        (embedded.dont_write_bytecode, ConfigFlag.DONT_WRITE_BYTECODE),
        (embedded.ignore_environment, ConfigFlag.IGNORE_ENVIRONMENT),
        (embedded.no_site, ConfigFlag.NO_SITE),
        (embedded.no_user_site_directory, ConfigFlag.NO_USER_SITE),
        (embedded.unbuffered_stdio, ConfigFlag.UNBUFFERED_STDIO),
        (embedded.filesystem_importer or bool(embedded.sys_paths), ConfigFlag.FILESYSTEM_IMPORTER),
    )
    flags = int(sum(flag for enabled, flag in pairs if enabled))
    return flags | int(RawAllocator[embedded.raw_allocator.upper()]) << ALLOCATOR_SHIFT


def check_allocator(embedded: EmbeddedPythonConfig, cc: Sequence[str] = DEFAULT_CC) -> None:
    """Fail early, with what to do, if the build cannot honour ``raw_allocator``."""
    name = embedded.raw_allocator
    if name == "rust":
        raise NotImplementedFeatureError(
            "[[embedded_python_config]]: raw_allocator = 'rust' does not apply to this "
            "implementation (there is no Rust allocator); use 'system' or 'jemalloc'"
        )
    if name == "mimalloc":
        raise NotImplementedFeatureError(
            "[[embedded_python_config]]: raw_allocator = 'mimalloc' is not available: "
            "allocators are linked statically and Debian 12 ships mimalloc only as a shared "
            "library (libmimalloc-dev has no libmimalloc.a); use 'system' or 'jemalloc'"
        )
    if name in ALLOCATORS:
        require_allocator(cc, name)


def runtime_dict(embedded: EmbeddedPythonConfig, run: RunConfig) -> dict[str, object]:
    return {
        "mode": run.mode,
        "code": run.code,
        "module": run.module,
        "sys_frozen": embedded.sys_frozen,
        "sys_meipass": embedded.sys_meipass,
        "sys_paths": list(embedded.sys_paths),
        "filesystem_importer": embedded.filesystem_importer or bool(embedded.sys_paths),
        "terminfo_resolution": embedded.terminfo_resolution,
        "terminfo_dirs": embedded.terminfo_dirs,
        "write_modules_directory_env": embedded.write_modules_directory_env,
        "virtual_module_files": embedded.virtual_module_files,
    }


def payload_header(
    embedded: EmbeddedPythonConfig, run: RunConfig, bootstrap: bytes
) -> PayloadHeader:
    check_allocator(embedded)
    return PayloadHeader(
        config_flags=config_flags(embedded),
        optimize_level=embedded.optimize_level,
        runtime_config=marshal.dumps(runtime_dict(embedded, run), 4),
        bootstrap=bootstrap,
        stdio_encoding=embedded.stdio_encoding or "",
    )
