"""Reading CPython's build decisions: Setup files, Makefile variables, inittab, ar members."""

from __future__ import annotations

from pyoxidizer.pythondist.builder.ar import member_names, normalized
from pyoxidizer.pythondist.builder.setupfiles import (
    effective_rules,
    expand,
    inittab,
    makefile_variables,
    module_link_words,
)

LOCAL = """\
*static*
_ctypes _ctypes/_ctypes.c _ctypes/callbacks.c \\
  -DHAVE_FFI_PREP_CIF_VAR=1 -I/p/include -lffi -ldl
*disabled*
_tkinter
"""
STDLIB = """\
*static*
array arraymodule.c
_ctypes _ctypes/other.c
_decimal _decimal/_decimal.c
#_gdbm _gdbmmodule.c
*shared*
xxlimited xxlimited.c
"""
MAKEFILE = """\
LIBMPDEC_A= Modules/_decimal/libmpdec/libmpdec.a
LIBMPDEC_LDFLAGS= -lm $(LIBMPDEC_A)
MODULE__DECIMAL_LDFLAGS=$(LIBMPDEC_LDFLAGS)
\techo not a variable
"""


def test_first_rule_wins_and_sections_are_kept() -> None:
    rules = effective_rules([("Setup.local", LOCAL), ("Setup.stdlib", STDLIB)])
    ctypes = rules["_ctypes"]
    assert ctypes.origin == "Setup.local"
    assert ctypes.objects == ("Modules/_ctypes/_ctypes.o", "Modules/_ctypes/callbacks.o")
    assert ctypes.libraries == ("ffi", "dl") and ctypes.explicit_flags
    assert rules["_tkinter"].section == "disabled"
    assert rules["xxlimited"].section == "shared"
    assert "_gdbm" not in rules
    assert not rules["array"].explicit_flags


def test_link_words_come_from_configure() -> None:
    variables = makefile_variables(MAKEFILE)
    assert module_link_words("_decimal", variables) == [
        "-lm",
        "Modules/_decimal/libmpdec/libmpdec.a",
    ]
    assert expand("$(NOPE)x", variables) == "x"


def test_inittab() -> None:
    config_c = """
struct _inittab _PyImport_Inittab[] = {
    {"array", PyInit_array},
    {"marshal", PyMarshal_Init},
    {"builtins", NULL},
    {0, 0}
};"""
    assert inittab(config_c) == {
        "array": "PyInit_array",
        "marshal": "PyMarshal_Init",
        "builtins": None,
    }


def _member(name: bytes, body: bytes) -> bytes:
    header = name.ljust(16) + b"0".ljust(12) + b"0".ljust(6) + b"0".ljust(6) + b"644".ljust(8)
    header += str(len(body)).encode().ljust(10) + b"`\n"
    return header + body + (b"\n" if len(body) % 2 else b"")


def test_ar_member_names() -> None:
    long_names = b"a_very_long_object_name.o/\n"
    data = (
        b"!<arch>\n"
        + _member(b"/", b"\0\0\0\0")
        + _member(b"//", long_names)
        + _member(b"ceval.o/", b"abc")
        + _member(b"/0", b"xy")
    )
    assert member_names(data) == ["ceval.o", "a_very_long_object_name.o"]


def test_ar_normalized_fixes_times_owners_and_modes() -> None:
    def member(name: bytes, mtime: bytes, body: bytes) -> bytes:
        header = name.ljust(16) + mtime.ljust(12) + b"1000".ljust(6) + b"1000".ljust(6)
        header += b"100664".ljust(8) + str(len(body)).encode().ljust(10) + b"`\n"
        return header + body + (b"\n" if len(body) % 2 else b"")

    early = b"!<arch>\n" + member(b"/", b"1700000000", b"\0\0") + member(b"a.o/", b"1", b"abc")
    late = b"!<arch>\n" + member(b"/", b"1800000000", b"\0\0") + member(b"a.o/", b"2", b"abc")
    assert normalized(early) == normalized(late)
    assert len(normalized(early)) == len(early)
    assert member_names(normalized(early)) == ["a.o"]
