"""The up-to-date check: a fingerprint of everything that goes into an app.

The fingerprint is stored beside the app directory (not in it: the app directory is what
gets distributed). Equal fingerprints mean the previous build is still the right one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pyoxidizer import __version__
from pyoxidizer._fs import atomic_write
from pyoxidizer.collect.resources import ResourceCollector
from pyoxidizer.config.schema import Config

_PACKAGE = Path(__file__).resolve().parents[1]


def tool_digest() -> bytes:
    """Digest of pyoxidizer's own sources: a changed tool must not reuse an old app."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in (".py", ".c"):
            h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.digest()


def fingerprint(collector: ResourceCollector, launcher: Path, config: Config) -> str:
    """Digest of everything that goes into the app; equal digests mean nothing changed."""
    h = hashlib.sha256(f"{__version__}|{launcher}|{config!r}".encode())
    h.update(tool_digest())  # the runtime code and the build logic are inputs too
    for table in collector.tables().values():
        for name in sorted(table):
            for key, item in vars(table[name]).items():
                if key == "origin":
                    continue  # where a file was read from (a scratch dir) is not output
                h.update(item if isinstance(item, bytes) else repr(item).encode())
                h.update(b"\0")
    return h.hexdigest()


def stamp_path(app_dir: Path) -> Path:
    return app_dir.parent / f".{app_dir.name}.stamp"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(app_dir: Path) -> dict[str, Path]:
    return {
        path.relative_to(app_dir).as_posix(): path
        for path in sorted(app_dir.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def write_stamp(app_dir: Path, fingerprint_: str) -> None:
    """Record the fingerprint and what the build wrote (size, time, digest of each file)."""
    files = {}
    for rel, path in _files(app_dir).items():
        st = path.stat()
        files[rel] = [st.st_size, st.st_mtime_ns, _digest(path)]
    document = {"fingerprint": fingerprint_, "files": files}
    atomic_write(stamp_path(app_dir), json.dumps(document, sort_keys=True).encode())


def is_up_to_date(app_dir: Path, fingerprint_: str) -> bool:
    """Whether the app was built from these inputs and its files are still as written.

    A file whose size or time changed is hashed again (a ``touch`` alone does not force a
    rebuild); a missing, truncated or edited file does, and so does a file the build did
    not write (a module or ``.pth`` file dropped into ``lib/`` could be imported), except
    the bytecode Python itself may cache next to app-relative sources.
    """
    try:
        document = json.loads(stamp_path(app_dir).read_bytes())
        recorded = document["files"]
        if document["fingerprint"] != fingerprint_ or not isinstance(recorded, dict):
            return False
        present = _files(app_dir).keys()
        added = [rel for rel in present - recorded.keys() if not _python_cache(rel)]
        return (
            not added
            and recorded.keys() <= present
            and all(
                _unchanged(app_dir / rel, size, mtime, digest)
                for rel, (size, mtime, digest) in recorded.items()
            )
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no stamp, or one this version did not write: build


def _python_cache(rel: str) -> bool:
    """A file Python writes while importing an app-relative module (``__pycache__/*.pyc``)."""
    parts = rel.split("/")
    return len(parts) >= 2 and parts[-2] == "__pycache__" and parts[-1].endswith(".pyc")


def _unchanged(path: Path, size: int, mtime_ns: int, digest: str) -> bool:
    st = path.stat()
    if st.st_size != size:
        return False
    return st.st_mtime_ns == mtime_ns or _digest(path) == digest
