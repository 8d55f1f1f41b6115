"""Getting a ``[[python_distribution]]`` archive: a local file or a URL, verified, cached.

Everything is keyed by the archive's SHA-256, which the config must state (spec 7.3.2), so
two projects naming the same archive share one download and one extraction:

    <cache>/distributions/<sha256>.tar.zst   a downloaded archive, kept only once it matched
    <cache>/distributions/<sha256>/python/   the archive extracted (staged, then renamed)
    <cache>/distributions/verified/          which local files already matched (by stat)

A local archive is hashed again whenever its size, modification time or inode changed since
it last matched. A URL is fetched with ``urllib`` (``file://`` works; ``HTTP_PROXY`` and
``HTTPS_PROXY`` are honoured as urllib does), into a temporary file that is renamed into
place only after its digest matched. Extraction refuses members that would land outside
the destination (``extract.check_member``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO, Protocol

from pyoxidizer._fs import atomic_output, atomic_write, exclusive_lock, staged_directory
from pyoxidizer._report import Reporter
from pyoxidizer.errors import DistributionError
from pyoxidizer.pythondist.extract import PYTHON_JSON, extract_archive_into

CHUNK = 1 << 20
DOWNLOAD_TIMEOUT = 60  # seconds without data before a download is abandoned


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Fetcher(Protocol):
    """Copy ``url`` to ``out``; call ``progress(done, total or None)`` as bytes arrive."""

    def __call__(
        self, url: str, out: Sink, progress: Callable[[int, int | None], None]
    ) -> None: ...


def urllib_fetch(url: str, out: Sink, progress: Callable[[int, int | None], None]) -> None:
    """The real ``Fetcher``: urllib, which reads the proxy variables itself."""
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                progress(done, total)
    except urllib.error.HTTPError as exc:
        raise DistributionError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DistributionError(f"cannot download {url}: {reason}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise DistributionError(
            f"cannot read distribution archive {path}: {exc.strerror}"
        ) from None
    return digest.hexdigest()


def _mismatch(what: str, actual: str, expected: str) -> DistributionError:
    return DistributionError(
        f"{what} has SHA-256 {actual}, but the config's sha256 is {expected}; the file is not "
        "the distribution the config names (or it changed): fix the sha256 or the file"
    )


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{st.st_ino}"


def verified_local_archive(path: Path, sha256: str, cache_dir: Path) -> Path:
    """``path`` once its digest is ``sha256`` (re-hashed only when the file changed)."""
    if not path.is_file():
        raise DistributionError(f"[[python_distribution]] local_path {path} does not exist")
    memo = cache_dir / "distributions" / "verified" / f"{sha256}.json"
    key = _stat_key(path)
    with suppress(OSError, ValueError):
        if key in json.loads(memo.read_text()):
            return path
    actual = sha256_of(path)
    if actual != sha256:
        raise _mismatch(f"the distribution archive {path}", actual, sha256)
    known: list[str] = []
    with suppress(OSError, ValueError):
        known = [k for k in json.loads(memo.read_text()) if isinstance(k, str)]
    atomic_write(memo, json.dumps(sorted({*known[-20:], key})).encode())
    return path


def downloaded_archive(
    url: str, sha256: str, cache_dir: Path, reporter: Reporter, fetch: Fetcher = urllib_fetch
) -> Path:
    """The archive at ``url``, downloaded once into the cache and verified."""
    dest = cache_dir / "distributions" / f"{sha256}.tar.zst"
    if dest.is_file():
        return dest
    name = url.rstrip("/").rsplit("/", 1)[-1] or url
    reporter.stage(f"downloading Python distribution {url}")
    shown = [-1]

    def progress(done: int, total: int | None) -> None:
        megabytes, whole = done >> 20, (total or done) >> 20
        if megabytes != shown[0] and megabytes < whole:  # the last line comes once, below
            shown[0] = megabytes
            reporter.progress(f"{name}, MiB", megabytes, whole)

    with exclusive_lock(dest.with_suffix(".lock"), lambda: reporter.stage(f"waiting for {url}")):
        if dest.is_file():  # another build downloaded it while this one waited
            return dest
        digest = hashlib.sha256()
        with atomic_output(dest) as out:
            fetch(url, _Hashing(out, digest.update), progress)
            size = out.tell() >> 20
            reporter.progress(f"{name}, MiB", size, size)
            actual = digest.hexdigest()
            if actual != sha256:
                raise _mismatch(f"the download of {url}", actual, sha256)
    return dest


class _Hashing:
    """A write-only stream that hashes what passes through it."""

    def __init__(self, out: BinaryIO, update: Callable[[bytes], None]) -> None:
        self.out, self.update = out, update

    def write(self, data: bytes) -> int:
        self.update(data)
        return self.out.write(data)


def extracted_archive(archive: Path, sha256: str, cache_dir: Path, reporter: Reporter) -> Path:
    """The directory holding ``python/`` of the (verified) archive, extracted once."""
    dest = cache_dir / "distributions" / sha256
    if (dest / PYTHON_JSON).is_file():
        return dest
    lock = cache_dir / "distributions" / f"{sha256}.extract.lock"
    with exclusive_lock(lock, lambda: reporter.stage(f"waiting for {archive} to be extracted")):
        if (dest / PYTHON_JSON).is_file():
            return dest
        if dest.exists():  # not ours: staged extractions appear complete or not at all
            shutil.rmtree(dest)
        reporter.stage(f"extracting Python distribution {archive.name} into the cache")
        with staged_directory(dest) as stage:
            extract_archive_into(archive, stage)
            if not (stage / PYTHON_JSON).is_file():
                raise DistributionError(
                    f"{archive} has no {PYTHON_JSON}; it is not a python-build-standalone "
                    "distribution"
                )
    return dest
