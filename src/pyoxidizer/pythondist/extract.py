"""Distributions named on the command line, and copying one out to a directory.

A DIST argument is ``host`` (the interpreter running pyoxidizer), the path or command name
of another interpreter, or a python-build-standalone archive (a zstandard-compressed tar
holding ``python/PYTHON.json``). Archives are read as a stream: nothing is unpacked to
find ``PYTHON.json``, and ``extract_distribution`` writes each member once.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import zstandard

from pyoxidizer._fs import staged_directory
from pyoxidizer.errors import DistributionError
from pyoxidizer.pythondist.host import Distribution, probe_host_distribution
from pyoxidizer.pythondist.pythonjson import PythonJson, parse_python_json

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PYTHON_JSON = "python/PYTHON.json"
MANIFEST = "DISTRIBUTION.json"


@dataclass(frozen=True)
class StandaloneArchive:
    """A python-build-standalone archive and its parsed ``python/PYTHON.json``."""

    path: Path
    python_json: Mapping[str, Any]

    @property
    def info(self) -> PythonJson:
        """PYTHON.json read by its documented schema (errors name the archive)."""
        return parse_python_json(self.python_json, f"{self.path}: {PYTHON_JSON}")


def resolve_distribution_argument(
    text: str, default_python: str
) -> Distribution | StandaloneArchive:
    """``host`` -> ``default_python``; an archive path -> its PYTHON.json; else an interpreter."""
    if text == "host":
        return probe_host_distribution(default_python)
    path = Path(text)
    if is_archive(path):
        return read_archive(path)
    return probe_host_distribution(text)


def is_archive(path: Path) -> bool:
    if path.name.endswith((".tar.zst", ".tar.zstd")):
        return True
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == ZSTD_MAGIC
    except OSError:
        return False


@contextmanager
def open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    """The archive as a streaming tar reader; format errors become ``DistributionError``."""
    try:
        with open(path, "rb") as raw:
            reader = zstandard.ZstdDecompressor().stream_reader(raw)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                yield tar
    except OSError as exc:
        raise DistributionError(
            f"cannot read distribution archive {path}: {exc.strerror}"
        ) from None
    except (zstandard.ZstdError, tarfile.TarError) as exc:
        raise DistributionError(
            f"{path} is not a zstandard-compressed tar archive ({exc})"
        ) from None


def read_archive(path: Path) -> StandaloneArchive:
    with open_archive(path) as tar:
        for member in tar:
            if member.name.lstrip("./") == PYTHON_JSON and member.isfile():
                stream = tar.extractfile(member)
                assert stream is not None
                return StandaloneArchive(path, _parse_python_json(path, stream.read()))
    raise DistributionError(
        f"{path} has no {PYTHON_JSON}; it is not a python-build-standalone distribution"
    )


def _parse_python_json(path: Path, raw: bytes) -> Mapping[str, Any]:
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise DistributionError(f"{path}: {PYTHON_JSON} is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise DistributionError(f"{path}: {PYTHON_JSON} does not hold a JSON object")
    return doc


# --- extraction -------------------------------------------------------------------------


def extract_distribution(dist: Distribution | StandaloneArchive, dest: Path) -> Path:
    """Copy ``dist`` into ``dest`` (absent or empty), all at once: staged, then renamed."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DistributionError(f"{dest} already exists and is not an empty directory")
    with staged_directory(dest) as stage:
        if isinstance(dist, StandaloneArchive):
            extract_archive_into(dist.path, stage)
        else:
            _copy_host(dist, stage)
    return dest


def extract_archive_into(path: Path, stage: Path) -> None:
    """Every member of the archive at ``path`` into ``stage``, each checked first."""
    with open_archive(path) as tar:
        for member in tar:
            _check_member(path, member)
            _extract_member(tar, member, stage)


def _check_member(path: Path, member: tarfile.TarInfo) -> None:
    name = PurePosixPath(member.name)
    unsafe = name.is_absolute() or ".." in name.parts
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        base = name.parent if member.issym() else PurePosixPath()
        unsafe = unsafe or target.is_absolute() or ".." in (base / target).parts
    if unsafe or not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise DistributionError(
            f"{path}: refusing to extract member {member.name!r} "
            "(it is not a plain file, directory or link inside the destination)"
        )


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, stage: Path) -> None:
    if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: a second safety net
        tar.extract(member, stage, filter="data")
    else:
        tar.extract(member, stage)


def _copy_host(dist: Distribution, stage: Path) -> None:
    """stdlib (without site-packages and caches), lib-dynload, headers, static library."""
    lib = stage / "lib" / f"python{dist.short_version}"
    ignore = shutil.ignore_patterns("site-packages", "__pycache__")
    shutil.copytree(dist.stdlib_dir, lib, symlinks=True, ignore=ignore)
    dynload = _place(dist.dynload_dir, dist.stdlib_dir, lib, lib / "lib-dynload")
    if not dynload.exists():
        shutil.copytree(dist.dynload_dir, dynload, symlinks=True, ignore=ignore)
    include = stage / "include" / f"python{dist.short_version}"
    shutil.copytree(dist.include_dir, include, symlinks=True)
    static_lib = _place(dist.static_lib, dist.stdlib_dir, lib, stage / "lib" / dist.static_lib.name)
    if not static_lib.exists():
        shutil.copy2(dist.static_lib, static_lib)
    manifest = {
        "source": str(dist.python_exe),
        "python_version": dist.version_string,
        "stdlib": lib.relative_to(stage).as_posix(),
        "dynload": dynload.relative_to(stage).as_posix(),
        "include": include.relative_to(stage).as_posix(),
        "static_lib": static_lib.relative_to(stage).as_posix(),
    }
    (stage / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _place(path: Path, stdlib: Path, copied_stdlib: Path, otherwise: Path) -> Path:
    """Where ``path`` ends up: inside the copied stdlib if it was in the stdlib."""
    try:
        return copied_stdlib / path.resolve().relative_to(stdlib.resolve())
    except ValueError:
        return otherwise
