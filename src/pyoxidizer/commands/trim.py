"""``pyoxidizer trim``: spec 4.5's two-phase slimming, done for the user.

1. Build a *recording* copy of the app (the config without the trim rule, with
   ``write_modules_directory_env`` set) under ``<build_path>/trim/``.
2. Run it once per invocation -- the app with arguments, or a command of the user's own
   (a test suite, a script) that runs the app -- and each run of the app writes the names
   of the modules it loaded.
3. Write the filter file next to the config (sorted names, a header saying how it was
   made), adding package parents and the encodings the interpreter may need at start.
4. Add a ``filter-include`` rule using that file to the config, unless it has one: the TOML
   text is appended to, so comments and layout stay, and written atomically.
5. Build the app again, and run each invocation once more against the trimmed app: a run
   that now ends differently is an error naming the run and its last line of stderr.

The text functions are pure; ``trim`` does the I/O through ``_fs``, the injected runner and
the build function.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._fs import atomic_write
from pyoxidizer._proc import Completed, Runner, TimedOut
from pyoxidizer._report import Reporter
from pyoxidizer._toml import loads
from pyoxidizer.config.loader import validate_config
from pyoxidizer.config.rules import FilterInclude, PackagingRule
from pyoxidizer.config.schema import Config
from pyoxidizer.errors import TrimError

FILTER_FILE = "pyoxidizer-trim.txt"
RECORD_VARIABLE = "PYOXIDIZER_TRIM_MODULES_DIR"  # when the config names no variable
RUN_TIMEOUT = 600.0  # seconds per recorded run
KEEP_MARKER = "# Your additions (kept when pyoxidizer trim runs again):"

# The interpreter imports a codec for the file system and for each standard stream at
# start, chosen by the locale of the machine that runs the app, not of the recording runs.
ALWAYS_KEPT = (
    "encodings",
    "encodings.aliases",
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_8",
    "encodings.utf_8_sig",
)
# Names in sys.modules that are not packaged resources.
_NOT_RESOURCES = ("__main__",)


@dataclass(frozen=True)
class BuiltApp:
    """What trim needs of a build (a subset of pipeline.BuildResult)."""

    exe: Path
    size: int
    modules: int
    extensions: int


# In a --command's words, this stands for the app's executable; the command also finds it
# as APP_VARIABLE and first on PATH.
APP_PLACEHOLDER = "{app}"
APP_VARIABLE = "PYOXIDIZER_APP"


@dataclass(frozen=True)
class Command:
    """A command of the user's own that runs the app (its test suite, a script)."""

    words: tuple[str, ...]


# What trim runs: the app with these arguments, or a command.
Invocation = tuple[str, ...] | Command


def describe(invocation: Invocation) -> str:
    if isinstance(invocation, Command):
        return shlex.join(invocation.words)
    return shlex.join(["app", *invocation])


def command_line(
    invocation: Invocation, exe: Path, env: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``invocation`` against ``exe``."""
    if not isinstance(invocation, Command):
        return [str(exe), *invocation], dict(env)
    argv = [word.replace(APP_PLACEHOLDER, str(exe)) for word in invocation.words]
    path = env.get("PATH") or os.defpath
    return argv, {**env, APP_VARIABLE: str(exe), "PATH": f"{exe.parent}{os.pathsep}{path}"}


def parse_command(text: str) -> Command:
    """A --command value: words as a POSIX shell splits them (no shell runs them)."""
    try:
        words = tuple(shlex.split(text))
    except ValueError as exc:
        raise TrimError(f"cannot split the command {text!r} into words: {exc}") from None
    if not words:
        raise TrimError("--command needs a command (got an empty one)")
    return Command(words)


@dataclass(frozen=True)
class Run:
    label: str  # describe() of the invocation
    returncode: int
    last_error_line: str


@dataclass(frozen=True)
class TrimResult:
    filter_file: Path
    names: int
    config_changed: bool
    runs: tuple[Run, ...]
    before: BuiltApp
    after: BuiltApp


# --- pure parts ------------------------------------------------------------------------------


def parse_invocations(text: str, source: str) -> list[tuple[str, ...]]:
    """One argument list per line, quoted as for a POSIX shell; blank and ``#`` lines skipped."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            found.append(tuple(shlex.split(line)))
        except ValueError as exc:
            raise TrimError(f"{source}, line {number}: cannot split {line!r}: {exc}") from None
    return found


def read_invocations(path: Path) -> list[tuple[str, ...]]:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise TrimError(f"cannot read the invocations file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise TrimError(f"invocations file {path} is not UTF-8 (byte {exc.start})") from None
    return parse_invocations(text, str(path))


def is_trim_rule(rule: PackagingRule, filter_file: Path) -> bool:
    options = rule.options
    return isinstance(options, FilterInclude) and any(
        os.path.normpath(path) == os.path.normpath(filter_file) for path in options.files
    )


def recording_config(config: Config, filter_file: Path) -> tuple[Config, str]:
    """(the config to record with, the variable naming the directory for module lists)."""
    variable = config.embedded.write_modules_directory_env or RECORD_VARIABLE
    return (
        dataclasses.replace(
            config,
            build=dataclasses.replace(config.build, build_path=config.build.build_path / "trim"),
            embedded=dataclasses.replace(config.embedded, write_modules_directory_env=variable),
            rules=tuple(rule for rule in config.rules if not is_trim_rule(rule, filter_file)),
        ),
        variable,
    )


def kept_names(recorded: Iterable[str], stdio_encoding: str | None) -> list[str]:
    """The recorded names, their parent packages and the start-up encodings, sorted."""
    names = set(ALWAYS_KEPT)
    if stdio_encoding:
        names.add("encodings." + _codec_module(stdio_encoding.partition(":")[0]))
    for name in recorded:
        if name and name not in _NOT_RESOURCES:
            parts = name.split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return sorted(names)


def _codec_module(encoding: str) -> str:
    """The module of ``encodings`` that implements a codec (``latin1`` -> ``latin_1``)."""
    import codecs

    try:
        module = codecs.lookup(encoding).incrementalencoder.__module__
    except (LookupError, AttributeError):
        return encoding.lower().replace("-", "_")
    return module.rpartition(".")[2]


def user_additions(old_text: str) -> list[str]:
    """The lines a user added below ``KEEP_MARKER`` in a previous filter file."""
    lines = old_text.splitlines()
    if KEEP_MARKER not in lines:
        return []
    return lines[lines.index(KEEP_MARKER) + 1 :]


def filter_file_text(
    names: Sequence[str], runs: Sequence[Run], config_name: str, additions: Sequence[str]
) -> str:
    shown = [f"#   {r.label}  (exit status {r.returncode})" for r in runs]
    header = [
        "# Made by `pyoxidizer trim` (spec 4.5, two-phase slimming). The filter-include rule",
        f"# in {config_name} that names this file keeps only the modules and extension modules",
        "# listed here, and the resource files of the packages listed; everything else is",
        "# removed. A later run that imports anything else fails with ModuleNotFoundError",
        "# naming the module.",
        "#",
        "# These names are what the app had loaded at the end of these runs:",
        *shown,
        "# plus their parent packages and the encodings the interpreter may need at start.",
        "#",
        "# To keep more, run pyoxidizer trim again with more invocations (--invocations FILE,",
        "# --command),",
        "# or add names, one per line, below the last line, and run pyoxidizer build.",
        "",
    ]
    return "\n".join([*header, *names, "", KEEP_MARKER, *additions]) + "\n"


def with_filter_rule(config_text: str, filter_name: str) -> str:
    """The config text with a filter-include rule naming ``filter_name`` appended."""
    separator = "" if config_text.endswith("\n") or not config_text else "\n"
    return (
        f"{config_text}{separator}\n"
        "# Added by `pyoxidizer trim`: keep only the modules the recorded runs loaded (spec\n"
        f"# 4.5). Review or extend {filter_name}; remove this rule to package everything.\n"
        "[[packaging_rule]]\n"
        'type = "filter-include"\n'
        f"files = [{_toml_string(filter_name)}]\n"
    )


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the command -----------------------------------------------------------------------------


def _record(
    exe: Path,
    invocations: Sequence[Invocation],
    env: Mapping[str, str],
    cwd: Path,
    runner: Runner,
    reporter: Reporter,
) -> list[Run]:
    runs = []
    for number, invocation in enumerate(invocations, 1):
        label = describe(invocation)
        argv, run_env = command_line(invocation, exe, env)
        try:
            done = runner(argv, cwd=cwd, env=run_env, timeout=RUN_TIMEOUT)
        except TimedOut:
            raise TrimError(
                f"run {number} ({label}) did not finish within {RUN_TIMEOUT:g} seconds; "
                "trim runs the app with stdin closed"
            ) from None
        except OSError as exc:
            raise TrimError(f"run {number} ({label}) cannot start: {exc.strerror}") from None
        run = Run(label, done.returncode, _last_line(done))
        reporter.detail(f"run {number}: {label}: exit status {run.returncode}")
        runs.append(run)
    return runs


def _last_line(done: Completed) -> str:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""


def _read_module_lists(directory: Path) -> set[str]:
    names: set[str] = set()
    for path in sorted(directory.glob("modules-*")):
        names.update(line.strip() for line in path.read_text("utf-8").splitlines())
    return names


def _write_filter_file(path: Path, names: Sequence[str], runs: Sequence[Run], config: Path) -> None:
    old = path.read_text("utf-8", "replace") if path.is_file() else ""
    text = filter_file_text(names, runs, config.name, user_additions(old))
    atomic_write(path, text.encode("utf-8"))


def _add_rule(config: Config, filter_file: Path) -> bool:
    """Add the rule to the config file unless it has one; whether the file changed."""
    if any(is_trim_rule(rule, filter_file) for rule in config.rules):
        return False
    path = config.path
    new_text = with_filter_rule(path.read_text("utf-8"), filter_file.name)
    validate_config(loads(new_text), path, config.target)  # never write a broken config
    atomic_write(path, new_text.encode("utf-8"), mode=stat.S_IMODE(path.stat().st_mode))
    return True


def _check_runs(before: Sequence[Run], after: Sequence[Run]) -> None:
    changed = [
        f"run {number} ({old.label}) exited with status {new.returncode} "
        f"instead of {old.returncode}: {new.last_error_line or 'no error output'}"
        for number, (old, new) in enumerate(zip(before, after, strict=True), 1)
        if old.returncode != new.returncode
    ]
    if changed:
        raise TrimError(
            "the trimmed app does not behave as the recorded one: "
            + "; ".join(changed)
            + f"; add the missing modules to {FILTER_FILE} below its last comment and run "
            "pyoxidizer build"
        )


def trim(
    config: Config,
    invocations: Sequence[Invocation],
    *,
    build: Callable[[Config], BuiltApp],
    reload: Callable[[], Config],
    runner: Runner,
    reporter: Reporter,
    environ: Mapping[str, str],
    cwd: Path,
) -> TrimResult:
    """Record, write the filter file, add the rule, rebuild, check the runs again."""
    if not invocations:
        raise TrimError(
            "no invocation to record: give arguments after --, --invocations or --command"
        )
    filter_file = config.path.parent / FILTER_FILE
    recording, variable = recording_config(config, filter_file)
    reporter.stage("building the app to record what it loads")
    before = build(recording)
    with tempfile.TemporaryDirectory(prefix="trim-", dir=config.build.build_path) as scratch:
        dumps = Path(scratch)
        env = {**environ, variable: str(dumps)}
        reporter.stage(f"recording {len(invocations)} run(s) of {before.exe}")
        runs = _record(before.exe, invocations, env, cwd, runner, reporter)
        recorded = _read_module_lists(dumps)
    if not recorded:
        raise TrimError(
            f"the app wrote no list of modules in {len(runs)} run(s) (it writes one when "
            "Python exits normally; a run killed by a signal or ending in os._exit writes "
            "none), so nothing can be trimmed"
        )
    names = kept_names(recorded, config.embedded.stdio_encoding)
    _write_filter_file(filter_file, names, runs, config.path)
    reporter.stage(f"wrote {filter_file} ({len(names)} names)")
    changed = _add_rule(config, filter_file)
    if changed:
        reporter.stage(f"added a filter-include rule using {filter_file.name} to {config.path}")
    reporter.stage("building the trimmed app")
    after = build(reload())
    env = {k: v for k, v in environ.items() if k != variable}
    _check_runs(runs, _record(after.exe, invocations, env, cwd, runner, reporter))
    return TrimResult(filter_file, len(names), changed, tuple(runs), before, after)
