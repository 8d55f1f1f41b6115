"""Which libraries each extension module of a distribution links, and under which licenses.

Two sources, each used for what it can honestly say:

- a python-build-standalone archive annotates every extension module in ``PYTHON.json``
  (``build_info.extensions.<name>[].links`` and ``licenses``); those annotations are used
  as they are;
- a host interpreter has no annotations. Each extension module in ``lib-dynload`` is read
  as ELF; every ``DT_NEEDED`` library that is not part of glibc is resolved like the
  dynamic loader would (run path, ``ldconfig`` cache, default directories), ``dpkg -S``
  names the Debian package that installed it, and the machine-readable (DEP-5)
  ``/usr/share/doc/<package>/copyright`` gives its license names. This is best effort;
  when any step finds nothing the license is unknown (``None``), never guessed.

``extension_licenses(dist)`` is the entry point for other code (the ``no-gpl`` and
``no-libraries`` extension policies).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pyoxidizer._elf import ElfInfo, elf_info, is_glibc_library, open_elf
from pyoxidizer._proc import TimedOut, run
from pyoxidizer.errors import AnalyzeError
from pyoxidizer.pythondist.extract import PYTHON_JSON, StandaloneArchive
from pyoxidizer.pythondist.host import Distribution
from pyoxidizer.pythondist.pythonjson import (
    C_LIBRARY_PARTS,
    ExtensionVariant,
    LinkEntry,
    PythonJson,
)

HOST_SOURCE = "Debian copyright files of the linked libraries' packages (best effort)"
ARCHIVE_SOURCE = f"the distribution's {PYTHON_JSON} annotations"
DEFAULT_LIBRARY_DIRS = (
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
)
PSF_LICENSE_MARK = "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2"


@dataclass(frozen=True)
class LinkedLibrary:
    name: str  # soname (host) or library name (archive)
    link_type: str  # "shared library" (host), "library", "system" or "framework" (archive)
    path: str | None = None  # where the host's dynamic loader finds it
    package: str | None = None  # the Debian package that installed it
    licenses: tuple[str, ...] | None = None  # None: unknown
    other_licenses: tuple[str, ...] = ()  # Debian: licenses of only some of its source files
    license_info: str | None = None  # the copyright file the names come from


@dataclass(frozen=True)
class ExtensionLicense:
    module: str
    libraries: tuple[LinkedLibrary, ...]
    licenses: tuple[str, ...] | None  # None: unknown; () when it links no library
    license_info: tuple[str, ...] = ()  # URLs or files with the license texts
    variant: str = "default"

    @property
    def library_names(self) -> tuple[str, ...]:
        return tuple(lib.name for lib in self.libraries)

    @property
    def own_libraries(self) -> tuple[LinkedLibrary, ...]:
        """The libraries beyond the C library (its parts: libm, libdl, ...) and macOS's."""
        return tuple(
            lib
            for lib in self.libraries
            if not (
                lib.link_type == "framework"
                or (lib.link_type == "system" and lib.name in C_LIBRARY_PARTS)
            )
        )


@dataclass(frozen=True)
class DistributionLicenses:
    description: str
    source: str
    python_licenses: tuple[str, ...] | None
    python_license_path: str | None
    extensions: tuple[ExtensionLicense, ...]  # every variant, sorted by module


# --- entry points -----------------------------------------------------------------------


def extension_licenses(
    dist: Distribution | StandaloneArchive, system: HostSystem | None = None
) -> dict[str, ExtensionLicense]:
    """Module name -> its (default variant's) libraries and licenses."""
    found: dict[str, ExtensionLicense] = {}
    for ext in distribution_licenses(dist, system).extensions:
        if ext.module not in found or ext.variant == "default":
            found[ext.module] = ext
    return found


def distribution_licenses(
    dist: Distribution | StandaloneArchive, system: HostSystem | None = None
) -> DistributionLicenses:
    if isinstance(dist, StandaloneArchive):
        return archive_licenses(dist.info, str(dist.path))
    if dist.standalone is not None:
        return archive_licenses(dist.standalone.info, dist.standalone.source)
    return host_licenses(dist, system or DebianSystem())


# --- python-build-standalone archives ---------------------------------------------------


def archive_licenses(info: PythonJson, source: str) -> DistributionLicenses:
    variants = [
        _archive_variant(variant)
        for name in sorted(info.extensions)
        for variant in info.extensions[name]
    ]
    return DistributionLicenses(
        description=f"{source} (CPython {info.python_version}, {info.target_triple})",
        source=ARCHIVE_SOURCE,
        python_licenses=info.licenses,
        python_license_path=info.license_path,
        extensions=tuple(variants),
    )


def _archive_variant(variant: ExtensionVariant) -> ExtensionLicense:
    links = tuple(_archive_link(link) for link in variant.links)
    if variant.license_public_domain:
        licenses: tuple[str, ...] | None = ("Public Domain",)
    elif variant.licenses is not None:
        licenses = variant.licenses
    else:
        # No licence annotation: unknown when it links a library of its own; nothing to
        # know when it links only the system's (python-build-standalone writes no
        # annotation for those).
        licenses = None if variant.libraries else ()
    spdx = tuple(f"https://spdx.org/licenses/{n}.html" for n in licenses or () if " " not in n)
    return ExtensionLicense(variant.module, links, licenses, spdx, variant.variant)


def _archive_link(link: LinkEntry) -> LinkedLibrary:
    kind = "system" if link.system else "framework" if link.framework else "library"
    return LinkedLibrary(link.name, kind)


# --- host interpreters: the I/O they need -----------------------------------------------


class HostSystem(Protocol):
    """What the host analysis reads from the machine; tests pass a fake."""

    def read_elf(self, path: Path) -> ElfInfo: ...
    def library_cache(self) -> Mapping[str, str]: ...  # soname -> path (ldconfig -p)
    def exists(self, path: str) -> bool: ...
    def realpath(self, path: str) -> str: ...
    def packages_owning(self, paths: Sequence[str]) -> Mapping[str, str]: ...  # path -> pkg
    def copyright_text(self, package: str) -> str | None: ...
    def read_text(self, path: Path) -> str | None: ...


class DebianSystem:
    """The real machine: pyelftools, ``ldconfig -p``, ``dpkg-query -S``, /usr/share/doc."""

    def read_elf(self, path: Path) -> ElfInfo:
        with open(path, "rb") as stream:
            return elf_info(
                open_elf(stream, os.fstat(stream.fileno()).st_size, str(path)), str(path)
            )

    def library_cache(self) -> Mapping[str, str]:
        ldconfig = shutil.which("ldconfig") or shutil.which("ldconfig", path="/sbin:/usr/sbin")
        output = _run_quietly([ldconfig, "-p"]) if ldconfig else ""
        return parse_ldconfig_cache(output)

    def exists(self, path: str) -> bool:
        return os.path.isfile(path)

    def realpath(self, path: str) -> str:
        return os.path.realpath(path)

    def packages_owning(self, paths: Sequence[str]) -> Mapping[str, str]:
        query = shutil.which("dpkg-query")
        if not query or not paths:
            return {}
        return parse_dpkg_search(_run_quietly([query, "-S", *paths]))

    def copyright_text(self, package: str) -> str | None:
        return self.read_text(Path("/usr/share/doc") / package / "copyright")

    def read_text(self, path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None


def _run_quietly(argv: list[str]) -> str:
    """stdout of ``argv``; a tool that fails to start gives no output (so: unknown)."""
    try:
        proc = run(argv, timeout=120)
    except (OSError, TimedOut):
        return ""
    return proc.text()  # dpkg-query exits 1 when some paths are unowned; the rest still count


_LDCONFIG_LINE = re.compile(r"^\s*(\S+)\s+\(([^)]*)\)(?:\s+OS ABI:[^=]*)?\s*=>\s*(\S+)\s*$")


def parse_ldconfig_cache(output: str, arch_tag: str = "x86-64") -> dict[str, str]:
    """``ldconfig -p`` -> soname -> path, preferring entries for ``arch_tag``."""
    entries = [m.groups() for line in output.splitlines() if (m := _LDCONFIG_LINE.match(line))]
    found: dict[str, str] = {}
    for soname, _, path in sorted(entries, key=lambda entry: arch_tag not in entry[1]):
        found.setdefault(soname, path)
    return found


def parse_dpkg_search(output: str) -> dict[str, str]:
    """``dpkg-query -S`` lines ("pkg:arch, pkg2: /path") -> path -> first package."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        if line.startswith("diversion ") or ": /" not in line:
            continue
        packages, path = line.split(": /", 1)
        package = packages.split(",")[0].strip().split(":")[0]
        found.setdefault("/" + path.strip(), package)
    return found


# --- Debian copyright files (DEP-5) ----------------------------------------------------


@dataclass(frozen=True)
class CopyrightLicenses:
    main: tuple[str, ...]  # the header's and ``Files: *`` paragraphs' licenses
    other: tuple[str, ...]  # licenses of only some files (not debian/*)


_FIELD = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$")


def deb822_paragraphs(text: str) -> list[dict[str, str]]:
    """Paragraphs of a deb822 file as {lower-case field: value}; continuations joined."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, field = {}, None
        elif line[0] in " \t" and field is not None:
            current[field] += "\n" + line.strip()
        elif (m := _FIELD.match(line)) is not None:
            field = m.group(1).lower()
            current[field] = m.group(2).strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def parse_copyright(text: str | None) -> CopyrightLicenses | None:
    """License names of a machine-readable copyright file; None if it is not one."""
    paragraphs = deb822_paragraphs(text or "")
    if not paragraphs or "copyright-format" not in paragraphs[0].get("format", ""):
        return None
    header = _short_name(paragraphs[0].get("license", ""))
    files = [
        (p["files"].split(), _short_name(p.get("license", ""))) for p in paragraphs if "files" in p
    ]
    files = [(pats, name) for pats, name in files if name and not _packaging_only(pats)]
    main = {name for pats, name in files if "*" in pats} | ({header} if header else set())
    if not main:  # no catch-all paragraph: every listed file's license applies
        main = {name for _, name in files}
    other = {name for _, name in files} - main
    return CopyrightLicenses(tuple(sorted(main)), tuple(sorted(other))) if main else None


def _short_name(value: str) -> str:
    return value.split("\n", 1)[0].strip()


def _packaging_only(patterns: list[str]) -> bool:
    """Files of the Debian packaging itself, not of the library."""
    return all(p.startswith("debian/") for p in patterns)


# --- host interpreters: the derivation ---------------------------------------------------


def host_licenses(dist: Distribution, system: HostSystem) -> DistributionLicenses:
    license_path = dist.stdlib_dir / "LICENSE.txt"
    text = system.read_text(license_path)
    return DistributionLicenses(
        description=f"{dist.python_exe} (CPython {dist.version_string})",
        source=HOST_SOURCE,
        python_licenses=("Python-2.0",) if text and PSF_LICENSE_MARK in text else None,
        python_license_path=str(license_path) if text is not None else None,
        extensions=host_extension_licenses(host_extension_modules(dist), system),
    )


def host_extension_modules(dist: Distribution) -> dict[str, Path]:
    """Module name -> file, for every shared object in the interpreter's lib-dynload."""
    try:
        names = sorted(os.listdir(dist.dynload_dir))
    except OSError:
        return {}
    return {n.split(".", 1)[0]: dist.dynload_dir / n for n in names if n.endswith(".so")}


def host_extension_licenses(
    modules: Mapping[str, Path], system: HostSystem
) -> tuple[ExtensionLicense, ...]:
    cache = system.library_cache()
    links = {name: _linked_libraries(p, cache, system) for name, p in sorted(modules.items())}
    resolved = {p for libs in links.values() if libs for p in libs.values() if p}
    packages = owning_packages(sorted(resolved), system)
    copyrights = {
        pkg: parse_copyright(system.copyright_text(pkg)) for pkg in set(packages.values())
    }
    return tuple(_host_extension(name, libs, packages, copyrights) for name, libs in links.items())


def _linked_libraries(
    path: Path, cache: Mapping[str, str], system: HostSystem
) -> dict[str, str | None] | None:
    """Non-glibc DT_NEEDED soname -> resolved path (None: not found); None if unreadable."""
    try:
        info = system.read_elf(path)
    except (AnalyzeError, OSError):
        return None
    runpath = [
        d.replace("${ORIGIN}", str(path.parent)).replace("$ORIGIN", str(path.parent))
        for d in info.runpath
    ]
    return {
        soname: resolve_library(soname, runpath, cache, system)
        for soname in info.needed
        if not is_glibc_library(soname)
    }


def resolve_library(
    soname: str, runpath: Iterable[str], cache: Mapping[str, str], system: HostSystem
) -> str | None:
    """Where the dynamic loader would find ``soname``: run path, cache, default dirs."""
    if "/" in soname:
        return soname if system.exists(soname) else None
    for directory in runpath:
        if system.exists(f"{directory}/{soname}"):
            return f"{directory}/{soname}"
    if soname in cache:
        return cache[soname]
    return next(
        (f"{d}/{soname}" for d in DEFAULT_LIBRARY_DIRS if system.exists(f"{d}/{soname}")), None
    )


def owning_packages(paths: Sequence[str], system: HostSystem) -> dict[str, str]:
    """Library path -> Debian package, asking dpkg once about every spelling of each path."""
    candidates = {p: path_spellings(p, system.realpath(p)) for p in paths}
    owners = system.packages_owning(sorted({c for cs in candidates.values() for c in cs}))
    found = {p: next((owners[c] for c in cs if c in owners), None) for p, cs in candidates.items()}
    return {p: pkg for p, pkg in found.items() if pkg is not None}


def path_spellings(path: str, real: str) -> tuple[str, ...]:
    """``path``, its real path, and their /lib <-> /usr/lib aliases (merged /usr).

    dpkg records the path a package shipped, which after the /usr merge may differ from
    the path ldconfig reports (``/lib/x86_64-linux-gnu/libz.so.1`` vs ``/usr/lib/...``).
    """
    spellings: list[str] = []
    for p in (path, real):
        for alias in (p, p.removeprefix("/usr") if p.startswith("/usr/lib") else "/usr" + p):
            if alias.startswith("/") and alias not in spellings:
                spellings.append(alias)
    return tuple(spellings)


def _host_extension(
    name: str,
    libs: Mapping[str, str | None] | None,
    packages: Mapping[str, str],
    copyrights: Mapping[str, CopyrightLicenses | None],
) -> ExtensionLicense:
    if libs is None:
        return ExtensionLicense(name, (), None)
    libraries = tuple(_host_library(s, p, packages, copyrights) for s, p in libs.items())
    known = [lib.licenses for lib in libraries]
    licenses = None if None in known else tuple(sorted({n for ns in known for n in ns or ()}))
    info = tuple(dict.fromkeys(lib.license_info for lib in libraries if lib.license_info))
    return ExtensionLicense(name, libraries, licenses, info)


def _host_library(
    soname: str,
    path: str | None,
    packages: Mapping[str, str],
    copyrights: Mapping[str, CopyrightLicenses | None],
) -> LinkedLibrary:
    package = packages.get(path) if path else None
    parsed = copyrights.get(package) if package else None
    return LinkedLibrary(
        name=soname,
        link_type="shared library",
        path=path,
        package=package,
        licenses=parsed.main if parsed else None,
        other_licenses=parsed.other if parsed else (),
        license_info=f"/usr/share/doc/{package}/copyright" if parsed else None,
    )


# --- the report (spec 3.8's format) -----------------------------------------------------


def render_licenses(d: DistributionLicenses) -> str:
    names = ", ".join(d.python_licenses) if d.python_licenses else "NO LICENSE FOUND"
    lines = [f"Python Distribution: {d.description}", f"Python Distribution Licenses: {names}"]
    if d.python_license_path:
        lines.append(f"License Text: {d.python_license_path}")
    title = "Extension Libraries and License Requirements"
    lines += ["", f"Derived from {d.source}.", _caveat(d), "", title, "=" * len(title), ""]
    shown = [ext for ext in d.extensions if ext.libraries or ext.licenses is None]
    for ext in shown:
        lines += _extension_lines(ext)
    hidden = len(d.extensions) - len(shown)
    lines.append(f"{hidden} other extension modules link no library beyond the C library.")
    return "\n".join(lines) + "\n"


def _caveat(d: DistributionLicenses) -> str:
    if d.source == HOST_SOURCE:
        return (
            "Best effort: a license stays UNKNOWN when the library, its package or a\n"
            "machine-readable copyright file cannot be found. Not legal advice."
        )
    return "License annotations in Python distributions are best effort and can be wrong."


def _extension_lines(ext: ExtensionLicense) -> list[str]:
    title = ext.module if ext.variant == "default" else f"{ext.module} ({ext.variant})"
    lines = [title, "-" * len(title), ""]
    if not ext.libraries and ext.licenses is None:
        lines += ["Dependency: UNKNOWN (the module could not be read as ELF)", ""]
    for lib in ext.libraries:
        lines += [f"Dependency: {lib.name}", f"Link Type: {lib.link_type}"]
        lines += _host_library_lines(lib) if lib.link_type == "shared library" else []
        lines.append("")
    licenses = ", ".join(ext.licenses) if ext.licenses is not None else "UNKNOWN"
    lines.append(f"Licenses: {licenses or 'none beyond the Python license'}")
    lines += [f"License Info: {info}" for info in ext.license_info]
    return [*lines, ""]


def _host_library_lines(lib: LinkedLibrary) -> list[str]:
    lines = [f"Found At: {lib.path or 'NOT FOUND'}", f"Debian Package: {lib.package or 'UNKNOWN'}"]
    lines.append(f"Package Licenses: {', '.join(lib.licenses) if lib.licenses else 'UNKNOWN'}")
    if lib.other_licenses:
        lines.append(f"Licenses Of Some Source Files: {', '.join(lib.other_licenses)}")
    return lines
