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
        return f"{self}: key {name!r}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return "; did you mean 'x'?" for the closest candidate, or "" if none is close."""
    matches = difflib.get_close_matches(word, sorted(candidates), n=1)
    return f"; did you mean {matches[0]!r}?" if matches else ""


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
            values[key] = field.check(raw, where.path.parent)
        except Invalid as exc:
            problems.append(f"{where.key(key)} {exc}")
    return values


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
            problems.append(f"{where}: missing required key {key!r}")
        else:
            filled[key] = dict(field.default) if isinstance(field.default, dict) else field.default
    return filled


# --- describing values -------------------------------------------------------------------


def got(value: object) -> str:
    """Render a TOML value for "(got ...)" in a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
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
    listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"

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
        raise Invalid(f"must be a UUID such as '{uuid.UUID(int=0)}' (got {text!r})") from None
    return text


def module_name(value: object, origin: Path) -> str:
    text = string(value, origin)
    parts = text.split(".")
    if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise Invalid(f"must be a dotted Python module name like 'pkg.main' (got {text!r})")
    return text


def application_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an executable's file name, or None if it can."""
    if name in ("", ".", ".."):
        return f"must be a file name, not {name!r}"
    bad = sorted({c for c in name if c in "/\\\0"})
    if bad:
        return f"must be a file name without {' or '.join(map(repr, bad))} (got {name!r})"
    return None


def application_name(value: object, origin: Path) -> str:
    text = string(value, origin)
    problem = application_name_problem(text)
    if problem:
        raise Invalid(problem)
    return text


def env_var_name(value: object, origin: Path) -> str:
    text = nonempty_string(value, origin)
    if "=" in text or "\0" in text:
        raise Invalid(f"must be an environment variable name without '=' (got {text!r})")
    return text


def stdio_encoding(value: object, origin: Path) -> str:
    text = string(value, origin)
    parts = text.split(":")
    if len(parts) > 2 or not all(parts):
        raise Invalid(f"must look like 'encoding:errors' or 'encoding' (got {text!r})")
    return text


# --- paths -------------------------------------------------------------------------------


def resolve_path(text: str, origin: Path) -> Path:
    """Expand ``$ORIGIN`` to the config directory and make ``text`` absolute against it."""
    path = Path(text.replace(ORIGIN_TOKEN, str(origin)))
    return path if path.is_absolute() else origin / path


def config_path(value: object, origin: Path) -> Path:
    return resolve_path(nonempty_string(value, origin), origin)


def relative_path_problem(text: str) -> str | None:
    """Why ``text`` is not a path that stays below its base directory, or None."""
    if text.startswith(("/", "\\")) or PureWindowsPath(text).drive:
        return f"must be a relative path (got {text!r})"
    if ".." in PurePosixPath(text.replace("\\", "/")).parts:
        return f"must not contain '..' (got {text!r})"
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
        raise Invalid(f"must be 'embedded' or 'app-relative:<path>' (got {text!r}){hint}")
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
            raise Invalid(f"must be a table of strings (key {key!r} is {got(item)})")
    return dict(value)


def config_paths(value: object, origin: Path) -> tuple[Path, ...]:
    return tuple(resolve_path(text, origin) for text in string_array(value, origin))


def glob_patterns(value: object, origin: Path) -> tuple[str, ...]:
    return tuple(str(resolve_path(text, origin)) for text in string_array(value, origin))
