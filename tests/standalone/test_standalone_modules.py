"""Splitting a (tiny, synthetic) CPython build tree into core objects and extension entries."""

from __future__ import annotations

from pathlib import Path

from test_standalone_setupfiles import _member

from pyoxidizer.pythondist.builder.licenses import LicenseInfo
from pyoxidizer.pythondist.builder.metadata import Link
from pyoxidizer.pythondist.builder.modules import collect_modules

CONFIG_C = """
struct _inittab _PyImport_Inittab[] = {
    {"posix", PyInit_posix},
    {"_ssl", PyInit__ssl},
    {"_decimal", PyInit__decimal},
    {"marshal", PyMarshal_Init},
    {0, 0}
};"""
MAKEFILE = """\
LIBRARY= libpython3.11.a
LIBS= -ldl
SYSLIBS= -lm
MODULE__SSL_LDFLAGS=-L/p/lib -lssl -lcrypto
MODULE__DECIMAL_LDFLAGS=-lm Modules/_decimal/libmpdec/libmpdec.a
MODULE__GDBM_STATE=missing
MODULE__SCPROXY_STATE=n/a
"""
OBJECTS = [
    "Python/ceval.o",
    "Objects/listobject.o",
    "Modules/main.o",
    "Modules/config.o",
    "Modules/getpath_noop.o",
    "Modules/posixmodule.o",
    "Modules/_ssl.o",
    "Modules/_decimal/_decimal.o",
    "Python/context.o",
    # libmpdec's own context.o shares a libpython member's name; it is not core.
    "Modules/_decimal/libmpdec/context.o",
]


def _tree(root: Path) -> Path:
    (root / "Modules" / "_decimal" / "libmpdec").mkdir(parents=True)
    for obj in OBJECTS:
        (root / obj).parent.mkdir(parents=True, exist_ok=True)
        (root / obj).write_bytes(b"o")
    (root / "Modules" / "_decimal" / "libmpdec" / "libmpdec.a").write_bytes(b"!<arch>\n")
    (root / "Modules" / "Setup.local").write_text("*disabled*\n_tkinter\n")
    (root / "Modules" / "Setup.stdlib").write_text(
        "*static*\n_ssl _ssl.c\n_decimal _decimal/_decimal.c\n"
    )
    (root / "Modules" / "Setup.bootstrap").write_text("*static*\nposix posixmodule.c\n")
    (root / "Modules" / "config.c").write_text(CONFIG_C)
    (root / "Makefile").write_text(MAKEFILE)
    members = ["ceval.o", "context.o", "listobject.o", "main.o", "config.o", "posixmodule.o"]
    ar = b"!<arch>\n" + b"".join(_member(m.encode() + b"/", b"o") for m in members)
    (root / "libpython3.11.a").write_bytes(ar)
    return root


def test_split(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    (prefix / "lib").mkdir(parents=True)
    for lib in ("ssl", "crypto"):
        (prefix / "lib" / f"lib{lib}.a").write_bytes(b"!<arch>\n")
    openssl = LicenseInfo("openssl", ("Apache-2.0",), "licenses/LICENSE.openssl.txt", False)
    layout = collect_modules(
        _tree(tmp_path / "b"),
        prefix,
        {"ssl": openssl, "crypto": openssl},
        {"_tkinter": "no Tcl/Tk"},
    )
    assert layout.core_objects == (
        "Modules/main.o",
        "Objects/listobject.o",
        "Python/ceval.o",
        "Python/context.o",
    )
    assert layout.core_links == (Link("dl"), Link("m"))
    ext = {e.name: e for e in layout.extensions}
    assert ext["_ssl"].objs == ("build/extensions/_ssl/_ssl.o",)
    assert ext["_ssl"].links == (
        Link("ssl", "build/lib/libssl.a"),
        Link("crypto", "build/lib/libcrypto.a"),
    )
    assert ext["_ssl"].licenses == ("Apache-2.0",) and not ext["_ssl"].required
    assert ext["_decimal"].links == (Link("m"), Link("mpdec", "build/lib/libmpdec.a"))
    assert ext["posix"].required and ext["marshal"].in_core
    assert layout.object_sources["build/extensions/_decimal/_decimal/_decimal.o"] == (
        "Modules/_decimal/_decimal.o"
    )
    assert set(layout.archives) == {"ssl", "crypto", "mpdec"}
    assert layout.not_built == {
        "_gdbm": "configure did not find the library or header it needs for this target",
        "_tkinter": "no Tcl/Tk",
    }
