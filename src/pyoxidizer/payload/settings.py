"""What the payload carries for run time, computed from the validated config (pure).

The launcher needs a few interpreter flags before Python exists (the payload header);
everything else reaches ``runtime/bootstrap.py`` as one ``RuntimeSettings`` value.
"""

from __future__ import annotations

import marshal
from collections.abc import Sequence

from pyoxidizer.config.schema import EmbeddedPythonConfig, RunConfig
from pyoxidizer.payload.format import ALLOCATOR_SHIFT, ConfigFlag, RawAllocator
from pyoxidizer.payload.writer import PayloadHeader
from pyoxidizer.runtime.contract import RuntimeSettings


def runtime_settings(
    embedded: EmbeddedPythonConfig, run: RunConfig, extra_sys_paths: Sequence[str] = ()
) -> RuntimeSettings:
    """The settings of the executable; ``extra_sys_paths`` come from packaging rules."""
    sys_paths = (*embedded.sys_paths, *(p for p in extra_sys_paths if p not in embedded.sys_paths))
    return RuntimeSettings(
        mode=run.mode,
        code=run.code,
        module=run.module,
        sys_frozen=embedded.sys_frozen,
        sys_meipass=embedded.sys_meipass,
        sys_paths=sys_paths,
        # Spec 7.3.3: sys_paths implies the filesystem importer (the only place this is said).
        filesystem_importer=embedded.filesystem_importer or bool(sys_paths),
        terminfo_resolution=embedded.terminfo_resolution,
        terminfo_dirs=embedded.terminfo_dirs,
        write_modules_directory_env=embedded.write_modules_directory_env,
        virtual_module_files=embedded.virtual_module_files,
        lazy_module_loading=embedded.lazy_module_loading,
        eager_modules=embedded.eager_modules,
    )


def config_flags(embedded: EmbeddedPythonConfig, settings: RuntimeSettings) -> int:
    pairs = (
        (embedded.dont_write_bytecode, ConfigFlag.DONT_WRITE_BYTECODE),
        (embedded.ignore_environment, ConfigFlag.IGNORE_ENVIRONMENT),
        (embedded.no_site, ConfigFlag.NO_SITE),
        (embedded.no_user_site_directory, ConfigFlag.NO_USER_SITE),
        (embedded.unbuffered_stdio, ConfigFlag.UNBUFFERED_STDIO),
        (settings.filesystem_importer, ConfigFlag.FILESYSTEM_IMPORTER),
        (embedded.freeze_startup_objects, ConfigFlag.FREEZE_STARTUP_OBJECTS),
    )
    flags = int(sum(flag for enabled, flag in pairs if enabled))
    return flags | int(RawAllocator[embedded.raw_allocator.upper()]) << ALLOCATOR_SHIFT


def payload_header(
    embedded: EmbeddedPythonConfig,
    settings: RuntimeSettings,
    bootstrap: bytes,
    main_code: bytes = b"",
) -> PayloadHeader:
    return PayloadHeader(
        config_flags=config_flags(embedded, settings),
        optimize_level=embedded.optimize_level,
        runtime_config=marshal.dumps(settings.to_marshal(), 4),
        bootstrap=bootstrap,
        stdio_encoding=embedded.stdio_encoding or "",
        main_code=main_code,
    )
