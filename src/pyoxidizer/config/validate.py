"""Value checkers for pyoxidizer.toml keys and the table-driven key checking built on them.

A checker takes the raw TOML value and the config file's directory (for path keys) and
returns the converted value, or raises ``Invalid`` with the end of a sentence that starts
"key 'x' ...". ``check_keys`` runs the checkers of a section's schema, so every section is
checked the same way: unknown keys get a typo suggestion and every problem is collected.
"""

from __future__ import annotations

import difflib
import keyword
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import quote
from .location import APP_RELATIVE_PREFIX, EMBEDDED, AppRelative, Location

ORIGIN_TOKEN = "$ORIGIN"


class Invalid(Exception):
    """A value broke its key's contract; the message completes "key 'x' ..."."""


Check = Callable[[object, Path], object]


@dataclass(frozen=True)
class Field:
    """One key of a section schema: how to check it and what it is when absent."""

    check: Check
    default: object = None
    required: bool = False


@dataclass(frozen=True)
class Where:
    """A section instance of a config file, for the start of error messages."""

    path: Path
    section: str
    index: int  # 0-based among all sections of this name in the file
    detail: str = ""  # e.g. "(type = 'stdlib')"

    def __str__(self) -> str:
        label = f"{self.path}: [[{self.section}]] #{self.index + 1}"
        return f"{label} {self.detail}" if self.detail else label

    def key(self, name: str) -> str:
        return f"{self}: key {quote(name)}"


_SUGGEST_LIMIT = 100  # no key or value name is longer; difflib is slow on huge strings


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return "; did you mean 'x'?" for the closest candidate, or "" if none is close."""
    if len(word) > _SUGGEST_LIMIT:
        return ""
    matches = difflib.get_close_matches(word, sorted(candidates), n=1)
    return f"; did you mean {quote(matches[0])}?" if matches else ""


def check_keys(
    table: Mapping[str, object], fields: Mapping[str, Field], where: Where, problems: list[str]
) -> dict[str, object]:
    """Check every key ``table`` sets; return the valid ones converted, report the rest."""
    values: dict[str, object] = {}
    for key, raw in table.items():
        field = fields.get(key)
        if field is None:
            problems.append(f"{where.key(key)} is not a known key{did_you_mean(key, fields)}")
            continue
        try:
            _check_no_nul(raw)
            values[key] = field.check(raw, where.path.parent)
        except Invalid as exc:
            problems.append(f"{where.key(key)} {exc}")
    return values


def _check_no_nul(value: object) -> None:
    """Refuse a NUL character in any string of ``value``, table keys included.

    Every string may become a path, a command-line argument or an environment value, and
    none of those can hold a NUL.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\0" in item:
            raise Invalid(f"must not contain a NUL character (got {quote(item)})")
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())


def fill_defaults(
    values: Mapping[str, object],
    table: Mapping[str, object],
    fields: Mapping[str, Field],
    where: Where,
    problems: list[str],
) -> dict[str, object]:
    """Add each absent key's default; report absent required keys (but not invalid ones)."""
    filled = dict(values)
    for key, field in fields.items():
        if key in table:
            continue
        if field.required:
            problems.append(f"{where}: missing required key {quote(key)}")
        else:
            filled[key] = dict(field.default) if isinstance(field.default, dict) else field.default
    return filled


# --- describing values -------------------------------------------------------------------


def got(value: object) -> str:
    """Render a TOML value for "(got ...)" in a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a date/time {value}"


def _expect(ok: bool, expected: str, value: object) -> None:
    if not ok:
        raise Invalid(f"must be {expected} (got {got(value)})")


# --- scalar checkers ---------------------------------------------------------------------


def boolean(value: object, origin: Path) -> bool:
    _expect(isinstance(value, bool), "true or false", value)
    assert isinstance(value, bool)
    return value


def string(value: object, origin: Path) -> str:
    _expect(isinstance(value, str), "a string", value)
    assert isinstance(value, str)
    return value


def nonempty_string(value: object, origin: Path) -> str:
    _expect(isinstance(value, str) and value != "", "a non-empty string", value)
    return str(value)


def optimize_level(value: object, origin: Path) -> int:
    # bool is an int subclass; TOML `true` is not an optimization level.
    ok = isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2)
    _expect(ok, "0, 1 or 2", value)
    assert isinstance(value, int)
    return value


def one_of(*choices: str) -> Check:
    """A checker accepting exactly one of ``choices`` (strings)."""
    listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {quote(choices[-1])}"

    def check(value: object, origin: Path) -> str:
        if isinstance(value, str) and value in choices:
            return value
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise Invalid(f"must be {listed} (got {got(value)}){hint}")

    return check


def sha256_hex(value: object, origin: Path) -> str:
    ok = isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value) is not None
    _expect(ok, "a SHA-256 digest of 64 hexadecimal digits", value)
    return str(value).lower()


def uuid_string(value: object, origin: Path) -> str:
    text = string(value, origin)
    try:
        uuid.UUID(text)
    except ValueError:
        raise Invalid(f"must be a UUID such as '{uuid.UUID(int=0)}' (got {quote(text)})") from None
    return text


def module_name(value: object, origin: Path) -> str:
    text = string(value, origin)
    parts = text.split(".")
    if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise Invalid(f"must be a dotted Python module name like 'pkg.main' (got {quote(text)})")
    return text


NAME_MAX = 255  # bytes in one file name on Linux file systems


def application_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an executable's file name, or None if it can."""
    if name in ("", ".", ".."):
        return f"must be a file name, not {quote(name)}"
    bad = sorted({c for c in name if c in "/\\\0"})
    if bad:
        return f"must be a file name without {' or '.join(map(repr, bad))} (got {quote(name)})"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return f"must be a file name without control characters (got {quote(name)})"
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > NAME_MAX:
        return f"must be a file name of at most {NAME_MAX} bytes (got {size} bytes: {quote(name)})"
    return None


def application_name(value: object, origin: Path) -> str:
    text = string(value, origin)
    problem = application_name_problem(text)
    if problem:
        raise Invalid(problem)
    return text


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Variables the system, the C library or Python already give a meaning: an app that treats
# one as "the directory to write module lists to" writes where nobody asked it to.
_RESERVED_ENV_NAMES = frozenset(
    "PATH HOME PWD OLDPWD SHELL USER LOGNAME TMPDIR TMP TEMP TERM TERMINFO TERMINFO_DIRS "  # noqa: SIM905
    "LANG LANGUAGE IFS MAIL HOSTNAME DISPLAY EDITOR VISUAL PAGER TZ CDPATH".split()
)
_RESERVED_ENV_PREFIXES = ("LD_", "LC_", "PYTHON", "XDG_", "SSH_", "DBUS_", "MALLOC_")


def env_var_name(value: object, origin: Path) -> str:
    """A variable this app owns: a portable name that no other software gives a meaning."""
    text = nonempty_string(value, origin)
    if _ENV_NAME.fullmatch(text) is None:
        raise Invalid(
            "must be an environment variable name of letters, digits and '_' that does not "
            f"start with a digit, such as 'PYOXIDIZER_MODULES_DIR' (got {quote(text)})"
        )
    upper = text.upper()
    if upper in _RESERVED_ENV_NAMES or upper.startswith(_RESERVED_ENV_PREFIXES):
        raise Invalid(
            f"names {quote(text)}, a variable the system or Python already uses; choose a name "
            "of the app's own, such as 'PYOXIDIZER_MODULES_DIR'"
        )
    return text


# The error handlers a Python interpreter has before any code runs: the only ones its
# standard streams can use.
STDIO_ERROR_HANDLERS = (
    "strict",
    "ignore",
    "replace",
    "backslashreplace",
    "surrogateescape",
    "surrogatepass",
    "xmlcharrefreplace",
    "namereplace",
)
_ENCODING_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")


def stdio_encoding(value: object, origin: Path) -> str:
    """'encoding' or 'encoding:errors'; whether the codec exists is asked of the target
    interpreter at build time (``preflight.py``)."""
    text = string(value, origin)
    encoding, colon, errors = text.partition(":")
    form = "'encoding:errors' such as 'utf-8:strict', or 'encoding'"
    if _ENCODING_NAME.fullmatch(encoding) is None or (colon and (not errors or ":" in errors)):
        raise Invalid(f"must look like {form} (got {quote(text)})")
    if colon and errors not in STDIO_ERROR_HANDLERS:
        hint = did_you_mean(errors, STDIO_ERROR_HANDLERS)
        listed = ", ".join(map(repr, STDIO_ERROR_HANDLERS))
        raise Invalid(f"has unknown error handler {quote(errors)}{hint} (known: {listed})")
    return text


def env_table(value: object, origin: Path) -> dict[str, str]:
    """Environment variables to set: names without '=' mapped to strings."""
    table = string_table(value, origin)
    for name in table:
        if name == "" or "=" in name:
            raise Invalid(
                f"must map environment variable names to strings (got name {quote(name)})"
            )
    return table


def module_names(value: object, origin: Path) -> tuple[str, ...]:
    """An array of dotted Python module or package names (never paths)."""
    names = string_array(value, origin)
    for number, name in enumerate(names, 1):
        try:
            module_name(name, origin)
        except Invalid:
            raise Invalid(
                f"must be an array of dotted Python package or module names like 'pkg.sub' "
                f"(item {number} is {quote(name)})"
            ) from None
    return names


def pip_requirement(value: object, origin: Path) -> str:
    """What ``pip install`` installs: a requirement, a path or a URL, never an option."""
    text = nonempty_string(value, origin)
    if text.lstrip().startswith("-"):
        raise Invalid(
            f"must be a requirement, a path or a URL, not a pip option (got {quote(text)}); "
            "options go in 'extra_args'"
        )
    return text


# pip options that choose where packages are installed: the rule installs into scratch
# space and embeds what lands there, so these would install somewhere else.
_PIP_LOCATION_OPTIONS = frozenset({"target", "prefix", "root", "user"})
# pip install's long options that share a prefix with those, so that an abbreviation is
# resolved as pip's option parser does (an exact name, or a prefix of only one option).
_PIP_NEAR_OPTIONS = (
    "target trusted-host timeout prefix pre prefer-binary progress-bar platform "  # noqa: SIM905
    "python-version proxy root root-user-action requirement require-hashes retries report "
    "user upgrade upgrade-strategy use-pep517 use-feature use-deprecated".split()
)
_PIP_SHORT_WITH_VALUE = "rceif"  # short options whose value may follow in the same word


def _pip_option_moves_install(arg: str) -> bool:
    if arg.startswith("--"):
        name = arg[2:].partition("=")[0]
        if name in _PIP_NEAR_OPTIONS:
            return name in _PIP_LOCATION_OPTIONS
        matches = [option for option in _PIP_NEAR_OPTIONS if option.startswith(name)]
        return bool(name) and len(matches) == 1 and matches[0] in _PIP_LOCATION_OPTIONS
    if arg.startswith("-"):
        for letter in arg[1:]:  # -qt DIR is -q -t DIR
            if letter == "t":
                return True
            if letter in _PIP_SHORT_WITH_VALUE:
                return False
    return False


def pip_arguments(value: object, origin: Path) -> tuple[str, ...]:
    """Extra pip arguments; refuses those that move the installation elsewhere."""
    args = string_array(value, origin)
    for number, arg in enumerate(args, 1):
        if _pip_option_moves_install(arg):
            raise Invalid(
                f"item {number} ({quote(arg)}) would make pip install somewhere other than "
                "the build's scratch directory, whose content is what gets embedded"
            )
    return args


# --- paths -------------------------------------------------------------------------------


PATH_MAX = 4096  # bytes in a path the kernel accepts


def path_text(value: object, origin: Path) -> str:
    """A non-empty string short enough to be a path."""
    text = nonempty_string(value, origin)
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > PATH_MAX:
        raise Invalid(
            f"must be a path of at most {PATH_MAX} bytes (got {size} bytes: {quote(text)})"
        )
    return text


def resolve_path(text: str, origin: Path) -> Path:
    """Expand ``$ORIGIN`` to the config directory and make ``text`` absolute against it."""
    path = Path(text.replace(ORIGIN_TOKEN, str(origin)))
    return path if path.is_absolute() else origin / path


def config_path(value: object, origin: Path) -> Path:
    return resolve_path(path_text(value, origin), origin)


def relative_path_problem(text: str) -> str | None:
    """Why ``text`` is not a path that stays below its base directory, or None."""
    if text.startswith(("/", "\\")) or PureWindowsPath(text).drive:
        return f"must be a relative path (got {quote(text)})"
    if ".." in PurePosixPath(text.replace("\\", "/")).parts:
        return f"must not contain '..' (got {quote(text)})"
    return None


def app_relative_path(value: object, origin: Path) -> str:
    """A path relative to the application directory; "" means the directory itself."""
    text = string(value, origin)
    problem = relative_path_problem(text)
    if problem:
        raise Invalid(problem)
    return text


def install_location(value: object, origin: Path) -> Location:
    text = string(value, origin)
    if text == str(EMBEDDED):
        return EMBEDDED
    if not text.startswith(APP_RELATIVE_PREFIX):
        hint = did_you_mean(text, (str(EMBEDDED),))
        raise Invalid(f"must be 'embedded' or 'app-relative:<path>' (got {quote(text)}){hint}")
    relative = text[len(APP_RELATIVE_PREFIX) :]
    problem = relative_path_problem(relative) if relative else "must not be empty"
    if problem:
        raise Invalid(f"has an app-relative path that {problem}")
    return AppRelative(relative)


# --- arrays and tables -------------------------------------------------------------------


def string_array(value: object, origin: Path) -> tuple[str, ...]:
    _expect(isinstance(value, list), "an array of strings", value)
    assert isinstance(value, list)
    for number, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise Invalid(f"must be an array of strings (item {number} is {got(item)})")
    return tuple(value)


def string_table(value: object, origin: Path) -> dict[str, str]:
    _expect(isinstance(value, dict), "a table of strings", value)
    assert isinstance(value, dict)
    for key, item in value.items():
        if not isinstance(item, str):
            raise Invalid(f"must be a table of strings (key {quote(key)} is {got(item)})")
    return dict(value)


def config_paths(value: object, origin: Path) -> tuple[Path, ...]:
    texts = [path_text(text, origin) for text in string_array(value, origin)]
    return tuple(resolve_path(text, origin) for text in texts)


def glob_patterns(value: object, origin: Path) -> tuple[str, ...]:
    texts = [path_text(text, origin) for text in string_array(value, origin)]
    return tuple(str(resolve_path(text, origin)) for text in texts)
