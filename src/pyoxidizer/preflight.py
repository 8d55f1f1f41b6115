"""Checks of a valid config that need the target interpreter or the machine.

The config stage is pure: it can tell that ``stdio_encoding`` looks like ``encoding:errors``
but not whether the target interpreter has that codec, nor whether the eval ``code``
compiles, nor whether a filter or requirements file is a regular file, nor whether a
directory a rule walks is in /proc or holds millions of files. ``check_config`` asks, in one
subprocess of the target interpreter and a few ``stat`` calls, before the build takes its
lock or writes anything, and reports every problem at once as a ``ConfigError`` naming the
file, the section and the key.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyoxidizer._fs import regular_file_problem
from pyoxidizer._proc import Runner, TimedOut
from pyoxidizer._walk import (
    Budget,
    TooMany,
    bounded_glob,
    count_tree,
    kernel_file_system,
    literal_prefix,
    too_many,
)
from pyoxidizer.config.rules import (
    FILTER_FILE_LIMIT,
    REQUIREMENTS_FILE_LIMIT,
    FilterInclude,
    PackageRoot,
    PipRequirementsFile,
)
from pyoxidizer.config.schema import Config
from pyoxidizer.config.validate import STDIO_ERROR_HANDLERS
from pyoxidizer.errors import ConfigError, quote, shorten
from pyoxidizer.pythondist import Distribution

# Runs in the target interpreter (3.10 or newer): the request comes on stdin as JSON, the
# answer goes to stdout as JSON. Compiling is what the executable does with the code.
_CHECKER = r"""
import codecs, json, sys
request = json.loads(sys.stdin.buffer.read())
answer = {}
encoding = request.get("encoding")
if encoding is not None:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        answer["encoding"] = "unknown"
    else:
        answer["encoding"] = "text" if getattr(info, "_is_text_encoding", True) else "binary"
code = request.get("code")
if code is not None:
    try:
        compile(code, "<string>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        answer["code"] = [type(exc).__name__, str(exc.msg), exc.lineno, exc.offset]
    except (RecursionError, MemoryError, ValueError) as exc:
        answer["code"] = [type(exc).__name__, str(exc), None, None]
print(json.dumps(answer))
"""

CHECK_TIMEOUT = 60  # seconds; compiling a few lines takes milliseconds


def check_config(config: Config, dist: Distribution, runner: Runner) -> None:
    """Raise one ``ConfigError`` with every problem the target interpreter or the machine finds."""
    problems = [
        *_build_path_problems(config),
        *_filter_file_problems(config),
        *_package_root_problems(config),
        *_requirements_file_problems(config),
    ]
    encoding = config.embedded.stdio_encoding
    code = config.run.code if config.run.mode == "eval" else None
    if encoding is not None or code is not None:
        answer = _ask(dist, runner, encoding.partition(":")[0] if encoding else None, code)
        problems += _encoding_problems(config, dist, answer.get("encoding"))
        problems += _code_problems(config, dist, answer.get("code"))
    if problems:
        raise ConfigError(problems)


def _ask(
    dist: Distribution, runner: Runner, encoding: str | None, code: str | None
) -> dict[str, object]:
    request = json.dumps({"encoding": encoding, "code": code}).encode()
    what = f"checking the config with {dist.python_exe}"
    argv = [str(dist.python_exe), "-I", "-S", "-c", _CHECKER]
    try:
        proc = runner(argv, input=request, timeout=CHECK_TIMEOUT)
    except (OSError, TimedOut) as exc:
        raise ConfigError([f"{what} failed: {exc}"]) from None
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        answer = None
    if not proc.ok or not isinstance(answer, dict):
        raise ConfigError([f"{what} failed (exit {proc.returncode}): {proc.tail(3)}"])
    return answer


def _encoding_problems(config: Config, dist: Distribution, answer: object) -> list[str]:
    if answer in (None, "text"):
        return []
    text = str(config.embedded.stdio_encoding)
    encoding = text.partition(":")[0]
    where = f"{config.path}: [[embedded_python_config]]: key 'stdio_encoding'"
    if answer == "binary":
        return [
            f"{where} names {quote(encoding)}, which is not a text encoding (it encodes bytes "
            "to bytes), so the standard streams cannot use it"
        ]
    base, dash, handler = encoding.rpartition("-")
    hint = f"; did you mean '{base}:{handler}'?" if dash and handler in STDIO_ERROR_HANDLERS else ""
    return [
        f"{where} names the encoding {quote(encoding)}, which {dist.python_exe} does not "
        f"know{hint} (the value is 'encoding' or 'encoding:errors')"
    ]


def _code_problems(config: Config, dist: Distribution, answer: object) -> list[str]:
    if not isinstance(answer, list) or len(answer) != 4:
        return []
    kind, message, line, column = answer
    at = f" (line {line}, column {column})" if isinstance(line, int) else ""
    return [
        f"{config.path}: [[embedded_python_run]]: key 'code' does not compile with "
        f"{dist.python_exe}: {kind}: {shorten(str(message))}{at}"
    ]


def _kernel_problem(path: Path | str) -> str | None:
    """Why ``path`` is nothing to read for a rule: it is in /proc or /sys."""
    root = kernel_file_system(path)
    if root is None:
        return None
    return (
        f"is in {root}, the kernel's view of the system, whose files are not data to "
        "package (some block a reader for ever, some claim terabytes)"
    )


def _filter_file_problems(config: Config) -> list[str]:
    problems = []
    for rule in config.rules:
        options = rule.options
        if not isinstance(options, FilterInclude):
            continue
        where = f"{config.path}: {rule.label}: key"
        globbed = []
        for pattern in options.glob_files:
            problem = _kernel_problem(literal_prefix(pattern))
            try:
                globbed += [] if problem else bounded_glob(pattern)
            except TooMany as exc:
                problem = too_many(exc)
            if problem:
                problems.append(f"{where} 'glob_files': pattern {quote(pattern)} {problem}")
        for key, paths in (("files", options.files), ("glob_files", globbed)):
            for path in paths:
                problem = _kernel_problem(path) or regular_file_problem(path, FILTER_FILE_LIMIT)
                if problem:
                    problems.append(f"{where} {key!r}: filter file {quote(str(path))} {problem}")
    return problems


def _package_root_problems(config: Config) -> list[str]:
    """A package-root rule must not walk /proc or /sys, nor a tree of millions of files."""
    problems = []
    for rule in config.rules:
        options = rule.options
        if not isinstance(options, PackageRoot):
            continue
        where = f"{config.path}: {rule.label}: key"
        problem = _kernel_problem(options.path)
        if problem:
            problems.append(f"{where} 'path': {quote(str(options.path))} {problem}")
            continue
        for package in options.packages:
            directory = options.path.joinpath(*package.split("."))
            problem = _kernel_problem(directory)
            if problem is None and directory.is_dir():
                try:
                    count_tree(directory, Budget())
                except TooMany as exc:
                    problem = f"holds {exc}, more than any package; is 'path' right?"
            if problem:
                problems.append(
                    f"{where} 'packages': package {quote(package)} ({quote(str(directory))}) "
                    f"{problem}"
                )
    return problems


def _requirements_file_problems(config: Config) -> list[str]:
    """pip would block on a pipe, or read /dev/zero until memory runs out."""
    problems = []
    for rule in config.rules:
        if isinstance(rule.options, PipRequirementsFile):
            path = rule.options.requirements_path
            problem = regular_file_problem(path, REQUIREMENTS_FILE_LIMIT)
            if problem:
                problems.append(
                    f"{config.path}: {rule.label}: key 'requirements_path': requirements file "
                    f"{quote(str(path))} {problem}"
                )
    return problems


def _build_path_problems(config: Config) -> list[str]:
    """The build path must be a directory or creatable as one."""
    path: Path | None = config.build.build_path
    while path is not None and not path.exists():
        path = path.parent if path.parent != path else None
    if path is None or path.is_dir():
        return []
    return [
        f"{config.path}: [[build]]: key 'build_path' is {quote(str(config.build.build_path))}, "
        f"but {quote(str(path))} exists and is not a directory"
    ]
