"""ELF facts a user needs before shipping a binary: machine, loader, libraries, symbol versions.

The file is read through pyelftools (a maintained parser) over a byte stream; this module
adds only the checks pyelftools leaves to its caller (is every header inside the file?) and
turns its exceptions into one-sentence ``AnalyzeError``s that name the file.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from pyoxidizer.errors import AnalyzeError

ELF_MAGIC = b"\x7fELF"

# e_machine names as pyelftools spells them -> the names users know (uname -m style).
MACHINES = {
    "EM_X86_64": "x86_64",
    "EM_386": "i386",
    "EM_AARCH64": "aarch64",
    "EM_ARM": "arm",
    "EM_RISCV": "riscv",
    "EM_PPC": "ppc",
    "EM_PPC64": "ppc64",
    "EM_S390": "s390x",
    "EM_MIPS": "mips",
    "EM_LOONGARCH": "loongarch",
}

FILE_KINDS = {
    "ET_EXEC": "executable",
    "ET_REL": "relocatable object",
    "ET_CORE": "core dump",
}

DF_1_PIE = 0x08000000


@dataclass(frozen=True)
class VersionNeed:
    """One symbol version the file needs from a library (from ``.gnu.version_r``)."""

    library: str
    version: str


@dataclass(frozen=True)
class ElfInfo:
    bits: int
    endianness: str  # "little" | "big"
    machine: str
    kind: str
    interpreter: str | None
    needed: tuple[str, ...]
    runpath: tuple[str, ...]
    soname: str | None
    version_needs: tuple[VersionNeed, ...]

    @property
    def statically_linked(self) -> bool:
        return self.interpreter is None and not self.needed


@contextmanager
def parsing(name: str) -> Iterator[None]:
    """Turn pyelftools' parse failures into one readable sentence."""
    try:
        yield
    except (ELFError, struct.error, ValueError, EOFError) as exc:
        raise AnalyzeError(f"{name} is a malformed ELF file: {exc}") from None


def open_elf(stream: IO[bytes], size: int, name: str) -> Any:
    """Open ``stream`` (``size`` bytes long) as an ELF file whose headers all lie inside it."""
    stream.seek(0)
    if stream.read(4) != ELF_MAGIC:
        raise AnalyzeError(f"{name} is not an ELF file (it does not start with the ELF magic)")
    stream.seek(0)
    with parsing(name):
        elf = ELFFile(stream)
        for what, end in _extents(elf):
            if end > size:
                raise AnalyzeError(
                    f"{name} is truncated: its {what} ends at byte {end} but the file has "
                    f"only {size} bytes"
                )
    return elf


def _extents(elf: Any) -> Iterator[tuple[str, int]]:
    """(what, end offset) of every table and segment the file says it has."""
    header = elf.header
    yield "program header table", header["e_phoff"] + header["e_phnum"] * header["e_phentsize"]
    yield "section header table", header["e_shoff"] + header["e_shnum"] * header["e_shentsize"]
    for segment in elf.iter_segments():
        yield f"{segment['p_type']} segment", segment["p_offset"] + segment["p_filesz"]
    for section in elf.iter_sections():
        if section["sh_type"] != "SHT_NOBITS":
            yield (
                f"section {section.name or '(unnamed)'}",
                section["sh_offset"] + section["sh_size"],
            )


def elf_info(elf: Any, name: str) -> ElfInfo:
    with parsing(name):
        tags = _dynamic_tags(elf)
        interpreter = _interpreter(elf)
        return ElfInfo(
            bits=int(elf.elfclass),
            endianness="little" if elf.little_endian else "big",
            machine=MACHINES.get(elf["e_machine"], str(elf["e_machine"])),
            kind=_kind(elf["e_type"], interpreter, tags),
            interpreter=interpreter,
            needed=tuple(str(t.needed) for t in tags if t.entry.d_tag == "DT_NEEDED"),
            runpath=_runpath(tags),
            soname=next((str(t.soname) for t in tags if t.entry.d_tag == "DT_SONAME"), None),
            version_needs=_version_needs(elf),
        )


def _dynamic_tags(elf: Any) -> list[Any]:
    section = elf.get_section_by_name(".dynamic")
    if section is None:
        segments = [s for s in elf.iter_segments() if s["p_type"] == "PT_DYNAMIC"]
        section = segments[0] if segments else None
    if section is None:
        return []
    return [t for t in section.iter_tags() if t.entry.d_tag != "DT_NULL"]


def _interpreter(elf: Any) -> str | None:
    for segment in elf.iter_segments():
        if segment["p_type"] == "PT_INTERP":
            return str(segment.get_interp_name())
    return None


def _kind(e_type: str, interpreter: str | None, tags: list[Any]) -> str:
    if e_type != "ET_DYN":
        return FILE_KINDS.get(e_type, str(e_type))
    flags_1 = next((t.entry.d_val for t in tags if t.entry.d_tag == "DT_FLAGS_1"), 0)
    if interpreter is not None or flags_1 & DF_1_PIE:
        return "position-independent executable"
    return "shared library"


def _runpath(tags: list[Any]) -> tuple[str, ...]:
    paths: list[str] = []
    for tag in tags:
        if tag.entry.d_tag == "DT_RUNPATH":
            paths.extend(str(tag.runpath).split(":"))
        elif tag.entry.d_tag == "DT_RPATH":
            paths.extend(str(tag.rpath).split(":"))
    return tuple(p for p in paths if p)


def _version_needs(elf: Any) -> tuple[VersionNeed, ...]:
    section = elf.get_section_by_name(".gnu.version_r")
    if section is None:
        return ()
    needs = {
        VersionNeed(str(verneed.name), str(aux.name))
        for verneed, auxes in section.iter_versions()
        for aux in auxes
    }
    return tuple(sorted(needs, key=lambda n: (n.library, n.version)))


def symbol_bytes(elf: Any, symbol: str) -> bytes | None:
    """The bytes of a defined data symbol (``st_size`` of them), or None if absent."""
    for table_name in (".dynsym", ".symtab"):
        table = elf.get_section_by_name(table_name)
        found = table.get_symbol_by_name(symbol) if table is not None else None
        for sym in found or ():
            shndx, size = sym["st_shndx"], sym["st_size"]
            if isinstance(shndx, int) and size > 0:
                section = elf.get_section(shndx)
                start = sym["st_value"] - section["sh_addr"]
                data = bytes(section.data()[start : start + size])
                if len(data) == size:
                    return data
    return None


def section_bytes(elf: Any, name: str) -> bytes:
    section = elf.get_section_by_name(name)
    return b"" if section is None or section["sh_type"] == "SHT_NOBITS" else bytes(section.data())


# Libraries that are part of glibc itself: present wherever glibc is.
GLIBC_LIBRARY_PREFIXES = (
    "libc.so.",
    "libm.so.",
    "libpthread.so.",
    "libdl.so.",
    "librt.so.",
    "libutil.so.",
    "libresolv.so.",
    "libanl.so.",
    "ld-linux",
)


def is_glibc_library(soname: str) -> bool:
    return soname.startswith(GLIBC_LIBRARY_PREFIXES)
