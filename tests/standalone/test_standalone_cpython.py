"""The CPython recipe's generated inputs: makesetup-safe Setup.local, Setup.stdlib switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyoxidizer.errors import StandaloneBuildError
from pyoxidizer.pythondist.builder.cpython import (
    LEFT_OUT,
    _install_missing_tests,
    ctypes_for_static,
    setup_local,
    use_setup_stdlib,
)
from pyoxidizer.pythondist.builder.setupfiles import parse_setup

CONFIGURE = """\
case $ac_sys_system in #(
  Emscripten) :
    MODULES_SETUP_STDLIB=Modules/Setup.stdlib ;; #(
  *) :
    MODULES_SETUP_STDLIB=
 ;;
esac
"""


def test_setup_local_is_makesetup_safe() -> None:
    text = setup_local(Path("/w/prefix"))
    for line in text.splitlines():
        # makesetup copies lines with "=" into the Makefile and knows no continuations.
        assert "=" not in line and not line.endswith("\\"), line
    rules = {r.name: r for r in parse_setup(text, "Setup.local")}
    assert rules["_ctypes"].libraries == ("ffi", "dl")
    assert rules["_curses_panel"].libraries == ("panelw", "ncursesw")
    assert {n for n, r in rules.items() if r.section == "disabled"} == set(LEFT_OUT)


def test_setup_stdlib_switch() -> None:
    patched = use_setup_stdlib(CONFIGURE)
    assert "  *) :\n    MODULES_SETUP_STDLIB=Modules/Setup.stdlib\n ;;" in patched


def test_setup_stdlib_switch_missing() -> None:
    with pytest.raises(StandaloneBuildError, match="MODULES_SETUP_STDLIB"):
        use_setup_stdlib("#!/bin/sh\n")


def test_ctypes_for_static_keeps_going_without_a_loader() -> None:
    source = 'if x:\n    pythonapi = PyDLL("libpython")\nelse:\n    pythonapi = PyDLL(None)\n'
    patched = ctypes_for_static(source)
    namespace: dict[str, object] = {"x": False}

    def no_loader(name: object) -> object:
        raise OSError("Dynamic loading not supported")

    namespace["PyDLL"] = no_loader
    exec(patched, namespace)
    assert namespace["pythonapi"] is None


def test_ctypes_for_static_needs_the_known_source() -> None:
    with pytest.raises(StandaloneBuildError, match="pythonapi"):
        ctypes_for_static("pythonapi = 1\n")


def test_missing_test_packages_are_installed(tmp_path: Path) -> None:
    lib, stdlib = tmp_path / "Lib", tmp_path / "install"
    for package in ("test", "test/test_sqlite3", "test/test_json"):
        (lib / package).mkdir(parents=True)
        (lib / package / "__init__.py").write_text("")
    (lib / "test" / "test_sqlite3" / "test_dbapi.py").write_text("x = 1\n")
    (stdlib / "test" / "test_json").mkdir(parents=True)
    (stdlib / "test" / "__init__.py").write_text("")
    _install_missing_tests(lib, stdlib)
    assert (stdlib / "test" / "test_sqlite3" / "test_dbapi.py").read_text() == "x = 1\n"
    assert not (stdlib / "test" / "test_json" / "__init__.py").exists()
