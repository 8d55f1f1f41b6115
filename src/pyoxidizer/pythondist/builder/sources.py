"""Finding and identifying the upstream source tarballs in a sources directory.

Two naming styles are accepted for every library: Debian's ``NAME_VERSION.orig.tar.EXT`` (what
``scripts/fetch-sources.sh`` leaves) and upstream's ``NAME-VERSION.tar.EXT``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import StandaloneBuildError

_TAR_EXT = r"\.(?:tar\.(?:gz|xz|bz2|zst)|tgz)"
# Debian packaging suffixes that are not part of the upstream version (repacked tarballs).
_REPACK_SUFFIX = re.compile(r"[.+~](?:dfsg|ds|repack)\d*$")


@dataclass(frozen=True)
class SourceSpec:
    """How one library's tarball is named, in both styles."""

    key: str
    debian_names: tuple[str, ...]
    upstream_names: tuple[str, ...]
    required: bool = True

    def patterns(self) -> tuple[re.Pattern[str], ...]:
        debian = [
            re.escape(n) + r"_(?P<version>\d[^_/]*?)\.orig" + _TAR_EXT for n in self.debian_names
        ]
        upstream = [
            re.escape(n) + r"-(?P<version>\d[^/]*?)" + _TAR_EXT for n in self.upstream_names
        ]
        return tuple(re.compile(p + "$") for p in debian + upstream)

    def expected(self) -> str:
        return (
            f"{self.debian_names[0]}_VERSION.orig.tar.* or {self.upstream_names[0]}-VERSION.tar.*"
        )


@dataclass(frozen=True)
class SourceTarball:
    """One identified tarball: which library, which upstream version, its file and digest."""

    key: str
    version: str
    path: Path
    sha256: str

    @property
    def upstream_version(self) -> str:
        return _REPACK_SUFFIX.sub("", self.version)


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("cpython", ("python3.11", "python3.12", "python3.10", "python3"), ("Python",)),
    SourceSpec("zlib", ("zlib",), ("zlib",)),
    SourceSpec("bzip2", ("bzip2",), ("bzip2",)),
    SourceSpec("xz", ("xz-utils",), ("xz",)),
    SourceSpec("libffi", ("libffi",), ("libffi",)),
    SourceSpec("sqlite", ("sqlite3",), ("sqlite", "sqlite-autoconf", "sqlite-src")),
    SourceSpec("openssl", ("openssl",), ("openssl",)),
    SourceSpec("expat", ("expat",), ("expat",)),
    SourceSpec("ncurses", ("ncurses",), ("ncurses",)),
    SourceSpec("readline", ("readline",), ("readline",)),
    SourceSpec("util-linux", ("util-linux",), ("util-linux",), required=False),
    SourceSpec("zstd", ("libzstd",), ("zstd",), required=False),
)


def _sqlite_version(version: str) -> str:
    """sqlite's autoconf/src tarballs spell 3.40.1 as 3400100."""
    if re.fullmatch(r"\d{7}", version):
        major, minor, patch = int(version[0]), int(version[1:3]), int(version[3:5])
        return f"{major}.{minor}.{patch}"
    return version


def _match(spec: SourceSpec, name: str) -> str | None:
    for pattern in spec.patterns():
        found = pattern.match(name)
        if found:
            version = found.group("version")
            return _sqlite_version(version) if spec.key == "sqlite" else version
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pick(spec: SourceSpec, found: list[tuple[str, Path]]) -> tuple[str, Path]:
    versions = sorted({version for version, _ in found})
    if len(versions) > 1:
        names = ", ".join(sorted(path.name for _, path in found))
        raise StandaloneBuildError(
            f"The sources directory holds {spec.key} tarballs of different versions ({names}); "
            f"keep only one."
        )
    # The same version in both naming styles: take the first name, so the choice is stable.
    return sorted(found, key=lambda item: item[1].name)[0]


def discover_sources(directory: Path) -> dict[str, SourceTarball]:
    """Identify every known library's tarball in ``directory``.

    Raises one error naming every missing required library (with the file names it accepts).
    """
    if not directory.is_dir():
        raise StandaloneBuildError(
            f"The sources directory {directory} does not exist; "
            f"fill it with scripts/fetch-sources.sh {directory}."
        )
    names = sorted(entry.name for entry in directory.iterdir() if entry.is_file())
    found: dict[str, SourceTarball] = {}
    missing: list[str] = []
    for spec in SOURCES:
        hits = [(v, directory / n) for n in names if (v := _match(spec, n)) is not None]
        if not hits:
            if spec.required:
                missing.append(f"{spec.key} ({spec.expected()})")
            continue
        version, path = _pick(spec, hits)
        found[spec.key] = SourceTarball(spec.key, version, path, sha256_of(path))
    if missing:
        raise StandaloneBuildError(
            f"The sources directory {directory} lacks the source tarball of "
            f"{'; '.join(missing)}. Fill it with scripts/fetch-sources.sh {directory}."
        )
    _check_python_version(found["cpython"])
    return found


def _check_python_version(source: SourceTarball) -> None:
    if not source.version.startswith("3.11."):
        raise StandaloneBuildError(
            f"{source.path.name} is CPython {source.version}, but python-distribution-build "
            f"has recipes for CPython 3.11 only."
        )
