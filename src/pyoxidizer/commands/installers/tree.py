"""The built app directory as a sorted list of entries, and atomic output files.

Every distribution format walks the app the same way (sorted, modes normalised) so the
artifacts are reproducible, and writes its result aside before renaming it into place.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeEntry:
    rel: str  # POSIX path relative to the app directory
    kind: str  # "dir" | "file" | "symlink"
    mode: int  # normalised: 0o755 for directories and executables, else 0o644
    size: int
    link: str | None = None


def app_tree(app_dir: Path) -> list[TreeEntry]:
    """Every entry below ``app_dir`` (not itself), parents before children, sorted by path."""
    entries = []
    for directory, dirs, files in os.walk(app_dir):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            path = Path(directory, name)
            entries.append(_entry(path.relative_to(app_dir).as_posix(), path))
    return sorted(entries, key=lambda e: e.rel.split("/"))


def _entry(rel: str, path: Path) -> TreeEntry:
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return TreeEntry(rel, "symlink", 0o777, 0, os.readlink(path))
    if stat.S_ISDIR(st.st_mode):
        return TreeEntry(rel, "dir", 0o755, 0)
    executable = st.st_mode & 0o111
    return TreeEntry(rel, "file", 0o755 if executable else 0o644, st.st_size)


def installed_size(entries: list[TreeEntry]) -> int:
    return sum(e.size for e in entries)
