"""The source tree's dependencies point one way: a stage imports only the stages before it.

docs/architecture.md promises it; this test keeps it true. Every ``import`` of a
``pyoxidizer`` module counts, at module level or inside a function, ``TYPE_CHECKING``
blocks included: a value type borrowed from a later stage is still a dependency on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pyoxidizer

PACKAGE = Path(pyoxidizer.__file__).parent

# Private helpers shared by every stage: they import no stage.
HELPERS = ("errors", "_fs", "_proc", "_elf", "_report", "_toml", "_walk")
# Pipeline order; commands and the command line come after the whole pipeline. ``runtime``
# comes first: the build imports its contract, and it imports nothing of the build.
ORDER = (
    "runtime",
    "config",
    "pythondist",
    "preflight",
    "collect",
    "compile",
    "payload",
    "launcher",
    "assemble",
    "pipeline",
    "commands",
    "cli",
    "__main__",
)


def _part(path: Path) -> str:
    """The helper, stage or command group a source file belongs to."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom) and node.level and node.module:
            # Relative: resolve against the file's package.
            base = path.relative_to(PACKAGE).parent.parts
            base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
            names = [".".join(("pyoxidizer", *base, node.module))]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pyoxidizer" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_every_module_belongs_to_a_known_part() -> None:
    parts = {_part(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert parts <= set(HELPERS) | set(ORDER), sorted(parts - set(HELPERS) - set(ORDER))


def test_stages_import_only_helpers_and_earlier_stages() -> None:
    rank = {name: i for i, name in enumerate(ORDER)}
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _part(path)
        if own == "__init__":
            continue
        for line, imported in _imported_parts(path):
            if imported == own or imported == "__init__":
                continue
            if own in HELPERS:
                allowed = imported in HELPERS
            elif own == "runtime":
                allowed = False  # runs inside the executable: only builtin and frozen modules
            else:
                allowed = imported in HELPERS or rank[imported] < rank[own]
            if not allowed:
                upward.append(f"{path.relative_to(PACKAGE)}:{line}: {own} imports {imported}")
    assert upward == []
