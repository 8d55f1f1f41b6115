"""``pyoxidizer analyze``: what a binary needs at run time and, for our executables, holds.

``analyze_image`` is pure (bytes in, an ``Analysis`` out); ``analyze_file`` is the edge
that reads the file and lists the app-relative files beside an executable we built.
"""

from __future__ import annotations

import dataclasses
import io
import os
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._elf import ElfInfo, elf_info, open_elf, parsing
from pyoxidizer.commands.analyze.compat import (
    Verdict,
    libc_of,
    library_note,
    newest_version,
    verdicts,
)
from pyoxidizer.commands.analyze.contents import PayloadSummary, read_contents, summarise
from pyoxidizer.commands.analyze.embedded import EmbeddedNeeds, embedded_needs
from pyoxidizer.commands.analyze.pyversion import PythonVersion, embedded_python_version
from pyoxidizer.errors import AnalyzeError, PayloadError


@dataclass(frozen=True)
class AppFileInfo:
    path: str  # relative to the executable's directory
    bytes: int


@dataclass(frozen=True)
class Analysis:
    file: str
    size: int
    elf: ElfInfo
    libc: str  # glibc | musl | static
    glibc_required: str | None
    glibcxx_required: str | None
    extra_libraries: tuple[str, ...]  # DT_NEEDED entries to install besides glibc
    distributions: tuple[Verdict, ...]
    python_version: PythonVersion | None = None
    payload: PayloadSummary | None = None
    embedded_needs: EmbeddedNeeds | None = None
    payload_error: str | None = None
    app_files: tuple[AppFileInfo, ...] | None = None


def analyze_image(data: bytes, name: str) -> Analysis:
    elf = open_elf(io.BytesIO(data), len(data), name)
    info = elf_info(elf, name)
    analysis = Analysis(
        file=name,
        size=len(data),
        elf=info,
        libc=libc_of(info),
        glibc_required=newest_version(info.version_needs, "GLIBC"),
        glibcxx_required=newest_version(info.version_needs, "GLIBCXX"),
        extra_libraries=tuple(n for n in info.needed if library_note(n) is None),
        distributions=tuple(verdicts(info)),
    )
    try:
        found = read_contents(data)
    except PayloadError as exc:
        return dataclasses.replace(analysis, payload_error=str(exc))
    if found is None:
        return analysis
    contents, launcher_bytes, payload_bytes = found
    with parsing(name):
        version = embedded_python_version(elf)
    return dataclasses.replace(
        analysis,
        payload=summarise(contents, launcher_bytes, payload_bytes),
        embedded_needs=embedded_needs(contents.entries),
        python_version=version,
    )


def analyze_file(path: Path) -> Analysis:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnalyzeError(f"cannot read {path}: {exc.strerror}") from None
    analysis = analyze_image(data, str(path))
    if analysis.payload is None:
        return analysis
    return dataclasses.replace(analysis, app_files=app_relative_files(path))


def app_relative_files(exe: Path) -> tuple[AppFileInfo, ...]:
    """Every file under the executable's directory except the executable, sorted."""
    root = exe.resolve().parent
    found = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            full = Path(directory, name)
            if full != exe.resolve():
                rel = full.relative_to(root).as_posix()
                found.append(AppFileInfo(rel, full.lstat().st_size))
    return tuple(sorted(found, key=lambda f: f.path))
