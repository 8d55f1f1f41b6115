"""Make the tiny ELF files in this directory (run it from anywhere; needs gcc on x86_64 Linux).

    python3 tests/data/elf/make_fixtures.py

The compiled fixtures are real linker output, stripped and without build IDs so they stay
small; the synthetic ones are a bare ELF header plus a PT_INTERP segment, for machines
and C libraries this project's machines cannot link for. The tests only read these files.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL = [
    "-Os",
    "-s",
    "-Wl,--build-id=none",
    "-Wl,-z,noseparate-code",
    "-fno-asynchronous-unwind-tables",
]

SOURCES = {
    # A dynamically linked PIE: getrandom() is GLIBC_2.25, fmod() comes from libm.
    "dynamic-glibc": (
        "#include <math.h>\n#include <sys/random.h>\n"
        "int main(int c, char **v) { char b[4]; (void)v;"
        " return (int)getrandom(b, sizeof b, 0) + (int)fmod(c, 3.0); }\n",
        ["-lm"],
    ),
    # No C library at all: _start makes the exit system call itself.
    "static-nolibc": (
        'void _start(void) { __asm__ volatile("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n',
        ["-static", "-nostdlib"],
    ),
    # What CPython 3.11+ exports from libpython: PY_VERSION_HEX of 3.13.0rc2.
    "pyversion-symbol.so": (
        "const unsigned long Py_Version = 0x030D00C2UL;\n",
        ["-shared", "-fPIC"],
    ),
    # What a 3.10 launcher holds instead: the version at the end of a .rodata string.
    "pyversion-rodata.so": (
        'const char *const prefix = "/opt/python/3.10.13";\n'
        "const char *get(void) { return prefix; }\n",
        ["-shared", "-fPIC"],
    ),
}


def compile_fixture(name: str, source: str, flags: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp, "fixture.c")
        c_file.write_text(source)
        subprocess.run(["gcc", *SMALL, str(c_file), "-o", str(HERE / name), *flags], check=True)


def synthetic(bits: int, big_endian: bool, machine: int, interpreter: bytes) -> bytes:
    """An ELF header, one program header (PT_INTERP) and the interpreter path."""
    order = ">" if big_endian else "<"
    ehsize, phentsize = (52, 32) if bits == 32 else (64, 56)
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 2 if big_endian else 1, 1]) + bytes(9)
    addr = "I" if bits == 32 else "Q"
    header = struct.pack(
        f"{order}16sHHI{addr}{addr}{addr}IHHHHHH",
        ident,
        2,
        machine,
        1,
        0,
        ehsize,
        0,
        0,
        ehsize,
        phentsize,
        1,
        0,
        0,
        0,
    )
    offset, size = ehsize + phentsize, len(interpreter) + 1
    if bits == 32:
        phdr = struct.pack(f"{order}IIIIIIII", 3, offset, 0, 0, size, size, 4, 1)
    else:
        phdr = struct.pack(f"{order}IIQQQQQQ", 3, 4, offset, 0, 0, size, size, 1)
    return header + phdr + interpreter + b"\0"


def main() -> None:
    for name, (source, flags) in SOURCES.items():
        compile_fixture(name, source, flags)
    # musl's loader on x86_64 (EM_X86_64 = 62); no dynamic section, so no DT_NEEDED.
    (HERE / "musl-interp").write_bytes(synthetic(64, False, 62, b"/lib/ld-musl-x86_64.so.1"))
    # 32-bit big-endian PowerPC (EM_PPC = 20).
    (HERE / "ppc32-big-endian").write_bytes(synthetic(32, True, 20, b"/lib/ld.so.1"))


if __name__ == "__main__":
    main()
