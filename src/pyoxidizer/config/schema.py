"""The validated shape of a pyoxidizer.toml: frozen dataclasses, one per section.

The loader (``loader.py``) turns TOML into these values after checking every key; nothing
downstream reads TOML or checks types again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .location import APP_RELATIVE_PREFIX, EMBEDDED, AppRelative, Embedded, Location
from .rules import DistributionSection, PackagingRule

__all__ = [
    "APP_RELATIVE_PREFIX",
    "EMBEDDED",
    "AppRelative",
    "BuildConfig",
    "Config",
    "DistributionSection",
    "EmbeddedPythonConfig",
    "Embedded",
    "Location",
    "PackagingRule",
    "PythonDistributionConfig",
    "RunConfig",
]


@dataclass(frozen=True)
class BuildConfig:
    application_name: str
    build_path: Path


@dataclass(frozen=True)
class PythonDistributionConfig:
    """Which CPython to embed.

    ``python_executable`` is this project's extension of the spec: a host interpreter.
    ``local_path``/``url``/``sha256`` describe a python-build-standalone archive.
    When every field is None the interpreter running pyoxidizer is used.
    """

    python_executable: str | None = None
    local_path: Path | None = None
    url: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class EmbeddedPythonConfig:
    dont_write_bytecode: bool = True
    ignore_environment: bool = True
    no_site: bool = True
    no_user_site_directory: bool = True
    optimize_level: int = 0
    stdio_encoding: str | None = None  # "encoding:errors"
    unbuffered_stdio: bool = False
    filesystem_importer: bool = False
    sys_frozen: bool = False
    sys_meipass: bool = False
    sys_paths: tuple[str, ...] = ()
    raw_allocator: str = "system"
    terminfo_resolution: str = "dynamic"
    terminfo_dirs: str | None = None
    write_modules_directory_env: str | None = None
    # This project's addition: embedded modules get a __file__ below the executable's
    # path (no file exists there; loader.get_data() serves it from memory).
    virtual_module_files: bool = False
    # This project's addition: gc.freeze() before the app's code runs, so collections
    # (and the ones at exit) do not traverse what start-up created (docs/runtime.md).
    freeze_startup_objects: bool = True
    # This project's addition (spec 9.4.1): run an embedded module's code when the module
    # is first used rather than when it is imported; eager_modules are excepted.
    lazy_module_loading: bool = False
    eager_modules: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunConfig:
    mode: str = "repl"  # eval | module | repl | noop
    code: str | None = None
    module: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path  # the pyoxidizer.toml file
    target: str  # the build target triple these sections were filtered for
    build: BuildConfig
    python_distribution: PythonDistributionConfig
    embedded: EmbeddedPythonConfig
    run: RunConfig
    rules: tuple[PackagingRule, ...]
    distributions: tuple[DistributionSection, ...]

    @property
    def origin(self) -> Path:
        return self.path.parent
