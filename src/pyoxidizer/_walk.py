"""Walks of directories that a config names, with limits, so a bad path cannot hang a build.

Three things made such walks run for ever: a recursive glob followed symbolic links to
directories (``/proc/self/root`` leads back to ``/``, so ``/proc/**/*`` never ends), the
kernel's file systems (``/proc``, ``/sys``) hold files that block a reader (``/proc/kmsg``)
or claim to be huge (``/proc/kcore``), and a path such as ``/`` holds millions of files.
So here a recursive walk never enters a linked directory nor ``/proc`` or ``/sys``, and
every walk stops with ``TooMany`` once it has visited ``Budget.directories`` directories
or found ``Budget.files`` files.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from dataclasses import dataclass
from pathlib import Path

# The kernel's views of processes and devices: nothing in them is a file to package.
KERNEL_FILE_SYSTEMS = ("/proc", "/sys")

# Far more than any package or filter-file pattern holds (a large site-packages has about
# 50,000 files), and reached in seconds.
MAX_FILES = 100_000
MAX_DIRECTORIES = 20_000


class TooMany(Exception):  # noqa: N818 - a condition the caller reports, not a bug
    """A walk reached its budget: more than ``limit`` ``what`` ("files" or "directories")."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"more than {limit} {what}")
        self.what = what
        self.limit = limit


@dataclass
class Budget:
    """What one walk may visit, and what it has visited."""

    max_files: int = MAX_FILES
    max_directories: int = MAX_DIRECTORIES
    files: int = 0
    directories: int = 0

    def spend_directory(self) -> None:
        self.directories += 1
        if self.directories > self.max_directories:
            raise TooMany("directories", self.max_directories)

    def spend_files(self, count: int = 1) -> None:
        self.files += count
        if self.files > self.max_files:
            raise TooMany("files", self.max_files)

    def spend_listing(self, entries: int) -> None:
        """One directory visited, holding ``entries`` files (or entries)."""
        self.spend_directory()
        self.spend_files(entries)


def kernel_file_system(path: Path | str) -> str | None:
    """``/proc`` or ``/sys`` when ``path`` (links resolved) is in one of them, else None."""
    real = os.path.realpath(path)
    for root in KERNEL_FILE_SYSTEMS:
        if real == root or real.startswith(root + "/"):
            return root
    return None


def literal_prefix(pattern: str) -> str:
    """The directory a glob pattern starts from: its leading components without wildcards."""
    parts = pattern.split("/")
    literal = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        literal.append(part)
    return "/".join(literal) or ("/" if pattern.startswith("/") else ".")


def _scan(directory: str, budget: Budget) -> list[os.DirEntry[str]]:
    budget.spend_directory()
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str], follow: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def _below(directory: str, budget: Budget) -> tuple[list[str], list[str]]:
    """The directories and the other entries below ``directory``, at any depth.

    It does not enter linked directories (they are listed as entries), names starting
    with ``.``, ``/proc`` or ``/sys``.
    """
    directories: list[str] = []
    others: list[str] = []
    pending = [directory]
    while pending:
        for entry in _scan(pending.pop(), budget):
            if entry.name.startswith(".") or entry.path in KERNEL_FILE_SYSTEMS:
                continue
            if _is_dir(entry, follow=False):
                directories.append(entry.path)
                pending.append(entry.path)
            else:
                others.append(entry.path)
    return directories, others


def bounded_glob(pattern: str, budget: Budget | None = None) -> list[Path]:
    """What ``glob.glob(pattern, recursive=True)`` matches, sorted, within ``budget``.

    As with ``glob``, wildcards do not match names that start with ``.`` unless the
    pattern's component does. Unlike it, ``**`` does not descend into linked directories
    (as ``pathlib`` does not) nor into ``/proc`` or ``/sys``. Raises ``TooMany``.
    """
    budget = budget or Budget()
    absolute = pattern.startswith("/")
    parts = [part for part in pattern.split("/") if part]
    current = ["/" if absolute else "."]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following: list[str] = []
        if part == "**":
            for directory in current:
                directories, others = _below(directory, budget)
                # Last, it matches everything below, as glob's does; else any directory.
                following += [*directories, *others] if last else [directory, *directories]
        elif glob.has_magic(part):
            hidden = part.startswith(".")
            for directory in current:
                for entry in _scan(directory, budget):
                    if entry.name.startswith(".") and not hidden:
                        continue
                    if fnmatch.fnmatchcase(entry.name, part) and (last or _is_dir(entry, True)):
                        following.append(entry.path)
        else:
            for directory in current:
                path = os.path.join(directory, part)
                if os.path.lexists(path) if last else os.path.isdir(path):
                    following.append(path)
        current = sorted(set(following))
    budget.spend_files(len(current))
    if not absolute:
        current = [os.path.relpath(path) for path in current]
    return [Path(path) for path in current]


def too_many(exc: TooMany) -> str:
    """The end of the sentence that says a ``glob_files`` pattern went past its budget."""
    if exc.what == "files":
        return f"matches {exc}; name the files or narrow the pattern"
    return f"visits {exc} before it is done; narrow the pattern"


def count_tree(directory: Path, budget: Budget) -> None:
    """Walk a package directory as the package-root rule does (no linked directories, none
    whose name starts with '.'), spending ``budget``; raises ``TooMany`` past it."""
    for _, dirnames, filenames in os.walk(directory):
        budget.spend_listing(len(filenames))
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
