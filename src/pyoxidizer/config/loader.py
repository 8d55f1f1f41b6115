"""Find, read and validate pyoxidizer.toml files (spec chapter 7).

Reading (``read_config_file``) is separate from validating (``validate_config``), which is
pure: it turns the parsed TOML into the frozen values of ``schema.py`` or raises one
``ConfigError`` listing every problem, each naming the file, the section and the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar, cast

from .._toml import TOMLDecodeError
from .._toml import loads as toml_loads
from ..errors import ConfigError, quote
from . import validate as v
from .location import AppRelative
from .rules import (
    DISTRIBUTION_TYPES,
    RULE_TYPES,
    TYPE_ALIASES,
    DistributionOptions,
    DistributionSection,
    FileBasedPackages,
    PackagingRule,
    RuleOptions,
    Section,
    WriteLicenseFiles,
)
from .schema import (
    BuildConfig,
    Config,
    EmbeddedPythonConfig,
    PythonDistributionConfig,
    RunConfig,
)
from .sections import (
    BUILD_FIELDS,
    BUILD_TARGET,
    EMBEDDED_FIELDS,
    PYTHON_DISTRIBUTION_FIELDS,
    RUN_FIELDS,
    RUN_MODE_KEYS,
)

CONFIG_FILE_NAME = "pyoxidizer.toml"
ENV_VAR = "PYOXIDIZER_CONFIG"

MERGED_SECTIONS: Mapping[str, Mapping[str, v.Field]] = {
    "build": BUILD_FIELDS,
    "python_distribution": PYTHON_DISTRIBUTION_FIELDS,
    "embedded_python_config": EMBEDDED_FIELDS,
    "embedded_python_run": RUN_FIELDS,
}
TYPED_SECTIONS: Mapping[str, Mapping[str, type[Section]]] = {
    "packaging_rule": RULE_TYPES,
    "distribution": DISTRIBUTION_TYPES,
}
SECTIONS = (*MERGED_SECTIONS, *TYPED_SECTIONS)

_T = TypeVar("_T", PythonDistributionConfig, EmbeddedPythonConfig, RunConfig)

Tables = dict[str, list[tuple[v.Where, dict[str, object]]]]


# --- finding and reading -----------------------------------------------------------------


def find_config_file(start: Path | None, env_value: str | None, cwd: Path) -> Path:
    """Locate the config file as spec 7.1 says.

    ``env_value`` is the value of ``PYOXIDIZER_CONFIG`` (the caller reads the environment);
    when set it wins. Otherwise ``start`` (default ``cwd``) is the file itself or the
    directory where the search for ``pyoxidizer.toml`` starts before walking up.
    """
    if env_value:
        path = cwd / env_value
        if not path.is_file():
            raise ConfigError([f"{ENV_VAR} names {path}, which is not an existing file"])
        return path
    path = cwd / start if start is not None else cwd
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigError([f"{path} is neither a config file nor a directory"])
    for directory in (path, *path.parents):
        if (directory / CONFIG_FILE_NAME).is_file():
            return directory / CONFIG_FILE_NAME
    raise ConfigError([f"no {CONFIG_FILE_NAME} found in {path} or any of its parent directories"])


def read_config_file(path: Path) -> dict[str, object]:
    """Parse ``path`` as TOML; unreadable or malformed files become a ``ConfigError``."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not valid UTF-8 text (byte {exc.start})"]) from None
    try:
        return toml_loads(text)
    except TOMLDecodeError as exc:
        raise ConfigError([_toml_error_message(path, exc)]) from None
    except RecursionError:
        raise ConfigError([_too_deep_message(path, text)]) from None


def _toml_error_message(path: Path, exc: ValueError) -> str:
    message = str(exc)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found is None:
        return f"{path}: invalid TOML: {message}"
    line, column = found.groups()
    return f"{path}: line {line}, column {column}: invalid TOML: {message[: found.start()]}"


def _too_deep_message(path: Path, text: str) -> str:
    line, depth, section, key = _deepest_nesting(text)
    where = f"[[{section}]]: " if section else ""
    what = f"key {quote(key)}" if key else "a value"
    return (
        f"{path}: line {line}: {where}{what} nests arrays or inline tables {depth} levels "
        "deep, more than the TOML parser can read (a value of this file is at most an array "
        "or a table of strings)"
    )


def _deepest_nesting(text: str) -> tuple[int, int, str | None, str | None]:
    """(line, depth, section, key) of the most deeply nested value in ``text``.

    A rough TOML scanner, used only to point at the place after the parser gave up: it
    skips comments and strings and counts brackets and braces.
    """
    depth = deepest = 0
    line = 1
    found: tuple[int, str | None, str | None] = (1, None, None)
    section: str | None = None
    key: str | None = None
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char == "\n":
            line += 1
        elif char == "#":
            i = text.find("\n", i)
            i = end if i < 0 else i
            continue
        elif char in "\"'":
            i, line = _skip_string(text, i, line)
            continue
        elif char in "[{":
            start = text.rfind("\n", 0, i) + 1
            if depth == 0 and char == "[" and not text[start:i].strip():
                section = text[i:].split("]", 1)[0].strip("[ \t")  # a table header
            depth += 1
            if depth > deepest:
                deepest, found = depth, (line, section, key)
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "=" and depth == 0:
            key = text[text.rfind("\n", 0, i) + 1 : i].strip().strip("\"'")
        i += 1
    return found[0], deepest, found[1], found[2]


def _skip_string(text: str, i: int, line: int) -> tuple[int, int]:
    """The index after the string starting at ``i``, and the line number there."""
    quote_char = text[i]
    delimiter = quote_char * 3 if text.startswith(quote_char * 3, i) else quote_char
    j = i + len(delimiter)
    while j < len(text) and not text.startswith(delimiter, j):
        if text[j] == "\n":
            line += 1
        j += 2 if quote_char == '"' and text[j] == "\\" else 1
    return j + len(delimiter), line


def load_config(path: Path, target: str) -> Config:
    """Read and validate the config file at ``path`` for build target ``target``."""
    path = path.absolute()
    return validate_config(read_config_file(path), path, target)


# --- validating --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """One section instance after its keys were checked."""

    where: v.Where
    table: Mapping[str, object]  # as written, to tell "absent" from "present but invalid"
    values: dict[str, object]  # the valid keys, converted, without build_target
    applies: bool


def validate_config(data: Mapping[str, object], path: Path, target: str) -> Config:
    """Turn parsed TOML into a ``Config`` for ``target`` or raise every problem at once.

    ``path`` should be absolute: relative paths in the file resolve against its directory.
    """
    problems: list[str] = []
    tables = _section_tables(data, path, problems)
    checked = {
        name: [_check_section(w, t, fields, target, problems) for w, t in tables[name]]
        for name, fields in MERGED_SECTIONS.items()
    }
    config = Config(
        path=path,
        target=target,
        build=_build(checked["build"], path, target, problems),
        python_distribution=_python_distribution(checked["python_distribution"], problems),
        embedded=_embedded(checked["embedded_python_config"], problems),
        run=_run(checked["embedded_python_run"], problems),
        rules=tuple(
            PackagingRule(i, cast(RuleOptions, options))
            for i, options in _typed_sections(tables["packaging_rule"], target, problems)
        ),
        distributions=tuple(
            DistributionSection(i, cast(DistributionOptions, options))
            for i, options in _typed_sections(tables["distribution"], target, problems)
        ),
    )
    _check_stdlib_rule(tables["packaging_rule"], path, target, problems)
    _check_app_directories(config, problems)
    if problems:
        raise ConfigError(problems)
    return config


def _check_stdlib_rule(
    rules: list[tuple[v.Where, dict[str, object]]], path: Path, target: str, problems: list[str]
) -> None:
    """Spec 7.3.5: "A stdlib rule is required, as Python can't be initialized without" it.

    A stdlib rule with invalid keys was reported already, so it counts as present here.
    """
    for _, table in rules:
        build_target = table.get("build_target")
        applies = not isinstance(build_target, str) or build_target in ("all", target)
        if table.get("type") == "stdlib" and applies:
            return
    problems.append(
        f"{path}: no [[packaging_rule]] with type = 'stdlib' applies to target {target!r}; "
        "the rule is required: Python cannot start without its standard library "
        '(add [[packaging_rule]] type = "stdlib", see spec 7.3.5)'
    )


def _app_directories(options: RuleOptions) -> list[tuple[str, str]]:
    """(key, directory relative to the app directory) that a rule writes files below."""
    if isinstance(options, (WriteLicenseFiles, FileBasedPackages)):
        return [("path", options.path)]
    location = getattr(options, "install_location", None)
    return [("install_location", location.directory)] if isinstance(location, AppRelative) else []


def _check_app_directories(config: Config, problems: list[str]) -> None:
    """The executable sits in the app directory: no rule may write below its name."""
    name = config.build.application_name
    for rule in config.rules:
        for key, directory in _app_directories(rule.options):
            if PurePosixPath(directory).parts[:1] == (name,):
                problems.append(
                    f"{config.path}: {rule.label}: key {key!r} names the directory "
                    f"{quote(directory)}, but {quote(name)} in the app directory is the "
                    "executable (application_name); choose another directory"
                )


def _section_tables(data: Mapping[str, object], path: Path, problems: list[str]) -> Tables:
    """Split the document into section instances; report unknown or misshapen sections."""
    tables: Tables = {name: [] for name in SECTIONS}
    for name, value in data.items():
        if name not in tables:
            hint = v.did_you_mean(name, SECTIONS)
            problems.append(f"{path}: unknown section {name!r}{hint}")
            continue
        if isinstance(value, dict):
            problems.append(f"{path}: section [{name}] must be written [[{name}]] (see spec 7.3)")
            value = [value]  # still check its keys, as if written [[name]]
        if not isinstance(value, list):
            got = v.got(value)
            problems.append(f"{path}: {name!r} must be sections written [[{name}]] (got {got})")
            continue
        for index, item in enumerate(value):
            where = v.Where(path, name, index)
            if isinstance(item, dict):
                tables[name].append((where, item))
            else:
                problems.append(f"{where} must be a table (got {v.got(item)})")
    return tables


def _check_section(
    where: v.Where,
    table: Mapping[str, object],
    fields: Mapping[str, v.Field],
    target: str,
    problems: list[str],
) -> _Section:
    values = v.check_keys(table, fields, where, problems)
    # Spec 7.2: a section without build_target, or with "all", applies to every target.
    applies = values.pop("build_target", None) in (None, "all", target)
    return _Section(where, table, values, applies)


def _merge(
    sections: list[_Section], starts_afresh: Callable[[_Section], bool] = lambda s: False
) -> tuple[dict[str, object], dict[str, _Section]]:
    """Spec 7.2: applicable sections set their keys in order; the last write wins.

    Also returns, per key, the section that set it, for messages about the result.
    """
    values: dict[str, object] = {}
    set_by: dict[str, _Section] = {}
    for section in sections:
        if not section.applies:
            continue
        if starts_afresh(section):
            values, set_by = {}, {}
        values.update(section.values)
        set_by.update(dict.fromkeys(section.values, section))
    return values, set_by


def _build(sections: list[_Section], path: Path, target: str, problems: list[str]) -> BuildConfig:
    values, _ = _merge(sections)
    name = values.get("application_name")
    attempted = any(s.applies and "application_name" in s.table for s in sections)
    if name is None and not attempted:
        problems.append(
            f"{path}: no [[build]] section that applies to target {target!r} sets the "
            "required key 'application_name'"
        )
    default_path = v.resolve_path(f"{v.ORIGIN_TOKEN}/build", path.parent)
    build_path = values.get("build_path", default_path)
    assert isinstance(build_path, Path)
    return BuildConfig(application_name=str(name or ""), build_path=build_path)


def _python_distribution(sections: list[_Section], problems: list[str]) -> PythonDistributionConfig:
    for section in sections:
        _check_distribution_source(section, problems)
    # Each section describes one whole distribution, so the last applicable one is used
    # as a whole rather than mixing keys of different distributions.
    values, _ = _merge(sections, starts_afresh=lambda s: True)
    return _with(PythonDistributionConfig(), values)


def _check_distribution_source(section: _Section, problems: list[str]) -> None:
    keys = {"python_executable", "local_path", "url", "sha256"} & set(section.table)
    archive = keys & {"local_path", "url"}
    where = section.where
    if "python_executable" in keys and archive:
        problems.append(
            f"{where.key('python_executable')} cannot be combined with "
            f"{' or '.join(map(repr, sorted(archive)))}; use one or the other"
        )
    elif archive and "sha256" not in keys:
        problems.append(f"{where}: missing required key 'sha256' (needed with 'local_path'/'url')")
    elif "sha256" in keys and not archive:
        problems.append(f"{where.key('sha256')} needs 'local_path' or 'url' in the same section")
    elif not keys:
        problems.append(
            f"{where}: must set 'python_executable', or 'local_path' or 'url' with 'sha256'"
        )


def _embedded(sections: list[_Section], problems: list[str]) -> EmbeddedPythonConfig:
    values, set_by = _merge(sections)
    if values.get("terminfo_resolution") == "static" and not values.get("terminfo_dirs"):
        where = set_by["terminfo_resolution"].where
        problems.append(
            f"{where.key('terminfo_resolution')} is 'static', which requires 'terminfo_dirs' "
            "to be set to a non-empty string"
        )
    return _with(EmbeddedPythonConfig(), values)


def _run(sections: list[_Section], problems: list[str]) -> RunConfig:
    for section in sections:
        mode = section.values.get("mode")
        if isinstance(mode, str):
            _check_mode_keys(section, mode, problems)
    # A section that sets ``mode`` is complete by itself and replaces earlier ones; a
    # section without ``mode`` only refines keys of the mode in effect.
    values, set_by = _merge(sections, starts_afresh=lambda s: "mode" in s.table)
    mode = str(values.get("mode", RunConfig.mode))
    for key in RUN_MODE_KEYS.values():
        # Keys of a section that sets ``mode`` itself were checked by _check_mode_keys.
        if key in values and RUN_MODE_KEYS.get(mode) != key and "mode" not in set_by[key].table:
            where = set_by[key].where
            problems.append(f"{where.key(key)} is not used by mode {mode!r}, the mode in effect")
    return _with(RunConfig(), values)


def _with(default: _T, values: Mapping[str, object]) -> _T:
    """``default`` with the checked ``values`` set (each key's checker ensured its type)."""
    return replace(default, **cast(dict[str, Any], values))


def _check_mode_keys(section: _Section, mode: str, problems: list[str]) -> None:
    needed = RUN_MODE_KEYS.get(mode)
    for owner, key in RUN_MODE_KEYS.items():
        if key in section.table and key != needed:
            problems.append(
                f"{section.where.key(key)} is not used by mode {mode!r} "
                f"(only mode {owner!r} uses it)"
            )
    if needed is not None and needed not in section.table:
        problems.append(f"{section.where}: mode {mode!r} requires key {needed!r}")


def _typed_sections(
    tables: list[tuple[v.Where, dict[str, object]]], target: str, problems: list[str]
) -> list[tuple[int, Section]]:
    """Check ``[[packaging_rule]]``/``[[distribution]]`` sections; keep the applicable ones."""
    kept = []
    for where, table in tables:
        kinds = TYPED_SECTIONS[where.section]
        kind = _section_type(table, kinds, where, problems)
        if kind is None:
            continue
        where = replace(where, detail=f"(type = {table['type']!r})")
        cls = kinds[kind]
        fields = cls.fields()
        rest = {key: value for key, value in table.items() if key != "type"}
        section = _check_section(where, rest, {**BUILD_TARGET, **fields}, target, problems)
        options = v.fill_defaults(section.values, rest, fields, where, problems)
        if cls.REQUIRE_ONE_OF and not any(key in rest for key in cls.REQUIRE_ONE_OF):
            listed = " or ".join(repr(key) for key in cls.REQUIRE_ONE_OF)
            problems.append(f"{where}: must set at least one of {listed}")
        if section.applies and options.keys() == fields.keys():
            kept.append((where.index, cls(**options)))
    return kept


def _section_type(
    table: Mapping[str, object],
    kinds: Mapping[str, type[Section]],
    where: v.Where,
    problems: list[str],
) -> str | None:
    """The normalised ``type`` of a typed section, or None after reporting why not."""
    raw = table.get("type")
    if raw is None:
        problems.append(f"{where}: missing required key 'type'")
        return None
    if not isinstance(raw, str):
        problems.append(f"{where.key('type')} must be a string (got {v.got(raw)})")
        return None
    kind = TYPE_ALIASES.get(raw, raw)
    if kind not in kinds:
        hint = v.did_you_mean(raw, kinds) or f"; known types: {', '.join(sorted(kinds))}"
        problems.append(f"{where.key('type')} has unknown value {raw!r}{hint}")
        return None
    return kind
