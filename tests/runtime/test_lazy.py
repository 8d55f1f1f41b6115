"""Opt-in lazy module loading (lazy_module_loading), run in this interpreter on payloads
built in memory: a module's code runs at its first use, once, and what it raises is raised
there. Only import statements at the top level of a module's code, outside try and with
blocks, are deferred, so the tests run theirs through ``_module_level``."""

from __future__ import annotations

import marshal
import sys
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import InMemoryServices
from pyoxidizer.payload.writer import PayloadEntry, PayloadHeader, write_payload
from pyoxidizer.runtime import importer

RAN = "import sys\nsys._oxlz_runs.append(__name__)\n"
SOURCES = {
    "oxlz": (False, RAN + "VALUE = 42\ndef answer():\n    return VALUE\n"),
    "oxlzpkg": (True, RAN + "READY = True\n"),
    "oxlzpkg.child": (False, RAN + "from . import READY as PARENT_READY\n"),
    "oxlzpkg.quiet": (False, RAN + "Q = 1\n"),
    "oxlzbad": (False, RAN + "raise RuntimeError('broken at import')\n"),
    "oxlzslow": (False, RAN + "import time\ntime.sleep(0.2)\nDONE = True\n"),
    "oxlzself": (False, RAN + "import sys\nFIRST = 1\nSECOND = sys.modules[__name__].FIRST + 1\n"),
    "oxlzswap": (
        False,
        RAN + "class Swapped:\n    value = 'swapped'\nsys.modules[__name__] = Swapped()\n",
    ),
    "oxlzeager": (True, RAN),
    "oxlzeager.inner": (False, RAN),
}


def _entry(name: str, is_package: bool, source: str) -> PayloadEntry:
    path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    code = compile(source, f"<oxidized>/{path}", "exec", dont_inherit=True)
    return PayloadEntry(Kind.MODULE, name, marshal.dumps(code), source.encode(), is_package)


@pytest.fixture
def runs() -> Iterator[list[str]]:
    entries = [_entry(n, pkg, src) for n, (pkg, src) in SOURCES.items()]
    payload, _ = write_payload(PayloadHeader(0, 0, marshal.dumps({}), b""), entries)
    finder = importer.OxidizedFinder(importer.Payload(InMemoryServices(payload)), "/app/exe")
    finder.defer_module_code(("oxlzeager",))
    log: list[str] = []
    sys._oxlz_runs = log  # type: ignore[attr-defined]
    sys.meta_path.insert(0, finder)
    try:
        yield log
    finally:
        sys.meta_path.remove(finder)
        del sys._oxlz_runs  # type: ignore[attr-defined]
        for name in [m for m in sys.modules if m.startswith("oxlz")]:
            del sys.modules[name]


def _module_level(source: str) -> dict[str, object]:
    """Run ``source`` as the top-level code of a module; its namespace."""
    namespace: dict[str, object] = {"__name__": "oxlz_test_main"}
    exec(compile(source, "<oxlz test module>", "exec"), namespace)
    return namespace


def test_code_runs_at_first_use_and_once(runs: list[str]) -> None:
    oxlz: Any = _module_level("import oxlz")["oxlz"]
    assert runs == []
    assert oxlz.__name__ == "oxlz" and oxlz.__spec__.name == "oxlz"  # the import system's own
    assert runs == []
    assert _module_level("import oxlz")["oxlz"] is oxlz and runs == []  # again: still not run
    assert oxlz.answer() == 42
    assert runs == ["oxlz"]
    assert type(oxlz) is ModuleType  # an ordinary module once loaded
    assert oxlz.VALUE == 42 and runs == ["oxlz"]


def test_from_import_runs_the_code_at_once(runs: list[str]) -> None:
    assert _module_level("from oxlz import VALUE")["VALUE"] == 42 and runs == ["oxlz"]


def test_setting_an_attribute_runs_the_code_first(runs: list[str]) -> None:
    oxlz: Any = _module_level("import oxlz")["oxlz"]
    oxlz.VALUE = 7
    assert runs == ["oxlz"] and oxlz.answer() == 7


def test_a_submodule_runs_its_package_first(runs: list[str]) -> None:
    package: Any = _module_level("import oxlzpkg.child")["oxlzpkg"]
    assert runs == []  # finding the submodule reads only the package's __path__
    assert package.child.PARENT_READY is True
    assert runs == ["oxlzpkg", "oxlzpkg.child"]


def test_a_submodule_used_alone_still_runs_its_package_first(runs: list[str]) -> None:
    assert _module_level("from oxlzpkg.quiet import Q")["Q"] == 1
    assert runs == ["oxlzpkg", "oxlzpkg.quiet"]  # as an eager import orders them


def test_walking_sys_modules_for_import_metadata_runs_nothing(runs: list[str]) -> None:
    _module_level("import oxlz, oxlzpkg.quiet")
    for module in sys.modules.values():  # as test runners and reloaders do
        getattr(module, "__file__", None)
        getattr(module, "__path__", None)
        getattr(module, "__cached__", None)
        if hasattr(module, "__warningregistry__"):
            del module.__warningregistry__
    assert runs == []


def test_an_error_surfaces_at_first_use_and_the_module_is_forgotten(runs: list[str]) -> None:
    bad: Any = _module_level("import oxlzbad")["oxlzbad"]
    with pytest.raises(RuntimeError, match="broken at import"):
        bad.anything  # noqa: B018
    assert "oxlzbad" not in sys.modules
    with pytest.raises(RuntimeError, match="broken at import"):
        _module_level("import oxlzbad\noxlzbad.anything")
    assert runs == ["oxlzbad", "oxlzbad"]


def test_imports_in_functions_and_try_or_with_blocks_run_at_once(runs: list[str]) -> None:
    import importlib

    importlib.import_module("oxlz")  # a function's import (test helpers, plugin loaders)
    assert runs == ["oxlz"]
    _module_level("try:\n    import oxlzpkg\nexcept ImportError:\n    pass\n")
    assert runs == ["oxlz", "oxlzpkg"]  # guarded: an ImportError must be raised right here
    _module_level(
        "import contextlib\nwith contextlib.suppress(ImportError):\n    import oxlzself\n"
    )
    assert runs == ["oxlz", "oxlzpkg", "oxlzself"]
    with pytest.raises(RuntimeError, match="broken at import"):
        _module_level("def load():\n    import oxlzbad\nload()")


def test_the_modules_own_code_can_read_it_while_it_runs(runs: list[str]) -> None:
    module: Any = _module_level("import oxlzself")["oxlzself"]
    assert module.SECOND == 2 and runs == ["oxlzself"]


def test_threads_wait_for_one_run(runs: list[str]) -> None:
    slow: Any = _module_level("import oxlzslow")["oxlzslow"]
    seen: list[object] = []
    threads = [
        threading.Thread(target=lambda: seen.append(getattr(slow, "DONE", None))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert seen == [True] * 4 and runs == ["oxlzslow"]


def test_eager_modules_and_their_submodules_run_at_import(runs: list[str]) -> None:
    _module_level("import oxlzeager.inner")
    assert runs == ["oxlzeager", "oxlzeager.inner"]


def test_a_reload_runs_the_code_at_once(runs: list[str]) -> None:
    import importlib

    oxlz: Any = _module_level("import oxlz")["oxlz"]
    assert oxlz.VALUE == 42
    importlib.reload(oxlz)
    assert runs == ["oxlz", "oxlz"]


def test_a_module_that_replaces_itself_in_sys_modules_is_the_replacement(runs: list[str]) -> None:
    # Some libraries end with sys.modules[__name__] = SomeObject(); an eager import returns
    # that object, so names bound to the deferred module must reach it too.
    swap: Any = _module_level("import oxlzswap")["oxlzswap"]
    assert swap.value == "swapped" and runs == ["oxlzswap"]
    replacement = sys.modules["oxlzswap"]
    swap.extra = 1
    assert replacement.extra == 1  # type: ignore[attr-defined]
    del swap.extra
    assert not hasattr(replacement, "extra")
