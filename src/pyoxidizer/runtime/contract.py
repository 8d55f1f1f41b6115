"""The contract between the build and the running executable, defined once.

Both sides use this module. The build imports it as ``pyoxidizer.runtime.contract``:
``payload/format.py`` builds its layouts from these constants and generates the C header
of the launcher from them, and ``payload/settings.py`` fills in ``RuntimeSettings``.
Inside the executable the launcher runs it first, as the module ``_pyoxidizer_contract``,
so the importer and the bootstrap read the same constants and settings.

It runs before the standard library can be imported, so it imports nothing at all.
"""

# --- the payload layout ------------------------------------------------------------------
# The executable is ``launcher + payload + trailer``; see payload/format.py for the struct
# layouts and docs/payload-format.md for the prose.

TRAILER_MAGIC = b"PYOXTRLR"
PAYLOAD_MAGIC = b"PYOXPAYL"
FORMAT_VERSION = 2
TRAILER_SIZE = 40
HEADER_SIZE = 80
RECORD_WORDS = 8  # a record is eight little-endian u32 words (see format.RECORD)
DATA_ALIGN = 16

# Entry kinds (format.Kind).
KIND_MODULE = 1
KIND_RESOURCE = 2
KIND_EXTENSION = 3
KIND_SHARED_LIBRARY = 4
KIND_DIST_INFO = 5
KIND_DICTIONARY = 6  # a zstd dictionary that compressed blobs may name by its ID


# Entry flags (format.EntryFlag).
FLAG_PACKAGE = 1
FLAG_HAS_SOURCE = 2
FLAG_DATA_ZSTD = 4  # blob A is a zstd frame; its checksum covers the stored (compressed) bytes
FLAG_SOURCE_ZSTD = 8  # blob B is a zstd frame

# Resource and dist-info entries are named "<package or directory>\0<relative path>".
RESOURCE_SEPARATOR = "\0"

# --- names shared by the build, the runtime and the launcher ------------------------------

# Module names of the bootstrap code objects, in the order the launcher executes them.
# The launcher calls ``install(settings)`` and ``run()`` of the last one.
CONTRACT_MODULE = "_pyoxidizer_contract"
IMPORTER_MODULE = "_pyoxidizer_importer"
BOOTSTRAP_MODULE = "_pyoxidizer_bootstrap"
# The lazily imported module behind importlib.resources, importlib.metadata and pkgutil.
SERVICES_MODULE = "_pyoxidizer_resources"

# co_filename of embedded modules: ORIGIN_PREFIX + "package/module.py". linecache and
# tracebacks use it; it names no file.
ORIGIN_PREFIX = "<oxidized>/"
# co_filename of the bootstrap's own code: the launcher drops frames whose file name starts
# with this from the head of an app's traceback, so errors start at the app's code.
BOOTSTRAP_FILENAME_PREFIX = "<pyoxidizer "
# CPython drops frames of this file name from import tracebacks (import.c,
# remove_importlib_frames): the importer's code takes it so a failing import shows only the
# importing line and the imported module's own frames, as under python.
IMPORTER_FILENAME = "<frozen importlib._bootstrap_external>"

# Every instance names its own executable here; its children inherit it (the fork-bomb
# guard of docs/runtime.md).
PARENT_EXECUTABLE_VARIABLE = "PYOXIDIZER_PARENT_EXECUTABLE"

# --- run-time settings -------------------------------------------------------------------

RUN_MODES = ("eval", "module", "repl", "noop")
TERMINFO_RESOLUTIONS = ("dynamic", "static", "none")

# Every setting and its default. The build writes all of them; an executable reads them
# through RuntimeSettings, which rejects a blob that does not match.
SETTINGS_DEFAULTS = {
    "mode": "repl",  # one of RUN_MODES
    "code": None,  # eval mode: the code to run
    "module": None,  # module mode: the module to run as __main__
    "sys_frozen": False,
    "sys_meipass": False,
    "sys_paths": (),  # entries for sys.path; "$ORIGIN" is the executable's directory
    "filesystem_importer": False,  # keep CPython's path-based finder on sys.meta_path
    "terminfo_resolution": "dynamic",  # one of TERMINFO_RESOLUTIONS
    "terminfo_dirs": None,
    "write_modules_directory_env": None,
    "virtual_module_files": False,
    "lazy_module_loading": False,  # run embedded modules' code when first used
    "eager_modules": (),  # modules (and their submodules) lazy loading leaves alone
}


class SettingsError(ValueError):
    """A settings blob does not describe run-time settings of this format version."""


class RuntimeSettings:
    """The run-time settings of one executable: what the bootstrap does besides importing.

    Built from the config at build time and sent as ``to_marshal()`` (a dict of builtin
    values, so the launcher's ``marshal`` can read it before anything else is importable).
    """

    __slots__ = tuple(SETTINGS_DEFAULTS)

    mode: str
    code: "str | None"
    module: "str | None"
    sys_frozen: bool
    sys_meipass: bool
    sys_paths: "tuple[str, ...]"
    filesystem_importer: bool
    terminfo_resolution: str
    terminfo_dirs: "str | None"
    write_modules_directory_env: "str | None"
    virtual_module_files: bool
    lazy_module_loading: bool
    eager_modules: "tuple[str, ...]"

    def __init__(self, **values: object) -> None:
        unknown = set(values) - set(SETTINGS_DEFAULTS)
        if unknown:
            raise SettingsError("unknown run-time settings: " + ", ".join(sorted(unknown)))
        for name, default in SETTINGS_DEFAULTS.items():
            value = values.get(name, default)
            if isinstance(value, list):
                value = tuple(value)  # marshal brings sequences back as lists
            object.__setattr__(self, name, value)
        self._check()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("run-time settings are read-only")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuntimeSettings):
            return NotImplemented
        return self.to_marshal() == other.to_marshal()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in SETTINGS_DEFAULTS)
        return f"RuntimeSettings({fields})"

    def _check(self) -> None:
        if self.mode not in RUN_MODES:
            raise SettingsError(f"unknown run mode {self.mode!r}")
        if self.mode == "eval" and not isinstance(self.code, str):
            raise SettingsError("eval mode needs code")
        if self.mode == "module" and not isinstance(self.module, str):
            raise SettingsError("module mode needs a module")
        if self.terminfo_resolution not in TERMINFO_RESOLUTIONS:
            raise SettingsError(f"unknown terminfo resolution {self.terminfo_resolution!r}")
        paths = self.sys_paths
        if not isinstance(paths, tuple) or not all(isinstance(path, str) for path in paths):
            raise SettingsError("sys_paths must be a sequence of strings")
        eager = self.eager_modules
        if not isinstance(eager, tuple) or not all(isinstance(name, str) for name in eager):
            raise SettingsError("eager_modules must be a sequence of strings")

    def to_marshal(self) -> "dict[str, object]":
        """Every setting as builtin values (tuples become lists), for ``marshal.dumps``."""
        out: dict[str, object] = {}
        for name in SETTINGS_DEFAULTS:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_marshal(cls, values: object) -> "RuntimeSettings":
        """The settings a build wrote; SettingsError if ``values`` is not such a dict."""
        if not isinstance(values, dict):
            raise SettingsError("run-time settings are not a dict")
        missing = set(SETTINGS_DEFAULTS) - set(values)
        if missing:
            raise SettingsError("missing run-time settings: " + ", ".join(sorted(missing)))
        return cls(**values)
