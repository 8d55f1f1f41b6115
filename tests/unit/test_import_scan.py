"""The build's import scan: what bytecode imports, and the extension modules an app misses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pyoxidizer.collect.resources import ExtensionModule, ModuleSource, ResourceCollector
from pyoxidizer.compile import worker
from pyoxidizer.compile.bytecode import ModuleFacts
from pyoxidizer.compile.imports import ENTRY, missing_extension_warnings, resolve
from pyoxidizer.config.rules import (
    FilterInclude,
    PackagingRule,
    StdlibExtensionPolicy,
    StdlibExtensionsExplicitExcludes,
)
from tests.helpers import SUPPORTED, find_python

SOURCE = """
import a.b
from . import sibling
from ..up import thing
try:
    import guarded
except ImportError:
    guarded = None
class K:
    import in_class
def f():
    import in_function
    __import__("dynamic")
"""
IN_FUNCTION, GUARDED, DYNAMIC = worker.IN_FUNCTION, worker.GUARDED, worker.DYNAMIC
EXPECTED = [
    ["a.b", 0, None, 0],
    ["", 1, ["sibling"], 0],
    ["up", 2, ["thing"], 0],
    ["guarded", 0, None, GUARDED],
    ["in_class", 0, None, 0],
    ["in_function", 0, None, IN_FUNCTION],
    ["dynamic", 0, None, IN_FUNCTION | DYNAMIC],
]
SCRIPT = f"""
import json, sys
sys.path.insert(0, {str(Path(worker.__file__).parent)!r})
import worker
code = compile({SOURCE!r}, "m.py", "exec")
print(json.dumps(worker.imports_of(code)))
"""


@pytest.mark.parametrize("version", SUPPORTED)
def test_bytecode_imports_with_their_flags_on_every_version(version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"CPython {version} is not installed here")
    out = subprocess.run([python, "-S", "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == EXPECTED


def test_resolve_absolute_relative_and_fromlist() -> None:
    assert resolve("pkg.mod", False, ("a.b", 0, None, 0)) == ["a", "a.b"]
    assert resolve("pkg.mod", False, ("", 1, ("x", "*"), 0)) == ["pkg", "pkg.x"]
    assert resolve("pkg", True, ("sub", 1, None, 0)) == ["pkg", "pkg.sub"]
    assert resolve("pkg.mod", False, ("up", 2, None, 0)) == []  # beyond the top level


STDLIB = Path("/dist/lib")
POLICY = PackagingRule(0, StdlibExtensionPolicy(policy="minimal"))


def _module(name: str, stdlib: bool = True) -> ModuleSource:
    origin = (STDLIB if stdlib else Path("/app")) / f"{name.replace('.', '/')}.py"
    return ModuleSource(name, b"", False, origin)


def _facts(*imports: tuple[str, int]) -> ModuleFacts:
    return ModuleFacts(b"\0" * 8, tuple((name, 0, None, flags) for name, flags in imports))


def _scan(
    collector: ResourceCollector,
    facts: dict[str, ModuleFacts],
    rules: tuple[PackagingRule, ...] = (POLICY,),
    entry: str | None = None,
) -> list[str]:
    available = ["_sock", "_lazy", "_opt", "_present", "_unused"]
    return missing_extension_warnings(collector, facts, STDLIB, available, ["sys"], rules, entry)


def _app() -> tuple[ResourceCollector, dict[str, ModuleFacts]]:
    collector = ResourceCollector()
    for module in (_module("sock"), _module("json"), _module("app", stdlib=False)):
        collector.modules[module.name] = module
    collector.extensions["_present"] = ExtensionModule("_present", b"", None)
    facts = {
        "app": _facts(("sock", IN_FUNCTION), ("json", 0), ("sys", 0)),
        "sock": _facts(("_sock", 0), ("_present", 0), ("_lazy", IN_FUNCTION)),
        "json": _facts(("_opt", GUARDED)),
    }
    return collector, facts


def test_left_out_module_imported_when_a_module_is_imported_is_reported() -> None:
    collector, facts = _app()
    (warning,) = _scan(collector, facts)
    assert warning.startswith("module sock imports _sock, a standard-library extension module")
    assert "[[packaging_rule]] #1 (type = 'stdlib-extension-policy')" in warning
    assert "policy = 'minimal'" in warning
    assert warning.endswith('includes = ["_sock"]')


def test_only_what_the_app_reaches_is_reported() -> None:
    collector, facts = _app()
    del facts["app"]
    assert _scan(collector, facts) == []  # nothing imports sock
    facts[ENTRY] = _facts(("sock", 0))
    assert len(_scan(collector, facts)) == 1  # eval code
    del facts[ENTRY]
    assert len(_scan(collector, facts, entry="sock")) == 1  # module mode


def test_the_rule_that_left_it_out_is_named() -> None:
    collector, facts = _app()
    excludes = PackagingRule(1, StdlibExtensionsExplicitExcludes(excludes=("_sock",)))
    collector.extensions["_sock"] = ExtensionModule("_sock", b"", None)
    collector.remove("extension", "_sock", excludes.label, "listed in excludes")
    (warning,) = _scan(collector, facts, (POLICY, excludes))
    assert "#2 (type = 'stdlib-extensions-explicit-excludes') left it out (listed in" in warning


def test_modules_a_filter_removed_are_the_users_choice() -> None:
    collector, facts = _app()
    trim = PackagingRule(1, FilterInclude(files=(Path("names"),)))
    collector.extensions["_sock"] = ExtensionModule("_sock", b"", None)
    collector.remove("extension", "_sock", trim.label, "not in the filter files")
    assert _scan(collector, facts, (POLICY, trim)) == []


def test_several_missing_modules_get_one_includes_line() -> None:
    collector, facts = _app()
    facts["sock"] = _facts(("_sock", 0), ("_unused", 0))
    warnings = _scan(collector, facts)
    assert warnings[-1] == 'to add all 2 of them: includes = ["_sock", "_unused"]'
