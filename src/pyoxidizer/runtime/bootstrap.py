"""Start-up logic that runs inside every built executable, after the importer module.

The launcher calls ``install(settings)`` during phase-1 initialisation (only builtin and
frozen modules exist) and ``run()`` after phase-2 initialisation. ``settings`` is what
``RuntimeSettings.to_marshal()`` wrote into the payload at build time (runtime/contract.py).

Module-level imports: builtin modules, the launcher's ``_pyoxidizer`` builtin, and the
contract and importer modules the launcher executed just before this one.
"""

import posix
import sys

import _pyoxidizer
import _pyoxidizer_contract as contract
import _pyoxidizer_importer as importer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _frozen_importlib import ModuleSpec
    from types import TracebackType
    from typing import Any

    # ((module, function), positional arguments, keyword arguments) of a child command.
    _Call = tuple[tuple[str, str], list[object], dict[str, object]]
    # The same plus the child's sys.argv.
    _Child = tuple[tuple[str, str], list[object], dict[str, object], list[str]]


class _State:
    """What install() prepared for run()."""

    settings: "contract.RuntimeSettings"
    finder: "importer.OxidizedFinder"


_state = _State()

# Where ncurses looks on each OS family, in its own order (spec 6.3).
_TERMINFO_DIRS_BY_OS = {
    "debian": "/etc/terminfo:/lib/terminfo:/usr/share/terminfo",
    "redhat": "/usr/share/terminfo",
    "alpine": "/etc/terminfo:/usr/share/terminfo",
    "macos": "/usr/share/terminfo",
}
_TERMINFO_FALLBACK = "/usr/share/terminfo"


def install(values: object) -> None:
    """Phase 1: put the in-memory importer on sys.meta_path."""
    settings = contract.RuntimeSettings.from_marshal(values)
    payload = importer.Payload(_pyoxidizer)
    finder = importer.OxidizedFinder(payload, _pyoxidizer.executable, settings.virtual_module_files)
    sys.meta_path.append(finder)
    sys.path_hooks.insert(0, finder.path_hook)  # type: ignore[arg-type]
    _state.settings = settings
    _state.finder = finder


def _pythonpath() -> "list[str]":
    """PYTHONPATH's entries, absolute and normalised as python's getpath makes them."""
    value = posix.environ.get(b"PYTHONPATH")
    if not value:
        return []
    text = value.decode(sys.getfilesystemencoding(), sys.getfilesystemencodeerrors())
    try:
        cwd = posix.getcwd()
    except OSError:
        cwd = "/"
    return [_abspath(entry, cwd) for entry in text.split(":")]


def _abspath(path: str, cwd: str) -> str:
    """posixpath.abspath, without importing posixpath for apps that never need it."""
    parts: list[str] = []
    for part in (path if path.startswith("/") else cwd + "/" + path).split("/"):
        if part == "..":
            parts = parts[:-1]
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def _origin() -> str:
    return _pyoxidizer.executable.rpartition("/")[0] or "/"


def _configure_sys(settings: "contract.RuntimeSettings") -> None:
    sys.oxidized = True  # type: ignore[attr-defined]
    if settings.sys_frozen:
        sys.frozen = True  # type: ignore[attr-defined]
    if settings.sys_meipass:
        sys._MEIPASS = _origin()  # type: ignore[attr-defined]
    origin = _origin()
    paths = [p.replace("$ORIGIN", origin) for p in settings.sys_paths]
    # python's path calculation puts PYTHONPATH before the directories site adds; the
    # launcher's empty search path skips that calculation, so it is done here.
    if not sys.flags.ignore_environment:
        paths += _pythonpath()
    # sys_paths come first, where python puts a script's directory (the app's own code
    # wins), then PYTHONPATH, then what site added (spec 7.3.3: entries are added).
    sys.path[:] = [p for i, p in enumerate(paths) if p not in paths[:i]] + [
        p for p in sys.path if p not in paths
    ]
    if not settings.filesystem_importer:
        # Only the embedded importer (and CPython's builtin/frozen ones) may find modules.
        sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__name__", "") != "PathFinder"]


def _detect_os_family() -> "str | None":
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


def _configure_terminfo(settings: "contract.RuntimeSettings") -> None:
    if posix.environ.get(b"TERMINFO_DIRS"):
        return  # never override what the user chose
    mode = settings.terminfo_resolution
    if mode == "none":
        return
    if mode == "static":
        value = settings.terminfo_dirs or ""
    else:
        value = _TERMINFO_DIRS_BY_OS.get(_detect_os_family() or "", _TERMINFO_FALLBACK)
    if value:
        _setenv(b"TERMINFO_DIRS", value.encode())


def _setenv(name: bytes, value: bytes) -> None:
    posix.putenv(name, value)
    posix.environ[name] = value  # on POSIX, os.environ wraps this very dict


def _register_modules_dump(settings: "contract.RuntimeSettings") -> None:
    variable = settings.write_modules_directory_env
    if not variable:
        return
    directory = posix.environ.get(variable.encode())
    if not directory:
        return
    import atexit

    atexit.register(_write_modules_file, directory.decode(errors="surrogateescape"))


def _write_modules_file(directory: str) -> None:
    import os
    import uuid

    names = set(sys.modules)
    for alias in ("__main__", "__mp_main__"):
        # A module run as __main__ (mode = "module", multiprocessing's children) is in
        # sys.modules under that alias only; a filter built from this list needs its name.
        spec = getattr(sys.modules.get(alias), "__spec__", None)
        if spec is not None:
            names.add(spec.name)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"modules-{uuid.uuid4()}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("".join(name + "\n" for name in sorted(names)))


def _find_main_spec(name: str) -> "ModuleSpec | None":
    """Embedded or app-relative (sys_paths): any importer may provide the module."""
    parent = name.rpartition(".")[0]
    if parent:
        __import__(parent)  # parents are imported first, as python -m does
    spec = _state.finder.find_spec(name)
    if spec is not None:
        return spec
    # importlib.util costs ~3 ms of imports (half a hello world): only when needed.
    import importlib.util

    return importlib.util.find_spec(name)


def _run_module(name: str) -> int:
    main = sys.modules["__main__"]
    spec = _find_main_spec(name)
    if spec is None:
        raise ImportError(f"no module named {name!r} to run as __main__", name=name)
    if spec.submodule_search_locations is not None:
        return _run_module(name + ".__main__")
    loader: Any = spec.loader  # an InspectLoader: ours, or the filesystem's
    code = loader.get_code(name)
    if loader is _state.finder:
        _state.finder.alias("__main__", name)  # so linecache finds __main__'s source
    namespace = main.__dict__
    namespace.update(
        __name__="__main__",
        __spec__=spec,
        __loader__=spec.loader,
        __package__=spec.parent,
    )
    if spec.has_location:
        namespace["__file__"] = spec.origin
    exec(code, namespace)
    return 0


# --- Child processes of multiprocessing -------------------------------------------------
#
# multiprocessing starts its helpers by running sys.executable -- this program -- as if it
# were python: ``[flags] -c "from multiprocessing.X import f; f(literals)" [args]``, or
# ``--multiprocessing-fork key=value...`` when sys.frozen is set. run() recognises exactly
# those command lines and calls the function itself; it never executes code from argv.
# Such a child unpickles what it reads from the pipe it is given, so it only runs when its
# parent process is this same executable (see docs/runtime.md, "Threat model").

# python's options that take no value, and those that take one (-W arg, -X opt).
_FLAG_OPTIONS = frozenset("bBdEiIOPqRsSuvx")
_VALUE_OPTIONS = frozenset("WX")
_MULTIPROCESSING_ENTRY_POINTS = frozenset(
    {
        ("multiprocessing.spawn", "spawn_main"),
        ("multiprocessing.forkserver", "main"),
        ("multiprocessing.resource_tracker", "main"),
    }
)
_SPAWN_MAIN_ARGUMENTS = frozenset({"pipe_handle", "parent_pid", "tracker_fd"})
# Every instance names itself here; its children inherit it (see _refuse_self_reexec).
_PARENT_VARIABLE = contract.PARENT_EXECUTABLE_VARIABLE.encode()


def _interpreter_command(argv: "list[str]") -> "tuple[str, str, list[str]] | None":
    """(option, value, rest) for ``python [flags] -c CODE|-m MOD [rest]``, else None."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--check-hash-based-pycs":
            i += 2
            continue
        if len(arg) < 2 or arg[0] != "-" or arg[1] == "-":
            return None
        for j in range(1, len(arg)):
            letter = arg[j]
            if letter in "cm":
                if j + 1 < len(arg):
                    return letter, arg[j + 1 :], argv[i + 1 :]
                if i + 1 < len(argv):
                    return letter, argv[i + 1], argv[i + 2 :]
                return None
            if letter in _VALUE_OPTIONS:
                i += j + 1 == len(arg)  # the value is the next argument
                break
            if letter not in _FLAG_OPTIONS:
                return None
        i += 1
    return None


def _literal_call(code: str) -> "_Call | None":
    """((module, function), args, kwargs) if ``code`` is a multiprocessing child command."""
    import ast

    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(body) != 2 or not isinstance(body[0], ast.ImportFrom) or body[0].level:
        return None
    names = body[0].names
    if len(names) != 1 or names[0].asname is not None:
        return None
    entry = (body[0].module, names[0].name)
    call = getattr(body[1], "value", None)
    if (
        entry not in _MULTIPROCESSING_ENTRY_POINTS
        or not isinstance(body[1], ast.Expr)
        or not isinstance(call, ast.Call)
        or not isinstance(call.func, ast.Name)
        or call.func.id != entry[1]
    ):
        return None
    try:
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {}
        for keyword in call.keywords:
            value = ast.literal_eval(keyword.value)
            if keyword.arg is not None:
                value = {keyword.arg: value}
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                return None
            kwargs.update(value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    return entry, args, kwargs


def _multiprocessing_child(argv: "list[str]") -> "_Child | None":
    """(function, args, kwargs, new sys.argv) when argv is a multiprocessing child's."""
    if len(argv) >= 2 and argv[1] == "--multiprocessing-fork":
        # The sys.frozen form: spawn_main's arguments as key=integer (spawn.get_command_line).
        try:
            kwargs: dict[str, object] = {
                k: int(v) for k, _, v in (a.partition("=") for a in argv[2:])
            }
        except ValueError:
            return None
        if "pipe_handle" not in kwargs or not kwargs.keys() <= _SPAWN_MAIN_ARGUMENTS:
            return None
        return ("multiprocessing.spawn", "spawn_main"), [], kwargs, list(argv)
    command = _interpreter_command(argv)
    if command is None or command[0] != "c":
        return None
    found = _literal_call(command[1])
    if found is None:
        return None
    return (*found, ["-c", *command[2]])


def _same_file(a: "posix.stat_result", b: "posix.stat_result") -> bool:
    return a.st_dev == b.st_dev and a.st_ino == b.st_ino


def _started_by_this_program() -> bool:
    """Whether the parent process runs this very executable file, as the kernel reports it.

    multiprocessing starts every child it execs (spawn workers, the forkserver, the
    resource tracker) from a process of the same program: the app itself or one of its
    children. Anyone else who gives the app such a command line (a shell, sudo, a wrapper
    script) is not that program, so its stdin is never read as a pickle.
    """
    try:
        mine = posix.stat("/proc/self/exe")
        parent = posix.stat(f"/proc/{posix.getppid()}/exe")
    except OSError:
        return False  # no /proc, or a parent we may not inspect: not a proven parent
    return _same_file(mine, parent)


def _refuse_foreign_child(argv: "list[str]") -> None:
    sys.stderr.write(
        f"{_pyoxidizer.executable}: error: refusing the multiprocessing child command line "
        f"{argv[1:]!r}: such a child reads a pickle (code to run) from its parent, and "
        "this process was not started by this application; only the application itself "
        "may start its multiprocessing children\n"
    )
    sys.stderr.flush()


def _run_multiprocessing_child(child: "_Child") -> int:
    import importlib

    (module, function), args, kwargs, argv = child
    sys.argv[:] = argv
    getattr(importlib.import_module(module), function)(*args, **kwargs)
    return 0


def _refuse_self_reexec(argv: "list[str]") -> bool:
    """Stop an instance that was started by this same executable as if it were python.

    Running the application instead could start the same command again, without end
    (a fork bomb). Started by anything else, such arguments are the application's own.
    """
    parent = posix.environ.get(_PARENT_VARIABLE)
    if parent is None or parent != _pyoxidizer.executable.encode(errors="surrogateescape"):
        return False
    if _interpreter_command(argv) is None and argv[1:2] != ["--multiprocessing-fork"]:
        return False
    sys.stderr.write(
        f"{_pyoxidizer.executable}: error: this application was started by itself with "
        f"python's command line {argv[1:]!r}, which it does not recognise; it is not a "
        "Python interpreter, and running the application again could repeat without end, "
        "so it stops here\n"
    )
    sys.stderr.flush()
    return True


def _excepthook(
    exc_type: "type[BaseException]", value: BaseException, tb: "TracebackType | None"
) -> None:
    # CPython's C traceback printer reads source lines from files only (before 3.13);
    # the traceback module asks linecache, which asks our loader.
    try:
        import traceback
    except ImportError:  # left out (pyoxidizer trim): python's own printer still works
        sys.__excepthook__(exc_type, value, tb)
        return
    traceback.print_exception(exc_type, value, tb)


def run() -> int:
    """Phase 2 done: finish configuring sys, then execute the run mode.

    Returns 1 when the launcher should start the interactive loop, else 0. Exceptions
    propagate to the launcher, which prints them and derives the exit code like python.
    """
    settings = _state.settings
    _configure_sys(settings)
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _excepthook
    _configure_terminfo(settings)
    _register_modules_dump(settings)
    if settings.lazy_module_loading:  # from here on, imports are the app's
        _state.finder.defer_module_code(settings.eager_modules)
    argv = list(sys.argv)
    if len(argv) > 1 and argv[1].startswith("-"):
        child = _multiprocessing_child(argv)
        if child is not None:
            if not _started_by_this_program():
                _refuse_foreign_child(argv)
                raise SystemExit(2)  # python's status for a command line it cannot use
            return _run_multiprocessing_child(child)
        if _refuse_self_reexec(argv):
            raise SystemExit(2)  # python's status for a command line it cannot use
    _setenv(_PARENT_VARIABLE, _pyoxidizer.executable.encode(errors="surrogateescape"))
    mode = settings.mode
    if mode == "eval":
        main = sys.modules["__main__"]
        # Compiled at build time: compile() would load the parser, compiler and AST types.
        code = _pyoxidizer.main_code()
        if code is None:  # it did not compile: the SyntaxError appears now, as with python -c
            code = compile(settings.code or "", "<string>", "exec")
        exec(code, main.__dict__)
        return 0
    if mode == "module":
        return _run_module(settings.module or "")
    if mode == "repl":
        return 1
    return 0
