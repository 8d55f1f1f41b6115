"""python-build-standalone distributions (spec 7.3.2) as a ``Distribution``.

An archive named by ``[[python_distribution]]`` (``local_path`` or ``url``, always with
``sha256``) is verified, extracted once into the cache (``fetch.py``) and read by its
``PYTHON.json`` (``pythonjson.py``). What the collect and compile stages need is the same
as for a host interpreter (the stdlib directory, the version and cache tag, the extension
suffix, and an interpreter that runs on this machine: the archive's ``python_exe``); what
differs is how the launcher is made. A host links its static libpython as it is; a
standalone distribution links the core objects, the objects of the extension modules the
packaging rules select, the static libraries they need and a generated inittab, with zig
(``launcher/standalone.py``). Every selected stdlib extension module becomes a builtin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyoxidizer._proc import Runner
from pyoxidizer._report import Reporter
from pyoxidizer.config.schema import PythonDistributionConfig
from pyoxidizer.errors import DistributionError
from pyoxidizer.pythondist.fetch import (
    Fetcher,
    downloaded_archive,
    extracted_archive,
    urllib_fetch,
    verified_local_archive,
)
from pyoxidizer.pythondist.host import SUPPORTED, Distribution, probe_interpreter
from pyoxidizer.pythondist.pythonjson import ExtensionVariant, PythonJson, parse_python_json
from pyoxidizer.pythondist.zig import SYSTEM_LIBRARIES, find_zig, target_libc, zig_target


@dataclass(frozen=True)
class StandaloneParts:
    """What only a standalone distribution has: its archive's metadata and link inputs."""

    root: Path  # the extracted ``python/`` directory; PYTHON.json paths are relative to it
    source: str  # the archive's path or URL, as the config names it
    sha256: str  # of the archive: the distribution's identity
    info: PythonJson
    pip: tuple[str, ...]  # the command that runs pip with the distribution's interpreter
    # Modules that cannot become builtins for this target, with the reason.
    unlinkable: Mapping[str, str] = field(default_factory=dict)

    def path(self, relative: str) -> Path:
        return self.root / relative

    @property
    def libc(self) -> str:
        return target_libc(self.info.target_triple)

    def linkable_variants(self, module: str) -> tuple[ExtensionVariant, ...]:
        return tuple(
            v for v in self.info.extensions.get(module, ()) if _link_problem(v, self.libc) is None
        )


def standalone_from_config(
    section: PythonDistributionConfig,
    target: str,
    cache_dir: Path,
    runner: Runner,
    reporter: Reporter,
    fetch: Fetcher = urllib_fetch,
) -> Distribution:
    """The distribution a ``[[python_distribution]]`` archive section describes."""
    assert section.sha256 is not None  # the config loader requires it with local_path/url
    sha256 = section.sha256.lower()
    if section.local_path is not None:
        source = str(section.local_path)
        archive = verified_local_archive(section.local_path, sha256, cache_dir)
    else:
        assert section.url is not None
        source = section.url
        archive = downloaded_archive(section.url, sha256, cache_dir, reporter, fetch)
    root = extracted_archive(archive, sha256, cache_dir, reporter) / "python"
    dist = standalone_distribution(root, source, sha256, runner)
    if dist.target != target:
        raise DistributionError(
            f"[[python_distribution]] {source} is built for {dist.target}, but the build "
            f"target is {target}; name an archive for {target} (a section with "
            f'build_target = "{target}" applies to that target only)'
        )
    return dist


def read_python_json(root: Path, source: str) -> PythonJson:
    where = f"{source}: python/PYTHON.json"
    try:
        doc = json.loads((root / "PYTHON.json").read_bytes())
    except OSError as exc:
        raise DistributionError(f"cannot read {where}: {exc.strerror}") from None
    except ValueError as exc:
        raise DistributionError(f"{where} is not valid JSON ({exc})") from None
    return parse_python_json(doc, where)


def standalone_distribution(root: Path, source: str, sha256: str, runner: Runner) -> Distribution:
    """The distribution extracted at ``root`` (its ``python/`` directory)."""
    info = read_python_json(root, source)
    _check_usable(info, source)
    # zig cc turns UBSan on in unoptimised compiles (and links its run time): never wanted.
    target = zig_target(info.target_triple, info.glibc_floor)
    cc = (str(find_zig()), "cc", "-target", target, "-fno-sanitize=undefined")
    python_exe = root / info.python_exe
    _check_interpreter(python_exe, info, source, runner)
    pip = _pip_command(python_exe, root, info)
    return distribution_from_python_json(root, source, sha256, info, cc, pip)


def distribution_from_python_json(
    root: Path,
    source: str,
    sha256: str,
    info: PythonJson,
    cc: tuple[str, ...],
    pip: tuple[str, ...],
) -> Distribution:
    """The ``Distribution`` of an archive extracted at ``root``, described by ``info``."""
    libc = target_libc(info.target_triple)
    unlinkable = {
        name: problem
        for name, variants in info.extensions.items()
        if (problem := _unlinkable(variants, libc)) is not None
    }
    stdlib = root / info.stdlib
    return Distribution(
        python_exe=root / info.python_exe,
        version=info.version,
        cache_tag=info.cache_tag,
        stdlib_dir=stdlib,
        dynload_dir=stdlib / "lib-dynload",
        include_dir=root / info.include,
        # The host launcher's inputs; a standalone launcher links parts.info's instead.
        static_lib=root / (info.core_static_lib or ""),
        link_libs=tuple(f"-l{link.name}" for link in info.core_links if link.system),
        cc=cc,
        ext_suffix=info.ext_suffix,
        builtin_modules=frozenset(
            name
            for name, variants in info.extensions.items()
            if variants[0].in_core or variants[0].required
        ),
        target=info.target_triple,
        standalone=StandaloneParts(root, source, sha256, info, pip, unlinkable),
    )


def _check_usable(info: PythonJson, source: str) -> None:
    if info.version[:2] not in SUPPORTED:
        wanted = ", ".join(f"{a}.{b}" for a, b in SUPPORTED)
        raise DistributionError(
            f"{source} is CPython {info.python_version}; supported versions are {wanted}"
        )
    if info.object_file_format != "elf":
        raise DistributionError(
            f"{source} holds {info.object_file_format} object files; pyoxidizer links ELF "
            "objects only. LTO builds hold LLVM bitcode: use a build without LTO (a 'noopt' "
            "or 'pgo' full archive)"
        )
    if "freethreading" in info.build_options.split("+"):
        raise DistributionError(f"{source} is a free-threaded build; not supported yet")


def _check_interpreter(python_exe: Path, info: PythonJson, source: str, runner: Runner) -> None:
    """The archive's interpreter compiles bytecode and runs pip: it must run here."""
    try:
        answer = probe_interpreter(str(python_exe), runner)
    except DistributionError as exc:
        raise DistributionError(
            f"{source}: its interpreter cannot run on this machine, and pyoxidizer compiles "
            f"bytecode and runs pip with it: {exc}"
        ) from None
    if answer.get("version") != list(info.version):
        raise DistributionError(
            f"{source}: PYTHON.json says CPython {info.python_version}, but its interpreter "
            f"{python_exe} reports {answer.get('version')}; the archive is inconsistent"
        )


def _pip_command(python_exe: Path, root: Path, info: PythonJson) -> tuple[str, ...]:
    """How to run pip with the archive's interpreter: ``python -m pip`` when the archive
    installs pip, else the pip wheel ensurepip bundles (a wheel holding pip runs from its
    path, as pip documents)."""
    stdlib = root / info.stdlib
    wheels = sorted((stdlib / "ensurepip" / "_bundled").glob("pip-*.whl"))
    if (stdlib / "site-packages" / "pip").is_dir() or not wheels:
        return (str(python_exe), "-m", "pip")
    return (str(python_exe), str(wheels[-1] / "pip"))


def _link_problem(variant: ExtensionVariant, libc: str) -> str | None:
    """Why ``variant`` cannot become a builtin of a ``libc`` executable, or None."""
    if not variant.in_core and not variant.objs and variant.static_lib is None:
        if variant.shared_lib:
            return f"the archive has it only as a shared library ({variant.shared_lib})"
        return "the archive has no object files for it"
    missing = sorted(
        link.name
        for link in variant.links
        if link.system and not link.framework and link.name not in SYSTEM_LIBRARIES[libc]
    )
    if missing:
        names = ", ".join(f"lib{name}" for name in missing)
        return f"it links {names}, which zig's {libc} C library does not provide"
    dynamic = sorted(
        link.name
        for link in variant.links
        if not (link.system or link.framework or link.path_static)
    )
    if dynamic:
        names = ", ".join(f"lib{name}" for name in dynamic)
        return f"it links {names}, of which the archive has no static library"
    if any(link.framework for link in variant.links):
        return "it links a macOS framework"
    return None


def _unlinkable(variants: tuple[ExtensionVariant, ...], libc: str) -> str | None:
    problems = [_link_problem(v, libc) for v in variants]
    return None if any(p is None for p in problems) else str(problems[0])
