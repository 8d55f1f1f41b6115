"""The command line: the only place that parses argv, prints, and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pyoxidizer import __version__
from pyoxidizer.errors import ConfigError, PyOxidizerError, quote, shorten

# The first is the default; the musl target needs a [[python_distribution]] archive for it.
SUPPORTED_TARGETS = ("x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl")


class ConsoleReporter:
    """Prints build progress on stderr (stdout stays free for the app and app-path)."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def stage(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose:
            print("  " + message, file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr, flush=True)

    def progress(self, label: str, done: int, total: int) -> None:
        if self.tty:
            end = "\n" if done >= total else ""
            print(f"\r  {label}: {done}/{total}", end=end, file=sys.stderr, flush=True)
        elif done >= total or self.verbose:
            print(f"  {label}: {done}/{total}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    explicit = os.environ.get("PYOXIDIZER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pyoxidizer"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pyoxidizer", description="Build single-file executables that embed Python."
    )
    p.add_argument("--version", action="version", version=f"pyoxidizer {__version__}")
    p.add_argument("--verbose", action="store_true", help="explain what each stage does")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    init = sub.add_parser("init", help="create a new project directory with a pyoxidizer.toml")
    init.add_argument("path", type=Path)
    init.add_argument("--python-code", help="Python code the executable runs (eval mode)")
    init.add_argument("--pip-install", action="append", default=[], metavar="PACKAGE")
    for name, text in (("build", "build the application"), ("run", "build if needed, then run")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("path", nargs="?", type=Path, help="config file or project directory")
        cmd.add_argument("--release", action="store_true", help="optimised, stripped build")
        cmd.add_argument("--target", default=SUPPORTED_TARGETS[0], help="target triple")
        cmd.add_argument("--verbose", action="store_true", dest="sub_verbose")
    app_path = sub.add_parser("app-path", help="print the directory of the built application")
    app_path.add_argument("path", nargs="?", type=Path)
    app_path.add_argument("--release", action="store_true")
    app_path.add_argument("--target", default=SUPPORTED_TARGETS[0])
    _add_tool_parsers(sub)
    return p


def _add_tool_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    analyze = sub.add_parser("analyze", help="show what an executable needs and embeds")
    analyze.add_argument("file", type=Path)
    analyze.add_argument("--json", action="store_true", help="print a JSON document")
    extract = sub.add_parser(
        "python-distribution-extract", help="copy a Python distribution into a directory"
    )
    extract.add_argument("dist", help="'host', a python executable or a .tar.zst archive")
    extract.add_argument("dest", type=Path, help="a directory that is absent or empty")
    licenses = sub.add_parser(
        "python-distribution-licenses", help="show the licenses of a distribution's extensions"
    )
    licenses.add_argument("dist", help="'host', a python executable or a .tar.zst archive")
    dist = sub.add_parser("distribution", help="build, then make tarballs, .deb packages, ...")
    dist.add_argument("path", nargs="?", type=Path, help="config file or project directory")
    dist.add_argument("--type", action="append", default=[], choices=("tarball", "deb", "wix"))
    dist.add_argument("--release", action="store_true", help="optimised, stripped build")
    dist.add_argument("--target", default=SUPPORTED_TARGETS[0], help="target triple")
    dist.add_argument("--verbose", action="store_true", dest="sub_verbose")
    add = sub.add_parser("add", help="add a pyoxidizer.toml to an existing Python project")
    add.add_argument("path", type=Path)
    trim = sub.add_parser(
        "trim", help="keep only the modules the app loads in the given runs, then rebuild"
    )
    trim.add_argument("path", nargs="?", type=Path, help="config file or project directory")
    trim.add_argument(
        "--invocations",
        type=Path,
        metavar="FILE",
        help="argument lists to run the app with, one per line, quoted as for a shell",
    )
    trim.add_argument(
        "--command",
        action="append",
        dest="trim_commands",
        default=[],
        metavar="CMD",
        help="a command of yours that runs the app, such as its tests (repeatable); {app} in "
        "it, $PYOXIDIZER_APP and the first entry of PATH name the app's executable",
    )
    trim.add_argument("--release", action="store_true", help="optimised, stripped build")
    trim.add_argument("--target", default=SUPPORTED_TARGETS[0], help="target triple")
    trim.add_argument("--verbose", action="store_true", dest="sub_verbose")
    pdb = sub.add_parser(
        "python-distribution-build", help="build a standalone CPython archive from source"
    )
    pdb.add_argument("--sources", type=Path, required=True, help="directory of source tarballs")
    pdb.add_argument("--target", required=True, help="target triple")
    pdb.add_argument("--output", type=Path, required=True, help="the .tar.zst to write")
    pdb.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel jobs")
    pdb.add_argument("--no-cache", action="store_true", help="rebuild everything from scratch")
    pdb.add_argument("--verbose", action="store_true", dest="sub_verbose")


def _split_run_args(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from pyoxidizer.config import find_config_file, load_config

    if args.target not in SUPPORTED_TARGETS:
        raise PyOxidizerError(
            f"cannot build for target {args.target!r} on this machine; "
            f"supported: {', '.join(SUPPORTED_TARGETS)}"
        )
    path = find_config_file(args.path, os.environ.get("PYOXIDIZER_CONFIG"), Path.cwd())
    return load_config(path, args.target)


def _build(args: argparse.Namespace, verbose: bool):  # type: ignore[no-untyped-def]
    from pyoxidizer.pipeline import BuildOptions, build

    config = _load(args)
    reporter = ConsoleReporter(verbose)
    options = BuildOptions(args.release, cache_dir(), sys.executable, verbose)
    result = build(config, options, reporter)
    reporter.stage(
        f"built {result.exe} ({result.size / 1e6:.1f} MB: {result.modules} modules, "
        f"{result.resources} resources, {result.extensions} extension modules) "
        f"in {time.monotonic() - reporter.started:.2f}s"
    )
    return result


def _cmd_init(args: argparse.Namespace) -> int:
    from pyoxidizer.commands.init import write_new_config

    path = write_new_config(args.path, args.python_code, args.pip_install)
    print(f"wrote {path}")
    print(f"build and run it with: pyoxidizer run {shlex.quote(str(args.path))}")
    return 0


def _cmd_run(args: argparse.Namespace, app_args: list[str], verbose: bool) -> int:
    result = _build(args, verbose)
    # Not through a Runner: the app must share our terminal, stdin and session (Ctrl-C,
    # job control), which the Runner's own process group and closed stdin would take away.
    proc = subprocess.run([str(result.exe), *app_args])
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


def _cmd_app_path(args: argparse.Namespace) -> int:
    from pyoxidizer.pipeline import app_dir_for

    print(app_dir_for(_load(args), args.release))
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from pyoxidizer.commands.analyze import analyze_file
    from pyoxidizer.commands.analyze.report import render_text, to_json

    analysis = analyze_file(args.file)
    print(to_json(analysis) if args.json else render_text(analysis), end="")
    return 0


def _cmd_distribution_extract(args: argparse.Namespace) -> int:
    from pyoxidizer.pythondist.extract import (
        extract_distribution,
        resolve_distribution_argument,
    )

    dist = resolve_distribution_argument(args.dist, sys.executable)
    print(f"extracted {args.dist} to {extract_distribution(dist, args.dest)}")
    return 0


def _cmd_distribution_licenses(args: argparse.Namespace) -> int:
    from pyoxidizer.pythondist.extract import resolve_distribution_argument
    from pyoxidizer.pythondist.licenses import distribution_licenses, render_licenses

    dist = resolve_distribution_argument(args.dist, sys.executable)
    print(render_licenses(distribution_licenses(dist)), end="")
    return 0


def _source_date_epoch() -> int:
    text = os.environ.get("SOURCE_DATE_EPOCH", "0")
    if not text.isdigit():
        raise PyOxidizerError(f"SOURCE_DATE_EPOCH must be a number of seconds (got {text!r})")
    return int(text)


def _cmd_distribution(args: argparse.Namespace, verbose: bool) -> int:
    from pyoxidizer.commands.installers import BuiltApp, produce

    mtime = _source_date_epoch()
    result = _build(args, verbose)
    config = _load(args)
    app = BuiltApp(
        config.build.application_name, result.exe, result.app_dir, args.target, args.release
    )
    for made in produce(config, app, args.type, mtime):
        print(f"wrote {made.type} {made.path}")
        if made.note:
            print(f"  note: {made.note}")
    return 0


def _cmd_trim(args: argparse.Namespace, app_args: list[str], separator: bool, verbose: bool) -> int:
    from pyoxidizer._proc import run
    from pyoxidizer.commands.trim import (
        BuiltApp,
        Invocation,
        parse_command,
        read_invocations,
        trim,
    )
    from pyoxidizer.config.schema import Config
    from pyoxidizer.pipeline import BuildOptions, build

    invocations: list[Invocation] = []
    if args.invocations is not None:
        invocations.extend(read_invocations(args.invocations))
    if separator or (args.invocations is None and not args.trim_commands):
        invocations.append(tuple(app_args))
    invocations.extend(parse_command(text) for text in args.trim_commands)
    reporter = ConsoleReporter(verbose)
    options = BuildOptions(args.release, cache_dir(), sys.executable, verbose)

    def build_app(config: Config) -> BuiltApp:
        result = build(config, options, reporter)
        return BuiltApp(result.exe, result.size, result.modules, result.extensions)

    done = trim(
        _load(args),
        invocations,
        build=build_app,
        reload=lambda: _load(args),
        runner=run,
        reporter=reporter,
        environ=os.environ,
        cwd=Path.cwd(),
    )
    before, after = done.before, done.after
    print(f"wrote {done.filter_file} ({done.names} names from {len(done.runs)} run(s))")
    if not done.config_changed:
        print("  the config already has the filter-include rule that uses it")
    print(
        f"trimmed {after.exe}: {before.size / 1e6:.1f} MB -> {after.size / 1e6:.1f} MB, "
        f"{before.modules} -> {after.modules} modules, "
        f"{before.extensions} -> {after.extensions} extension modules"
    )
    print(f"  the {len(done.runs)} run(s) end the same way with the trimmed app")
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    from pyoxidizer.commands.add import add_config

    added = add_config(args.path)
    print(f"wrote {added.path}")
    print(
        f"  application: {added.run.app_name} (project {added.project.name}, "
        f"read from {added.project.source})"
    )
    print(
        '  packaging rules: stdlib-extension-policy "all", stdlib, '
        'pip-install-simple (package = ".")'
    )
    print(f"  runs: {added.run.why} ({added.run.mode}: {added.run.value})")
    print(f"build it with: pyoxidizer build {args.path}")
    return 0


# Errors quote at most 200 characters of a value; this bounds whatever else a message
# carries (a tool's output, say), so no error line can be megabytes long.
MAX_ERROR_LINE = 2000


def _print_error(message: str) -> None:
    lines = [shorten(line, MAX_ERROR_LINE) for line in message.splitlines() or [""]]
    print("error: " + "\n".join(lines), file=sys.stderr)


def _cmd_python_distribution_build(args: argparse.Namespace, verbose: bool) -> int:
    from pyoxidizer.pythondist.builder import BuildRequest, build_distribution

    request = BuildRequest(
        sources_dir=args.sources.absolute(),
        triple=args.target,
        output=args.output.absolute(),
        cache_dir=cache_dir().absolute(),
        environ=dict(os.environ),
        jobs=max(1, args.jobs),
        verbose=verbose,
        use_cache=not args.no_cache,
    )
    reporter = ConsoleReporter(verbose)
    result = build_distribution(request, reporter)
    for stage, seconds in result.timings:
        print(f"  {seconds:7.1f} s  {stage}", file=sys.stderr)
    size = result.output.stat().st_size / 1e6
    print(f"wrote {result.output} ({size:.1f} MB, sha256 {result.sha256})", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    own, app_args = _split_run_args(raw)
    args = _parser().parse_args(own)
    verbose = args.verbose or getattr(args, "sub_verbose", False)
    try:
        if args.command == "init":
            return _cmd_init(args)
        if args.command == "build":
            _build(args, verbose)
            return 0
        if args.command == "run":
            return _cmd_run(args, app_args, verbose)
        if args.command == "analyze":
            return _cmd_analyze(args)
        if args.command == "python-distribution-extract":
            return _cmd_distribution_extract(args)
        if args.command == "python-distribution-licenses":
            return _cmd_distribution_licenses(args)
        if args.command == "distribution":
            return _cmd_distribution(args, verbose)
        if args.command == "add":
            return _cmd_add(args)
        if args.command == "trim":
            return _cmd_trim(args, app_args, "--" in raw, verbose)
        if args.command == "python-distribution-build":
            return _cmd_python_distribution_build(args, verbose)
        return _cmd_app_path(args)
    except ConfigError as exc:
        for problem in exc.problems:  # one line per problem
            _print_error(problem)
        return 1
    except PyOxidizerError as exc:
        _print_error(str(exc))
        return 1
    except OSError as exc:
        # A file system or process failure not anticipated by a stage: still one line.
        where = f": {quote(str(exc.filename))}" if exc.filename else ""
        _print_error(f"{exc.strerror or exc}{where}")
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
