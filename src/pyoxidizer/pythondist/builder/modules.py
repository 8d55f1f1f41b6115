"""Which object files make up the core and each extension module, and what they link.

The inittab in the generated ``Modules/config.c`` says which modules were built; the Setup
files say which objects each is made of; configure's ``MODULE_<NAME>_LDFLAGS`` (or the rule's
own flags) say what it links. Objects that belong to no extension form the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ...errors import StandaloneBuildError
from .ar import member_names
from .licenses import LicenseInfo, extension_licenses
from .metadata import Extension, Link
from .setupfiles import (
    SetupRule,
    effective_rules,
    expand,
    inittab,
    makefile_variables,
    module_link_words,
    module_states,
)

# makesetup's order: Setup.local first, so its rules win.
SETUP_FILES = ("Modules/Setup.local", "Modules/Setup.stdlib", "Modules/Setup.bootstrap")
CORE_DIRS = ("Objects", "Parser", "Python", "Modules")
# Objects under the core directories that are not part of libpython.
NOT_CORE = {"Modules/config.o", "Modules/getpath_noop.o", "Python/frozen_modules"}


@dataclass(frozen=True)
class ModuleLayout:
    """Build-relative core objects, extension entries (archive paths) and static libraries."""

    core_objects: tuple[str, ...]
    core_links: tuple[Link, ...]
    extensions: tuple[Extension, ...]
    archives: Mapping[str, Path]
    object_sources: Mapping[str, str]
    not_built: Mapping[str, str]


def collect_modules(
    build_dir: Path,
    prefix: Path,
    licenses: Mapping[str, LicenseInfo],
    left_out: Mapping[str, str],
) -> ModuleLayout:
    """Read the build tree's decisions and map every built module to its files."""
    rules = effective_rules((name, _read(build_dir / name)) for name in SETUP_FILES)
    variables = makefile_variables(_read(build_dir / "Makefile"))
    table = inittab(_read(build_dir / "Modules" / "config.c"))
    archives: dict[str, Path] = {}
    object_sources: dict[str, str] = {}
    extensions = []
    claimed: set[str] = set()
    for name, init_fn in sorted(table.items()):
        rule = rules.get(name)
        if rule is None:
            extensions.append(_in_core(name, init_fn))
            continue
        ext = _extension(name, init_fn, rule, variables, build_dir, prefix, licenses, archives)
        for obj in rule.objects:
            _require(build_dir / obj, name)
            object_sources[_archive_path(name, obj)] = obj
            claimed.add(obj)
        extensions.append(ext)
    # Objects of in-tree libraries an extension links (libmpdec) are not core, even when a
    # libpython member shares their file name (context.o).
    for archive in archives.values():
        if archive.is_relative_to(build_dir):
            claimed.update(o.relative_to(build_dir).as_posix() for o in archive.parent.rglob("*.o"))
    core = _core_objects(build_dir, claimed, _library_members(build_dir, variables))
    links = tuple(Link(w[2:]) for w in _core_link_words(variables) if w.startswith("-l"))
    missing = _not_built(variables, set(table), left_out)
    return ModuleLayout(core, links, tuple(extensions), archives, object_sources, missing)


_STATE_REASONS = {
    "missing": "configure did not find the library or header it needs for this target",
    "disabled": "disabled at configure time (test modules are not built)",
}


def _not_built(
    variables: Mapping[str, str], built: set[str], left_out: Mapping[str, str]
) -> dict[str, str]:
    """Every module CPython knows but did not build, with the reason (n/a ones are skipped)."""
    reasons = {name: why for name, why in left_out.items() if name not in built}
    for name, state in module_states(variables).items():
        if name not in built and state in _STATE_REASONS:
            reasons.setdefault(name, _STATE_REASONS[state])
    return dict(sorted(reasons.items()))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise StandaloneBuildError(
            f"The CPython build tree lacks {path} ({exc.strerror})."
        ) from None


def _require(path: Path, module: str) -> None:
    if not path.is_file():
        raise StandaloneBuildError(
            f"The object file {path} of the extension module {module} was not built."
        )


def _archive_path(module: str, obj: str) -> str:
    return f"build/extensions/{module}/{obj.removeprefix('Modules/')}"


def _in_core(name: str, init_fn: str | None) -> Extension:
    # Modules compiled into the core itself (marshal, _imp, sys...): always present.
    return Extension(name, init_fn, (), (), (), (), False, required=True, in_core=True)


def _extension(
    name: str,
    init_fn: str | None,
    rule: SetupRule,
    variables: Mapping[str, str],
    build_dir: Path,
    prefix: Path,
    licenses: Mapping[str, LicenseInfo],
    archives: dict[str, Path],
) -> Extension:
    words = list(rule.libraries) if rule.explicit_flags else []
    words = [f"-l{w}" for w in words] + list(rule.archives)
    if not rule.explicit_flags:
        words = module_link_words(name, variables)
    links = _links(words, build_dir, prefix, archives)
    spdx, paths, public_domain = extension_licenses([link.name for link in links], licenses)
    objs = tuple(_archive_path(name, obj) for obj in rule.objects)
    # Setup.bootstrap holds the modules CPython itself needs to start.
    required = rule.origin.endswith("Setup.bootstrap")
    return Extension(name, init_fn, objs, links, spdx, paths, public_domain, required)


def _links(
    words: list[str], build_dir: Path, prefix: Path, archives: dict[str, Path]
) -> tuple[Link, ...]:
    links: list[Link] = []
    for word in words:
        if word.startswith("-l"):
            name = word[2:]
            static = prefix / "lib" / f"lib{name}.a"
        elif word.endswith(".a"):
            static = build_dir / word
            name = static.name.removeprefix("lib").removesuffix(".a")
        else:
            continue
        if static.is_file():
            archives[name] = static
            link = Link(name, f"build/lib/lib{name}.a")
        else:
            link = Link(name)
        if link not in links:
            links.append(link)
    return tuple(links)


def _core_link_words(variables: Mapping[str, str]) -> list[str]:
    return expand("$(LIBS) $(SYSLIBS)", variables).split()


def _library_members(build_dir: Path, variables: Mapping[str, str]) -> set[str]:
    library = build_dir / expand("$(LIBRARY)", variables)
    try:
        return set(member_names(library.read_bytes()))
    except OSError as exc:
        raise StandaloneBuildError(
            f"The CPython build lacks its static library {library}."
        ) from exc


def _core_objects(build_dir: Path, claimed: set[str], members: set[str]) -> tuple[str, ...]:
    found = []
    for directory in CORE_DIRS:
        for path in (build_dir / directory).rglob("*.o"):
            rel = path.relative_to(build_dir).as_posix()
            if rel in claimed or rel in NOT_CORE or path.name not in members:
                continue
            found.append(rel)
    return tuple(sorted(found))
