"""Walk directories of Python files and name what is in them, without reading anything."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._walk import Budget

_SKIP_DIRS = {"__pycache__", "site-packages", "dist-packages", "lib-dynload"}


@dataclass(frozen=True)
class Found:
    kind: str  # "module", "extension", "resource", "dist-info", "shared-library"
    name: str  # module name; package owning a resource; dist-info dir; library file name
    path: Path
    is_package: bool = False
    relative_path: str = ""  # resources, dist-info: path inside; libraries: path from root


def _is_identifier(name: str) -> bool:
    return name.isidentifier()


def module_name_for_file(filename: str, ext_suffixes: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (kind, stem) for a module file name, or None if it is not a module."""
    if filename.endswith(".py"):
        stem = filename[:-3]
        return ("module", stem) if _is_identifier(stem) else None
    for suffix in ext_suffixes:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            # Generated names may start with a digit (mypyc's "<hash>__mypyc"): they are
            # imported by name from C, never with an import statement.
            return ("extension", stem) if _is_identifier("_" + stem) else None
    return None


def _is_shared_object(filename: str) -> bool:
    return filename.endswith(".so") or ".so." in filename


def scan_package(
    directory: Path, package: str, ext_suffixes: tuple[str, ...], budget: Budget | None = None
) -> Iterator[Found]:
    """Everything inside a package directory (which need not have an __init__.py).

    Linked directories are not entered; with a ``budget``, raises ``TooMany`` once the walk
    goes past it.
    """
    for dirpath, dirnames, filenames in os.walk(directory):
        if budget is not None:
            budget.spend_listing(len(filenames))
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        here = Path(dirpath)
        rel = here.relative_to(directory)
        parts = [*package.split("."), *rel.parts]
        if not all(_is_identifier(p) for p in parts) or any(p.endswith(".egg") for p in rel.parts):
            # Not a Python package (a data dir, an .egg dir): its files are resources.
            yield from (_resource(here / f, directory, package) for f in sorted(filenames))
            continue
        current = ".".join(parts)
        for filename in sorted(filenames):
            found = module_name_for_file(filename, ext_suffixes)
            path = here / filename
            if found is None and _is_shared_object(filename):
                # A library next to the package's extension modules (RUNPATH $ORIGIN/...).
                inside = Path(*package.split("."), path.relative_to(directory)).as_posix()
                yield Found("shared-library", filename, path, relative_path=inside)
            elif found is None:
                yield _resource(path, directory, package)
            elif found[1] == "__init__":
                yield Found(found[0], current, path, is_package=True)
            else:
                yield Found(found[0], f"{current}.{found[1]}", path)


def _resource(path: Path, directory: Path, package: str) -> Found:
    """Attribute a data file to the deepest package directory above it."""
    rel = path.relative_to(directory)
    owner_parts = [package]
    for part in rel.parts[:-1]:
        if not _is_identifier(part) or part.endswith(".egg"):
            break
        owner_parts.append(part)
    owner = ".".join(owner_parts)
    inner = Path(*rel.parts[len(owner_parts) - 1 :]).as_posix()
    return Found("resource", owner, path, relative_path=inner)


def _walk_files(directory: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for filename in sorted(filenames):
            yield Path(dirpath) / filename


def _scan_metadata(directory: Path, name: str) -> Iterator[Found]:
    """A ``*.dist-info``/``*.egg-info`` directory: metadata, never a package."""
    for path in _walk_files(directory):
        yield Found("dist-info", name, path, relative_path=path.relative_to(directory).as_posix())


def _scan_libs(directory: Path, root: Path) -> Iterator[Found]:
    """A wheel's bundled shared libraries (auditwheel's ``<pkg>.libs/``)."""
    for path in _walk_files(directory):
        if ".so" in path.name:
            yield Found(
                "shared-library", path.name, path, relative_path=path.relative_to(root).as_posix()
            )


def _scan_egg(directory: Path, ext_suffixes: tuple[str, ...]) -> Iterator[Found]:
    """An extracted ``.egg`` directory is a root of its own plus its EGG-INFO metadata."""
    info = directory / "EGG-INFO"
    if info.is_dir():
        yield from _scan_metadata(info, directory.name[: -len(".egg")] + ".egg-info")
    yield from scan_root(directory, ext_suffixes)


def _scan_special_dir(entry: Path, root: Path, ext_suffixes: tuple[str, ...]) -> Iterator[Found]:
    if entry.name.endswith((".dist-info", ".egg-info")):
        yield from _scan_metadata(entry, entry.name)
    elif entry.name.endswith(".libs"):
        yield from _scan_libs(entry, root)
    elif entry.name.endswith(".egg"):
        yield from _scan_egg(entry, ext_suffixes)


def scan_root(root: Path, ext_suffixes: tuple[str, ...]) -> Iterator[Found]:
    """What sits under an import root (e.g. site-packages): modules, packages, metadata."""
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name in _SKIP_DIRS or entry.name.startswith(".") or entry.name == "EGG-INFO":
            continue
        if entry.is_dir():
            if _is_identifier(entry.name):
                yield from scan_package(Path(entry.path), entry.name, ext_suffixes)
            else:
                yield from _scan_special_dir(Path(entry.path), root, ext_suffixes)
        elif entry.name.startswith("_sysconfigdata_") and entry.name.endswith(".py"):
            # sysconfig imports it by a name that is not an identifier (it has '-').
            yield Found("module", entry.name[:-3], Path(entry.path))
        else:
            found = module_name_for_file(entry.name, ext_suffixes)
            if found is not None and found[1] != "__init__":
                yield Found(found[0], found[1], Path(entry.path))
