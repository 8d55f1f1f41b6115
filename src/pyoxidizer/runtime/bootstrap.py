"""Start-up logic that runs inside every built executable, after the importer module.

The launcher calls ``install(config)`` during phase-1 initialisation (only builtin and frozen
modules exist) and ``run()`` after phase-2 initialisation. ``config`` is the run-time config
dict the build wrote into the payload (see ``pyoxidizer/payload/runtime_config.py``).

Module-level imports: builtin modules, the launcher's ``_pyoxidizer`` builtin and the
importer module the launcher executed just before this one.
"""

import posix
import sys

import _pyoxidizer
import _pyoxidizer_importer as importer

_state = {}

# Where ncurses looks on each OS family, in its own order (spec 6.3).
_TERMINFO_DIRS_BY_OS = {
    "debian": "/etc/terminfo:/lib/terminfo:/usr/share/terminfo",
    "redhat": "/usr/share/terminfo",
    "alpine": "/etc/terminfo:/usr/share/terminfo",
    "macos": "/usr/share/terminfo",
}
_TERMINFO_FALLBACK = "/usr/share/terminfo"


def install(config):
    """Phase 1: put the in-memory importer on sys.meta_path."""
    payload = importer.Payload(_pyoxidizer.payload, _pyoxidizer.crc32)
    finder = importer.OxidizedFinder(payload, _pyoxidizer.executable)
    sys.meta_path.append(finder)
    _state["config"] = config
    _state["finder"] = finder


def _origin():
    return _pyoxidizer.executable.rpartition("/")[0] or "/"


def _configure_sys(config):
    sys.oxidized = True
    if config.get("sys_frozen"):
        sys.frozen = True
    if config.get("sys_meipass"):
        sys._MEIPASS = _origin()
    origin = _origin()
    paths = [p.replace("$ORIGIN", origin) for p in config.get("sys_paths", ())]
    sys.path[:] = paths
    if not config.get("filesystem_importer"):
        # Only the embedded importer (and CPython's builtin/frozen ones) may find modules.
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__name__", "") != "PathFinder"]


def _detect_os_family():
    for path, family in (
        ("/etc/debian_version", "debian"),
        ("/etc/redhat-release", "redhat"),
        ("/etc/alpine-release", "alpine"),
    ):
        try:
            posix.stat(path)
            return family
        except OSError:
            pass
    return "macos" if sys.platform == "darwin" else None


def _configure_terminfo(config):
    if posix.environ.get(b"TERMINFO_DIRS"):
        return  # never override what the user chose
    mode = config.get("terminfo_resolution", "dynamic")
    if mode == "none":
        return
    if mode == "static":
        value = config.get("terminfo_dirs") or ""
    else:
        value = _TERMINFO_DIRS_BY_OS.get(_detect_os_family(), _TERMINFO_FALLBACK)
    if value:
        _setenv(b"TERMINFO_DIRS", value.encode())


def _setenv(name, value):
    posix.putenv(name, value)
    posix.environ[name] = value  # on POSIX, os.environ wraps this very dict


def _register_modules_dump(config):
    variable = config.get("write_modules_directory_env")
    if not variable:
        return
    directory = posix.environ.get(variable.encode())
    if not directory:
        return
    import atexit

    atexit.register(_write_modules_file, directory.decode(errors="surrogateescape"))


def _write_modules_file(directory):
    import os
    import uuid

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"modules-{uuid.uuid4()}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("".join(name + "\n" for name in sorted(sys.modules)))


def _run_module(name):
    main = sys.modules["__main__"]
    spec = _state["finder"].find_spec(name)
    if spec is None:
        raise ImportError(f"no embedded module named {name!r} to run as __main__", name=name)
    if spec.submodule_search_locations is not None:
        return _run_module(name + ".__main__")
    code = spec.loader.get_code(name)
    spec.loader.alias("__main__", name)  # so linecache finds __main__'s source
    namespace = main.__dict__
    namespace.update(
        __name__="__main__",
        __spec__=spec,
        __loader__=spec.loader,
        __package__=spec.parent,
    )
    exec(code, namespace)
    return 0


def _excepthook(exc_type, value, tb):
    # CPython's C traceback printer reads source lines from files only (before 3.13);
    # the traceback module asks linecache, which asks our loader.
    import traceback

    traceback.print_exception(exc_type, value, tb)


def run():
    """Phase 2 done: finish configuring sys, then execute the run mode.

    Returns 1 when the launcher should start the interactive loop, else 0. Exceptions
    propagate to the launcher, which prints them and derives the exit code like python.
    """
    config = _state["config"]
    _configure_sys(config)
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _excepthook
    _configure_terminfo(config)
    _register_modules_dump(config)
    mode = config.get("mode", "repl")
    if mode == "eval":
        main = sys.modules["__main__"]
        exec(compile(config["code"], "<string>", "exec"), main.__dict__)
        return 0
    if mode == "module":
        return _run_module(config["module"])
    if mode == "repl":
        return 1
    return 0
