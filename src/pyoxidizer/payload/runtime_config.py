"""Translate the validated config into what the payload carries for run time.

The launcher needs a few interpreter flags before Python exists (the payload header);
everything else reaches ``runtime/bootstrap.py`` as one marshalled dict.
"""

from __future__ import annotations

import marshal

from pyoxidizer.config.schema import EmbeddedPythonConfig, RunConfig
from pyoxidizer.errors import NotImplementedFeatureError
from pyoxidizer.payload.format import ConfigFlag
from pyoxidizer.payload.writer import PayloadHeader


def config_flags(embedded: EmbeddedPythonConfig) -> int:
    pairs = (
        (embedded.dont_write_bytecode, ConfigFlag.DONT_WRITE_BYTECODE),
        (embedded.ignore_environment, ConfigFlag.IGNORE_ENVIRONMENT),
        (embedded.no_site, ConfigFlag.NO_SITE),
        (embedded.no_user_site_directory, ConfigFlag.NO_USER_SITE),
        (embedded.unbuffered_stdio, ConfigFlag.UNBUFFERED_STDIO),
        (embedded.filesystem_importer or bool(embedded.sys_paths), ConfigFlag.FILESYSTEM_IMPORTER),
    )
    return int(sum(flag for enabled, flag in pairs if enabled))


def check_allocator(embedded: EmbeddedPythonConfig) -> None:
    if embedded.raw_allocator == "rust":
        raise NotImplementedFeatureError(
            "[[embedded_python_config]]: raw_allocator = 'rust' does not apply to this "
            "implementation (there is no Rust allocator); use 'system'"
        )
    if embedded.raw_allocator != "system":
        raise NotImplementedFeatureError(
            f"[[embedded_python_config]]: raw_allocator = {embedded.raw_allocator!r} is "
            "recognised but not implemented yet; use 'system'"
        )


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
