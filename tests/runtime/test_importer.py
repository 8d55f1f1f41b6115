"""The in-memory importer, run in this interpreter on payloads built in memory."""

from __future__ import annotations

import ast
import marshal
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import InMemoryServices
from pyoxidizer.payload.writer import PayloadEntry, PayloadHeader, write_payload
from pyoxidizer.runtime import importer

RUNTIME = Path(importer.__file__).parent

SOURCES = {
    "oxpkg": (True, "from . import helper\nVALUE = helper.double(21)\n"),
    "oxpkg.helper": (False, "def double(x):\n    return x * 2\n"),
    "oxpkg.sub": (True, "from ..helper import double as d\n"),
    "oxpkg.sub.leaf": (False, "from .. import sub\nWHO = __name__\n"),
    "oxpkg.boom": (False, "def fail():\n    raise ValueError('kaboom')  # marker\n"),
}


def _entry(name: str, is_package: bool, source: str, with_source: bool = True) -> PayloadEntry:
    path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    code = compile(source, f"<oxidized>/{path}", "exec", dont_inherit=True)
    return PayloadEntry(
        Kind.MODULE, name, marshal.dumps(code), source.encode() if with_source else None, is_package
    )


def _finder(entries: list[PayloadEntry]) -> importer.OxidizedFinder:
    payload, _ = write_payload(PayloadHeader(0, 0, marshal.dumps({}), b""), entries)
    return importer.OxidizedFinder(importer.Payload(InMemoryServices(payload)), "/app/exe")


@pytest.fixture
def finder() -> Iterator[importer.OxidizedFinder]:
    entries = [_entry(n, pkg, src) for n, (pkg, src) in SOURCES.items()]
    entries.append(_entry("oxnosource", False, "X = 1\n", with_source=False))
    found = _finder(entries)
    sys.meta_path.insert(0, found)
    try:
        yield found
    finally:
        sys.meta_path.remove(found)
        for name in [m for m in sys.modules if m.split(".")[0] in ("oxpkg", "oxnosource")]:
            del sys.modules[name]


def test_package_and_relative_imports(finder: importer.OxidizedFinder) -> None:
    import oxpkg  # type: ignore[import-not-found]
    import oxpkg.sub.leaf  # type: ignore[import-not-found]

    assert oxpkg.VALUE == 42
    assert oxpkg.__name__ == "oxpkg" and oxpkg.__package__ == "oxpkg"
    assert oxpkg.__path__ == ["/app/exe/oxpkg"]
    assert oxpkg.__spec__.loader is finder and oxpkg.__spec__.origin is None
    assert oxpkg.sub.leaf.WHO == "oxpkg.sub.leaf"
    assert oxpkg.sub.leaf.__package__ == "oxpkg.sub"
    assert oxpkg.sub.d(2) == 4
    assert not hasattr(oxpkg, "__file__")


def test_inspect_loader_methods(finder: importer.OxidizedFinder) -> None:
    assert finder.is_package("oxpkg") and not finder.is_package("oxpkg.helper")
    assert finder.get_source("oxpkg.helper") == SOURCES["oxpkg.helper"][1]
    assert finder.get_source("oxnosource") is None
    assert finder.get_code("oxpkg.helper").co_filename == "<oxidized>/oxpkg/helper.py"
    with pytest.raises(ImportError):
        finder.get_code("nope")
    assert finder.find_spec("nope") is None


def test_traceback_shows_the_source_line(finder: importer.OxidizedFinder) -> None:
    import oxpkg.boom  # type: ignore[import-not-found]

    with pytest.raises(ValueError) as info:
        oxpkg.boom.fail()
    text = "".join(traceback.format_exception(info.value))
    assert "<oxidized>/oxpkg/boom.py" in text
    assert "raise ValueError('kaboom')  # marker" in text


def test_corrupted_blob_raises_import_error() -> None:
    entry = _entry("oxbad", False, "X = 'needle-needle'\n")
    payload, _ = write_payload(PayloadHeader(0, 0, marshal.dumps({}), b""), [entry])
    damaged = bytearray(payload)
    damaged[damaged.index(b"needle-needle")] ^= 0xFF
    found = importer.OxidizedFinder(importer.Payload(InMemoryServices(bytes(damaged))), "/x")
    with pytest.raises(ImportError, match="corrupt .the data of 'oxbad' fails its checksum"):
        found.get_code("oxbad")


# Modules the runtime may import at module level: builtin or frozen in every supported
# CPython, plus what the launcher itself provides and executes first.
ALLOWED = {
    "sys",
    "_imp",
    "_thread",
    "posix",
    "_frozen_importlib",
    "_pyoxidizer",
    "_pyoxidizer_contract",
    "_pyoxidizer_importer",
}
# Allowed only in the ``except ImportError:`` fallback used outside an executable.
FALLBACK = {"pyoxidizer.runtime"}


def _module_level_imports(body: list[ast.stmt], fallback: bool = False) -> set[tuple[str, bool]]:
    """(module, in an ImportError fallback) for every import that runs at import time."""
    found: set[tuple[str, bool]] = set()
    for node in body:
        if isinstance(node, ast.Import):
            found.update((alias.name, fallback) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add((node.module or "", fallback))
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                found |= _module_level_imports(node.body + node.orelse, fallback)
        elif isinstance(node, ast.Try):
            found |= _module_level_imports(node.body + node.orelse + node.finalbody, fallback)
            for handler in node.handlers:
                found |= _module_level_imports(handler.body, True)
    return found


@pytest.mark.parametrize("filename", ["contract.py", "importer.py", "bootstrap.py"])
def test_runtime_imports_only_builtin_or_frozen_modules(filename: str) -> None:
    imports = _module_level_imports(ast.parse((RUNTIME / filename).read_text()).body)
    plain = {name for name, fallback in imports if not fallback}
    fallbacks = {name for name, fallback in imports if fallback}
    assert plain <= ALLOWED, plain - ALLOWED
    assert fallbacks <= FALLBACK, fallbacks - FALLBACK
    if filename == "contract.py":
        assert not imports  # it runs first: nothing else exists yet
