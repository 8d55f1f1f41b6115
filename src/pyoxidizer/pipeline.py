"""The build pipeline: config -> distribution -> collect -> compile -> payload -> launcher -> app.

``build()`` is orchestration only: each stage takes and returns typed values, progress goes
to a ``Reporter``, and everything that runs programs or reads the machine comes in through
``BuildTools``, which tests replace with fakes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyoxidizer._fs import exclusive_lock
from pyoxidizer._proc import Runner, run
from pyoxidizer._report import Reporter
from pyoxidizer.assemble.appdir import AppFile, assemble_app
from pyoxidizer.assemble.compression import load_compressor, save_compressor
from pyoxidizer.assemble.materialise import AppBytecode, materialise
from pyoxidizer.assemble.stamp import fingerprint, is_up_to_date, write_stamp
from pyoxidizer.collect.resources import ResourceCollector
from pyoxidizer.collect.rules.extensions import linked_extensions
from pyoxidizer.collect.stage import collect_resources
from pyoxidizer.compile.bytecode import BytecodeCompiler
from pyoxidizer.compile.imports import extension_import_warnings
from pyoxidizer.compile.stage import bootstrap_blob, compile_modules, main_code, module_facts
from pyoxidizer.config.schema import Config, PythonDistributionConfig
from pyoxidizer.errors import DistributionError
from pyoxidizer.launcher import build_launcher, check_raw_allocator, decompresses
from pyoxidizer.launcher.toolchain import LauncherProvider
from pyoxidizer.payload.settings import payload_header, runtime_settings
from pyoxidizer.payload.writer import write_payload, write_trailer
from pyoxidizer.preflight import check_config
from pyoxidizer.pythondist import Distribution, probe_host_distribution
from pyoxidizer.pythondist.host import HOST_TARGET
from pyoxidizer.pythondist.licenses import DebianSystem
from pyoxidizer.pythondist.standalone import standalone_from_config


@dataclass(frozen=True)
class BuildOptions:
    release: bool
    cache_dir: Path
    default_python: str  # the interpreter running pyoxidizer
    verbose: bool = False


@dataclass(frozen=True)
class DistributionRequest:
    """Which distribution a build needs: the config's section, for the build target."""

    section: PythonDistributionConfig
    target: str
    default_python: str  # the interpreter running pyoxidizer: the zero-setup default
    cache_dir: Path  # downloaded and extracted archives live here


def resolve_distribution(
    request: DistributionRequest, runner: Runner, reporter: Reporter
) -> Distribution:
    section = request.section
    if section.local_path is not None or section.url is not None:
        return standalone_from_config(section, request.target, request.cache_dir, runner, reporter)
    if request.target != HOST_TARGET:
        raise DistributionError(
            f"target {request.target} needs a python-build-standalone distribution built for "
            f"it: add a [[python_distribution]] section with build_target = "
            f'"{request.target}", local_path (or url) and sha256; a host interpreter '
            f"builds for {HOST_TARGET} only"
        )
    return probe_host_distribution(section.python_executable or request.default_python, runner)


def _system_libraries() -> Iterable[str]:
    return DebianSystem().library_cache()


@dataclass(frozen=True)
class BuildTools:
    """Everything the build runs or asks the machine; the defaults are the real ones."""

    runner: Runner = run
    distribution: Callable[[DistributionRequest, Runner, Reporter], Distribution] = field(
        default=resolve_distribution
    )
    launcher: LauncherProvider = field(default=build_launcher)
    system_libraries: Callable[[], Iterable[str]] = field(default=_system_libraries)


@dataclass(frozen=True)
class BuildResult:
    exe: Path
    app_dir: Path
    size: int
    modules: int
    resources: int
    extensions: int
    up_to_date: bool


def app_dir_for(config: Config, release: bool) -> Path:
    kind = "release" if release else "debug"
    name = config.build.application_name
    return config.build.build_path / "apps" / name / config.target / kind


def build(
    config: Config, options: BuildOptions, reporter: Reporter, tools: BuildTools = BuildTools()
) -> BuildResult:
    """Build the app ``config`` describes, or say it is up to date."""
    reporter.stage(f"processing config file {config.path}")
    dist = _distribution(config, options, tools, reporter)
    reporter.stage(f"using Python distribution {dist.source} (CPython {dist.version_string})")
    # Fail before writing anything.
    check_config(config, dist, tools.runner)
    check_raw_allocator(config.embedded.raw_allocator, dist)
    build_path = config.build.build_path
    with exclusive_lock(
        build_path / ".lock",
        lambda: reporter.stage(f"waiting for another build using {build_path} to finish"),
    ):
        return _build_locked(config, dist, options, reporter, tools)


def _distribution(
    config: Config, options: BuildOptions, tools: BuildTools, reporter: Reporter
) -> Distribution:
    section = config.python_distribution
    request = DistributionRequest(section, config.target, options.default_python, options.cache_dir)
    try:
        return tools.distribution(request, tools.runner, reporter)
    except DistributionError as exc:
        if section.python_executable is None:
            raise
        where = f"{config.path}: [[python_distribution]]: key 'python_executable'"
        raise DistributionError(f"{where}: {exc}") from None


def _build_locked(
    config: Config,
    dist: Distribution,
    options: BuildOptions,
    reporter: Reporter,
    tools: BuildTools,
) -> BuildResult:
    reporter.stage("resolving Python resources from packaging rules")
    _remove_work_dirs(config.build.build_path)
    collector = collect_resources(
        config,
        dist,
        Path(tempfile.mkdtemp(dir=config.build.build_path, prefix=WORK_PREFIX)),
        verbose=options.verbose,
        runner=tools.runner,
        system_libraries=tools.system_libraries,
        reporter=reporter,
    )
    builtins = linked_extensions(dist, collector)
    launcher, built = tools.launcher(
        dist, options.release, options.cache_dir, builtins, config.embedded.raw_allocator
    )
    reporter.stage(("linked launcher " if built else "reusing cached launcher ") + str(launcher))
    app_dir = app_dir_for(config, options.release)
    exe = app_dir / config.build.application_name
    stamp = fingerprint(collector, launcher, config)
    counts = _counts(collector)
    if is_up_to_date(app_dir, stamp):
        reporter.stage("application is up to date")
        return BuildResult(exe, app_dir, exe.stat().st_size, *counts, up_to_date=True)
    payload, trailer, files = _payload(config, dist, collector, options, reporter, tools, launcher)
    exe = assemble_app(app_dir, config.build.application_name, launcher, [payload, trailer], files)
    write_stamp(app_dir, stamp)
    return BuildResult(exe, app_dir, exe.stat().st_size, *counts, up_to_date=False)


WORK_PREFIX = "work-"


def _remove_work_dirs(build_path: Path) -> None:
    """Scratch space of builds that were killed: the build lock says none is running."""
    for work in build_path.glob(WORK_PREFIX + "*"):
        shutil.rmtree(work, ignore_errors=True)


def _payload(
    config: Config,
    dist: Distribution,
    collector: ResourceCollector,
    options: BuildOptions,
    reporter: Reporter,
    tools: BuildTools,
    launcher: Path,
) -> tuple[bytes, bytes, dict[str, AppFile]]:
    """(payload, trailer, app-relative files)."""
    compiler = BytecodeCompiler(
        dist.python_exe,
        options.cache_dir / "bytecode" / f"{dist.cache_tag}-{dist.identity()}.marshal",
        tools.runner,
    )
    modules = sorted(collector.modules.values(), key=lambda m: m.name)
    reporter.stage(f"compiling {len(modules)} modules with {dist.python_exe.name}")
    codes: dict[str, bytes] = {}
    for module, code in zip(modules, compile_modules(modules, compiler, reporter), strict=True):
        if code is None:
            collector.drop_module(module.name, "its source does not compile")
            reporter.detail(f"skipped {module.name}: its source does not compile")
        else:
            codes[module.name] = code
    facts = module_facts([m for m in modules if m.name in codes], compiler)
    for warning in extension_import_warnings(config, dist, collector, facts, compiler):
        reporter.warn(warning)
    boot = bootstrap_blob(compiler)
    code = main_code(
        config.run.code if config.run.mode == "eval" else None,
        config.embedded.optimize_level,
        compiler,
    )
    compiler.save()
    assert compiler.magic is not None
    strip_cache = options.cache_dir if options.release else None
    app_bytecode = AppBytecode(
        dist.cache_tag,
        config.embedded.optimize_level,
        {name: f.source_hash for name, f in facts.items()},
    )
    parts = materialise(
        collector,
        codes,
        compiler.magic,
        dist,
        strip_cache,
        tools.runner,
        app_bytecode=app_bytecode,
    )
    reporter.stage(f"writing payload ({len(parts.entries)} embedded entries)")
    settings = runtime_settings(config.embedded, config.run, collector.extra_sys_paths)
    compressor = None
    if decompresses(dist):
        compressor = load_compressor(options.cache_dir, dist, options.release)
    elif any(entry.compress for entry in parts.entries):
        reporter.stage(
            f"storing the payload uncompressed: {dist.source} has no zstd built "
            f'for {dist.target} (docs/standalone-distributions.md, "Compression")'
        )
    payload, index_len = write_payload(
        payload_header(config.embedded, settings, boot, code), parts.entries, compressor
    )
    if compressor is not None:
        save_compressor(compressor, options.cache_dir, dist)
    trailer = write_trailer(launcher.stat().st_size, payload, index_len)
    return payload, trailer, parts.files


def _counts(collector: ResourceCollector) -> tuple[int, int, int]:
    return len(collector.modules), len(collector.resources), len(collector.extensions)
