"""Reading what CPython's build decided: Setup files, Makefile variables and the inittab.

Pure text parsing, so it is unit-tested on small inline inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_VARIABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")
_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_INITTAB_ENTRY = re.compile(
    r'\{\s*"([A-Za-z_][A-Za-z0-9_.]*)"\s*,\s*([A-Za-z_][A-Za-z0-9_]*|NULL)\s*\}'
)


@dataclass(frozen=True)
class SetupRule:
    """One module line of a Setup file, as makesetup reads it."""

    name: str
    objects: tuple[str, ...]
    libraries: tuple[str, ...]
    archives: tuple[str, ...]
    explicit_flags: bool
    section: str
    origin: str


def _logical_lines(text: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", text)
    return [line.split("#", 1)[0].strip() for line in joined.splitlines()]


def _object_for(source: str) -> str:
    # makesetup compiles Modules/<dir>/<name>.c to Modules/<dir>/<name>.o.
    return "Modules/" + re.sub(r"\.(c|cc|cpp|cxx|m)$", ".o", source)


def parse_setup(text: str, origin: str) -> list[SetupRule]:
    """The module rules of one Setup file, in order, with their section."""
    rules: list[SetupRule] = []
    section = "static"
    for line in _logical_lines(text):
        if not line:
            continue
        marker = re.fullmatch(r"\*(static|shared|disabled)\*", line)
        if marker:
            section = marker.group(1)
            continue
        if "=" in line.split()[0]:
            continue  # a variable definition, not a module
        rules.extend(_rules_of_line(line.split(), section, origin))
    return rules


def _rules_of_line(words: list[str], section: str, origin: str) -> list[SetupRule]:
    names: list[str] = []
    objects: list[str] = []
    libraries: list[str] = []
    archives: list[str] = []
    explicit = False
    for word in words:
        if re.search(r"\.(c|cc|cpp|cxx|m)$", word):
            objects.append(_object_for(word))
        elif word.startswith("-l"):
            libraries.append(word[2:])
            explicit = True
        elif word.endswith(".a"):
            archives.append(word)
            explicit = True
        elif word.startswith(("-", "$")):
            explicit = True
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", word):
            names.append(word)
    return [
        SetupRule(n, tuple(objects), tuple(libraries), tuple(archives), explicit, section, origin)
        for n in names
    ]


def effective_rules(files: Iterable[tuple[str, str]]) -> dict[str, SetupRule]:
    """Merge Setup files in makesetup's order: the first rule for a module wins."""
    merged: dict[str, SetupRule] = {}
    for origin, text in files:
        for rule in parse_setup(text, origin):
            merged.setdefault(rule.name, rule)
    return merged


def makefile_variables(text: str) -> dict[str, str]:
    """Plain ``NAME= value`` assignments of a generated Makefile (last one wins)."""
    variables: dict[str, str] = {}
    for line in _logical_lines(text):
        found = _VARIABLE.match(line)
        if found and not line.startswith("\t"):
            variables[found.group(1)] = found.group(2).strip()
    return variables


def expand(value: str, variables: Mapping[str, str], depth: int = 0) -> str:
    """Expand ``$(NAME)`` references; unknown names become empty, as in make."""
    if depth > 20:
        return value
    return _REFERENCE.sub(
        lambda m: expand(variables.get(m.group(1), ""), variables, depth + 1), value
    )


def module_link_words(name: str, variables: Mapping[str, str]) -> list[str]:
    """The linker words configure chose for a Setup.stdlib module (MODULE_<NAME>_LDFLAGS)."""
    return expand(f"$(MODULE_{name.upper()}_LDFLAGS)", variables).split()


def inittab(config_c: str) -> dict[str, str | None]:
    """Module name -> init function of the ``_PyImport_Inittab`` in a generated config.c."""
    table: dict[str, str | None] = {}
    for name, function in _INITTAB_ENTRY.findall(config_c):
        table[name] = None if function == "NULL" else function
    return table


_STATE = re.compile(r"^MODULE_([A-Z0-9_]+)_STATE$")


def module_states(variables: Mapping[str, str]) -> dict[str, str]:
    """Module name -> configure's verdict (yes, missing, disabled, n/a) from MODULE_*_STATE."""
    states = {}
    for key, value in variables.items():
        found = _STATE.match(key)
        if found:
            states[found.group(1).lower()] = value.strip()
    return states
