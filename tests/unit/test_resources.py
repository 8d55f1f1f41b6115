"""The resource collector and the directory scanner behind the file-based rules."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyoxidizer.collect.resources import (
    ExtensionModule,
    ModuleSource,
    ResourceCollector,
    matches_excludes,
)
from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
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


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail instead of hanging: reading a named pipe blocked the build for ever."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("reading the package blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_pipes_sockets_devices_and_broken_links_are_left_out_with_a_warning(
    tmp_path: Path, deadline: None
) -> None:
    """Issue 13's /dev/zero filter file, in a package: such files were read (a pipe for
    ever, /dev/zero until memory ran out) or failed the build with an OSError."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "data.txt").write_text("kept")
    os.mkfifo(pkg / "queue.fifo")
    (pkg / "zero.bin").symlink_to("/dev/zero")
    (pkg / "gone.txt").symlink_to(tmp_path / "missing")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(pkg / "dev.sock"))
    collector = ResourceCollector()
    rule = "[[packaging_rule]] #3 (type = 'package-root')"
    try:
        count = add_found(scan_package(pkg, "pkg", (".so",)), FileRuleOptions(), collector, rule)
    finally:
        server.close()
    assert count == 2 and collector.resources["pkg:data.txt"].data == b"kept"
    assert sorted(collector.warnings) == [
        f"{rule}: left out {pkg}/dev.sock: it is a socket, not a regular file",
        f"{rule}: left out {pkg}/gone.txt: it cannot be read: No such file or directory",
        f"{rule}: left out {pkg}/queue.fifo: it is a named pipe, not a regular file",
        f"{rule}: left out {pkg}/zero.bin: it is a character device, not a regular file",
    ]
    assert [d.action for d in collector.decisions].count("skipped") == 4


def test_unknown_extension_names_are_quoted_each() -> None:
    from types import SimpleNamespace

    from pyoxidizer.collect.rules.extensions import _check_known
    from pyoxidizer.errors import RuleError

    dist = SimpleNamespace(
        builtin_modules=("sys",), dynload_dir=Path("/nonexistent"), standalone=None
    )
    with pytest.raises(RuleError) as caught:
        _check_known(["", "../x", "sys"], dist, "rule #3")  # type: ignore[arg-type]
    assert str(caught.value) == "rule #3: the distribution has no extension module named '', '../x'"
