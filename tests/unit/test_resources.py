"""The resource collector and the directory scanner behind the file-based rules."""

from __future__ import annotations

from pathlib import Path

from pyoxidizer.collect.resources import (
    ExtensionModule,
    ModuleSource,
    ResourceCollector,
    matches_excludes,
)
from pyoxidizer.collect.rules.scan import scan_package, scan_root
from pyoxidizer.collect.rules.stdlib import is_test_module


def _module(name: str, source: bytes = b"", package: bool = False) -> ModuleSource:
    return ModuleSource(name, source, package, None)


def test_last_write_wins_and_is_recorded() -> None:
    collector = ResourceCollector()
    collector.add(_module("a", b"first"), "rule 1")
    collector.add(_module("a", b"second"), "rule 2")
    assert collector.modules["a"].source == b"second"
    assert [(d.rule, d.action) for d in collector.decisions] == [
        ("rule 1", "added"),
        ("rule 2", "replaced"),
    ]


def test_a_module_replaces_an_extension_of_the_same_name() -> None:
    collector = ResourceCollector()
    collector.add(ExtensionModule("fast", b"\x7fELF", None), "r1")
    collector.add(_module("fast"), "r2")
    assert "fast" not in collector.extensions and "fast" in collector.modules


def test_missing_parent_packages_are_created() -> None:
    collector = ResourceCollector()
    collector.add(_module("ns.deep.leaf"), "r")
    collector.add_missing_parents()
    assert collector.modules["ns"].is_package and collector.modules["ns.deep"].is_package
    assert collector.modules["ns"].source == b""
    assert any(d.reason == "missing parent of ns.deep.leaf" for d in collector.decisions)


def test_excludes_match_names_and_subpackages_only() -> None:
    assert matches_excludes("foo", ["foo"])
    assert matches_excludes("foo.bar", ["foo"])
    assert not matches_excludes("foofoo", ["foo"])
    assert not matches_excludes("bar.foo", ["foo"])


def test_scan_names_modules_packages_extensions_and_resources(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "data" / "nested").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "_speed.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (pkg / "data" / "nested" / "t.json").write_text("{}")
    (pkg / "my-data").mkdir()
    (pkg / "my-data" / "x.py").write_text("")  # not an identifier: a resource, not a module
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"")
    found = {
        (f.kind, f.name, f.relative_path)
        for f in scan_package(pkg, "pkg", (".cpython-311-x86_64-linux-gnu.so",))
    }
    assert found == {
        ("module", "pkg", ""),
        ("module", "pkg.mod", ""),
        ("module", "pkg.sub", ""),
        ("extension", "pkg._speed", ""),
        ("resource", "pkg.data.nested", "t.json"),
        ("resource", "pkg", "my-data/x.py"),
    }


def test_scan_root_treats_site_packages_and_egg_dirs(tmp_path: Path) -> None:
    (tmp_path / "top.py").write_text("")
    (tmp_path / "site-packages" / "hidden").mkdir(parents=True)
    (tmp_path / "site-packages" / "hidden" / "__init__.py").write_text("")
    (tmp_path / "lib" / "thing.egg").mkdir(parents=True)
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "thing.egg" / "PKG-INFO").write_text("x")
    found = {(f.kind, f.name, f.relative_path) for f in scan_root(tmp_path, (".so",))}
    assert found == {
        ("module", "top", ""),
        ("module", "lib", ""),
        ("resource", "lib", "thing.egg/PKG-INFO"),
    }


def test_stdlib_test_modules_are_recognised() -> None:
    assert is_test_module("test") and is_test_module("test.support")
    assert is_test_module("idlelib.idle_test.test_x") and is_test_module("ctypes.test")
    assert is_test_module("lib2to3.tests.data")
    assert (
        not is_test_module("unittest")
        and not is_test_module("doctest")
        and not is_test_module("testing")
    )
