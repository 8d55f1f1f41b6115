"""``pyoxidizer distribution``: turn a built app into tarballs, Debian packages, WiX sources.

Which artifacts: the ``--type`` values given, each with the options of the last
``[[distribution]]`` section of that type (or the defaults); without ``--type``, every type
that has a section. Everything lands in ``<build_path>/distributions/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pyoxidizer._fs import atomic_output
from pyoxidizer._proc import Runner, run
from pyoxidizer.commands.analyze import analyze_file
from pyoxidizer.commands.installers.deb import build_deb, deb_metadata
from pyoxidizer.commands.installers.tarball import tarball_name, write_tarball
from pyoxidizer.commands.installers.tree import app_tree
from pyoxidizer.commands.installers.wix import render_wxs, upgrade_code, wxs_name
from pyoxidizer.config.rules import (
    DISTRIBUTION_TYPES,
    DebDistribution,
    DistributionOptions,
    TarballDistribution,
    WixDistribution,
)
from pyoxidizer.config.schema import Config
from pyoxidizer.errors import AppDistributionError
from pyoxidizer.pythondist.licenses import (
    DebianSystem,
    HostSystem,
    owning_packages,
    resolve_library,
)

TYPES = ("tarball", "deb", "wix")


@dataclass(frozen=True)
class BuiltApp:
    name: str
    exe: Path
    app_dir: Path
    target: str
    release: bool


@dataclass(frozen=True)
class Produced:
    type: str
    path: Path
    note: str | None = None


def distributions_dir(config: Config) -> Path:
    return config.build.build_path / "distributions"


def requested(config: Config, types: Sequence[str]) -> list[DistributionOptions]:
    """The options of each installer to produce, in order; errors if nothing is asked for.

    The last section of a type wins; a type asked for with ``--type`` but without a section
    gets that type's defaults.
    """
    sections = {s.type: s.options for s in config.distributions}
    wanted = list(dict.fromkeys(types)) if types else list(sections)
    if not wanted:
        raise AppDistributionError(
            f"{config.path} has no [[distribution]] sections; "
            f"say which to make with --type ({', '.join(TYPES)})"
        )
    return [sections.get(kind) or _defaults(kind) for kind in wanted]


def _defaults(kind: str) -> DistributionOptions:
    return cast(DistributionOptions, DISTRIBUTION_TYPES[kind]())


def produce(
    config: Config,
    app: BuiltApp,
    types: Sequence[str],
    mtime: int,
    runner: Runner = run,
    system: HostSystem | None = None,
) -> list[Produced]:
    out_dir = distributions_dir(config)
    produced = []
    for options in requested(config, types):
        if isinstance(options, TarballDistribution):
            out = out_dir / tarball_name(app.name, app.target, app.release)
            prefix = options.path_prefix or ""
            produced.append(Produced(options.TYPE, write_tarball(app.app_dir, out, prefix, mtime)))
        elif isinstance(options, DebDistribution):
            deb = _deb(app, options, out_dir, mtime, runner, system)
            produced.append(Produced(options.TYPE, deb))
        else:
            produced.append(_wix(app, options, out_dir))
    return produced


def _deb(
    app: BuiltApp,
    options: DebDistribution,
    out_dir: Path,
    mtime: int,
    runner: Runner,
    system: HostSystem | None,
) -> Path:
    analysis = analyze_file(app.exe)
    glibc = analysis.glibc_required
    depends = (f"libc6 (>= {glibc})",) if analysis.libc == "glibc" and glibc else ()
    needs = analysis.embedded_needs
    libraries = sorted(needs.libraries) if needs is not None else []
    recommends = library_packages(libraries, system or DebianSystem())
    meta = deb_metadata(options, app.name, app.target, depends, recommends)
    return build_deb(app.app_dir, app.name, meta, out_dir, mtime, runner)


def library_packages(sonames: Sequence[str], system: HostSystem) -> tuple[str, ...]:
    """The Debian packages that provide ``sonames`` on this machine (those found)."""
    cache = system.library_cache()
    paths = [p for s in sonames if (p := resolve_library(s, (), cache, system))]
    return tuple(sorted(set(owning_packages(paths, system).values())))


def _wix(app: BuiltApp, options: WixDistribution, out_dir: Path) -> Produced:
    out = out_dir / wxs_name(app.name)
    text = render_wxs(app.name, app_tree(app.app_dir), upgrade_code(options, app.name))
    with atomic_output(out) as stream:
        stream.write(text.encode("utf-8"))
    note = (
        "building the MSI from it needs Windows (WiX Toolset) and an app built for a "
        f"Windows target; this app is built for {app.target}"
    )
    return Produced("wix", out, note)
