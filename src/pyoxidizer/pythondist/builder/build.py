"""Orchestration: sources -> dependency libraries -> CPython -> archive, one stage a line."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import StandaloneBuildError
from . import cpython
from .archive import write_archive
from .context import BuildContext
from .keys import build_key, library_digest, recipe_digest, step_key
from .process import Reporter, Runner, run_subprocess
from .recipes import LIBRARIES, Library
from .sources import SourceTarball, discover_sources, sha256_of
from .stage import stage_distribution
from .targets import Target, target_for
from .toolchain import Zig, find_zig, make_toolchain
from .workspace import Workspace, extract


@dataclass(frozen=True)
class BuildRequest:
    """What the CLI asks for; ``environ`` is the environment the build commands inherit."""

    sources_dir: Path
    triple: str
    output: Path
    cache_dir: Path
    environ: Mapping[str, str]
    jobs: int = 2
    verbose: bool = False
    use_cache: bool = True


@dataclass(frozen=True)
class BuildResult:
    """The written archive, its digest, and how long each stage took (empty when cached)."""

    output: Path
    sha256: str
    from_cache: bool
    timings: tuple[tuple[str, float], ...] = field(default_factory=tuple)


def build_distribution(
    request: BuildRequest, reporter: Reporter, runner: Runner = run_subprocess
) -> BuildResult:
    """Build (or reuse from the cache) a standalone CPython archive for one target."""
    target = target_for(request.triple)
    _check_output(request.output)
    sources = discover_sources(request.sources_dir)
    zig = find_zig()
    recipes = recipe_digest()
    key = build_key(sources, recipes, target.triple, zig)
    cached = request.cache_dir / "standalone" / "archives" / f"{target.triple}-{key[:32]}.tar.zst"
    if request.use_cache and cached.is_file():
        reporter.stage(f"reusing the cached build of {target.triple} ({cached})")
        _copy_atomically(cached, request.output)
        return BuildResult(request.output, sha256_of(request.output), from_cache=True)
    timings = _Timings(reporter)
    work = Workspace(request.cache_dir / "standalone" / "work", target.triple)
    if not request.use_cache:
        work.reset_target()
    ctx = _context(request, work, target, zig, reporter, runner)
    _extract_all(work, sources, ctx, timings)
    libraries = [lib for lib in LIBRARIES if lib.source in sources]
    total = len(libraries) + 1
    for index, library in enumerate(libraries, start=1):
        _build_library(work, ctx, library, sources[library.source], f"({index}/{total})", timings)
    build = _build_cpython(work, ctx, sources, libraries, f"({total}/{total})", timings)
    with timings.stage("collecting objects, metadata and licences"):
        stage_distribution(ctx, work, target, build, sources, libraries, recipes)
    with timings.stage(f"writing {request.output.name}"):
        write_archive(work.stage, cached)
        _copy_atomically(cached, request.output)
    return BuildResult(request.output, sha256_of(request.output), False, timings.done)


def _context(
    request: BuildRequest,
    work: Workspace,
    target: Target,
    zig: Zig,
    reporter: Reporter,
    runner: Runner,
) -> BuildContext:
    toolchain = make_toolchain(zig, target, work.tools, work.root, request.cache_dir / "zig")
    return BuildContext(
        toolchain=toolchain,
        prefix=work.prefix,
        logs_dir=work.logs,
        jobs=request.jobs,
        runner=runner,
        reporter=reporter,
        verbose=request.verbose,
        base_env=request.environ,
    )


def _check_output(output: Path) -> None:
    if not output.parent.is_dir():
        raise StandaloneBuildError(
            f"The output directory {output.parent} does not exist; create it first."
        )
    if not output.name.endswith(".tar.zst"):
        raise StandaloneBuildError(f"The output {output} must be a .tar.zst file.")


def _copy_atomically(source: Path, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _extract_all(
    work: Workspace, sources: dict[str, SourceTarball], ctx: BuildContext, timings: _Timings
) -> None:
    with (
        work.shared_lock(),
        timings.stage(f"extracting and preparing {len(sources)} source tarballs"),
    ):
        for source in sources.values():
            extract(work, source, ctx.runner, ctx.env())
        for library in LIBRARIES:
            if library.prepare is not None and library.source in sources:
                library.prepare(ctx, work.source_dir(library.source))


def _build_library(
    work: Workspace,
    ctx: BuildContext,
    library: Library,
    source: SourceTarball,
    counter: str,
    timings: _Timings,
) -> None:
    key = step_key(
        [source.sha256, library_digest(library.build.__module__), ctx.toolchain.zig.version]
    )
    label = f"{library.name} {source.upstream_version}"
    if work.stamp_matches(library.name, key):
        ctx.reporter.stage(f"reusing {label} from an earlier run {counter}")
        return
    with timings.stage(f"building {label} {counter}"):
        ctx.log_for(library.name).unlink(missing_ok=True)
        library.build(ctx, work.fresh_copy(library.source, library.name))
    work.write_stamp(library.name, key)


def _build_cpython(
    work: Workspace,
    ctx: BuildContext,
    sources: dict[str, SourceTarball],
    libraries: list[Library],
    counter: str,
    timings: _Timings,
) -> cpython.CPythonBuild:
    python = sources["cpython"]
    # Any change to a dependency or a recipe rebuilds CPython: it links them all.
    key = step_key([recipe_digest(), *(f"{k}={s.sha256}" for k, s in sorted(sources.items()))])
    if work.stamp_matches("cpython", key):
        ctx.reporter.stage(f"reusing CPython {python.version} from an earlier run {counter}")
        return cpython.existing(work, python.version)
    with timings.stage(f"building CPython {python.version} {counter}"):
        ctx.log_for("cpython").unlink(missing_ok=True)
        build = cpython.build(ctx, work.fresh_copy("cpython", "cpython"), work, libraries)
    work.write_stamp("cpython", key)
    return build


class _Timings:
    """Reports each stage as it starts and records how long it took."""

    def __init__(self, reporter: Reporter) -> None:
        self._reporter = reporter
        self.done: tuple[tuple[str, float], ...] = ()

    @contextmanager
    def stage(self, message: str) -> Iterator[None]:
        self._reporter.stage(message)
        start = time.monotonic()
        yield
        elapsed = time.monotonic() - start
        self.done = (*self.done, (message, elapsed))
        self._reporter.detail(f"  done in {elapsed:.0f} s")
