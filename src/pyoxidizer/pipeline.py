"""The build pipeline: config -> distribution -> rules -> bytecode -> payload -> app.

``build()`` is pure orchestration over the stages; it reports progress through a
``Reporter`` and never prints itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import shutil
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Protocol

from pyoxidizer import __version__
from pyoxidizer.assemble.appdir import assemble_app, read_stamp
from pyoxidizer.assemble.materialise import materialise
from pyoxidizer.collect.explain import explain
from pyoxidizer.collect.linkcheck import unresolved_libraries, warnings_for
from pyoxidizer.collect.resources import (
    ModuleSource,
    ResourceCollector,
    is_app_relative,
)
from pyoxidizer.collect.rules import RuleContext, apply_rule
from pyoxidizer.compile.bytecode import BytecodeCompiler, CompileJob
from pyoxidizer.config.schema import Config, EmbeddedPythonConfig
from pyoxidizer.errors import NotImplementedFeatureError
from pyoxidizer.launcher import ensure_launcher
from pyoxidizer.payload.runtime_config import check_allocator, payload_header
from pyoxidizer.payload.writer import write_payload, write_trailer
from pyoxidizer.pythondist import Distribution, probe_host_distribution
from pyoxidizer.pythondist.licenses import DebianSystem

HOST_TARGET = "x86_64-unknown-linux-gnu"
# CPython drops frames of these file names from import tracebacks (import.c,
# remove_importlib_frames); the importer takes that name so a failing import shows only the
# importing line and the imported module's own frames, as it does under python.
IMPORTER_FILENAME = "<frozen importlib._bootstrap_external>"
RUNTIME_MODULES = (
    ("_pyoxidizer_importer", "importer.py"),
    ("_pyoxidizer_bootstrap", "bootstrap.py"),
)
RUNTIME_SERVICES = "_pyoxidizer_resources"
COMPILE_CHUNK = 250


class Reporter(Protocol):
    def stage(self, message: str) -> None: ...
    def detail(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def progress(self, label: str, done: int, total: int) -> None: ...


@dataclass(frozen=True)
class BuildOptions:
    release: bool
    cache_dir: Path
    default_python: str  # the interpreter running pyoxidizer
    verbose: bool = False


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


def resolve_distribution(config: Config, options: BuildOptions) -> Distribution:
    dist = config.python_distribution
    if dist.local_path is not None or dist.url is not None:
        raise NotImplementedFeatureError(
            "[[python_distribution]]: python-build-standalone archives (local_path/url) are "
            "recognised but not implemented yet; use python_executable or omit the section"
        )
    return probe_host_distribution(dist.python_executable or options.default_python)


def collect(
    config: Config, dist: Distribution, options: BuildOptions, reporter: Reporter
) -> ResourceCollector:
    collector = ResourceCollector()
    work = config.build.build_path / "work"
    shutil.rmtree(work, ignore_errors=True)
    ctx = RuleContext(dist, collector, options.verbose, work, config.origin)
    try:
        for rule in config.rules:
            first = len(collector.decisions)
            apply_rule(rule, ctx)
            for line in explain(rule.label, collector.decisions[first:]):
                reporter.detail(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    collector.add_missing_parents()
    _add_runtime_services(collector)
    system = DebianSystem().library_cache()
    collector.warnings.extend(warnings_for(unresolved_libraries(collector, dist, system)))
    for warning in collector.warnings:
        reporter.warn(warning)
    return collector


def _add_runtime_services(collector: ResourceCollector) -> None:
    """Embed the lazily imported runtime module behind resources, metadata and pkgutil."""
    source = (importlib_resources.files("pyoxidizer.runtime") / "resources.py").read_bytes()
    module = ModuleSource(RUNTIME_SERVICES, source, False, None)
    collector.modules[RUNTIME_SERVICES] = module  # not a user resource: no decision recorded


def _co_filename(module: ModuleSource) -> str:
    path = module.name.replace(".", "/") + ("/__init__.py" if module.is_package else ".py")
    return path if is_app_relative(module.location) else f"<oxidized>/{path}"


def compile_modules(
    modules: list[ModuleSource], compiler: BytecodeCompiler, reporter: Reporter
) -> list[bytes | None]:
    jobs = [
        CompileJob(
            m.name, m.source, _co_filename(m), m.optimize_level, str(m.origin or ""), m.optional
        )
        for m in modules
    ]
    out: list[bytes | None] = []
    for start in range(0, len(jobs), COMPILE_CHUNK):
        out.extend(compiler.compile(jobs[start : start + COMPILE_CHUNK]))
        reporter.progress("compiling bytecode", len(out), len(jobs))
    return out


def _runtime_filename(name: str, filename: str) -> str:
    return IMPORTER_FILENAME if name == "_pyoxidizer_importer" else f"<pyoxidizer {filename}>"


def bootstrap_blob(compiler: BytecodeCompiler) -> bytes:
    runtime = importlib_resources.files("pyoxidizer.runtime")
    jobs = [
        CompileJob(name, (runtime / filename).read_bytes(), _runtime_filename(name, filename), 0)
        for name, filename in RUNTIME_MODULES
    ]
    codes = [code or b"" for code in compiler.compile(jobs)]
    # Code objects stay as the target's marshal bytes: the launcher unmarshals each one.
    return marshal.dumps(tuple(zip([n for n, _ in RUNTIME_MODULES], codes, strict=True)), 4)


def _tool_digest() -> bytes:
    """Digest of pyoxidizer's own sources: a changed tool must not reuse an old app."""
    package = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".c"):
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.digest()


def _fingerprint(collector: ResourceCollector, launcher: Path, config: Config) -> str:
    """Digest of everything that goes into the app; equal digests mean nothing changed."""
    h = hashlib.sha256(f"{__version__}|{launcher}|{config!r}".encode())
    h.update(_tool_digest())  # the runtime code and the build logic are inputs too
    for table in collector.tables().values():
        for name in sorted(table):
            for key, item in vars(table[name]).items():
                if key == "origin":
                    continue  # where a file was read from (a scratch dir) is not output
                h.update(item if isinstance(item, bytes) else repr(item).encode())
                h.update(b"\0")
    return h.hexdigest()


def build(config: Config, options: BuildOptions, reporter: Reporter) -> BuildResult:
    reporter.stage(f"processing config file {config.path}")
    dist = resolve_distribution(config, options)
    reporter.stage(f"using Python distribution {dist.python_exe} (CPython {dist.version_string})")
    check_allocator(config.embedded, dist.cc)  # fail before the slow stages
    reporter.stage("resolving Python resources from packaging rules")
    collector = collect(config, dist, options, reporter)
    launcher, built = ensure_launcher(dist, options.release, options.cache_dir)
    reporter.stage(("linked launcher " if built else "reusing cached launcher ") + str(launcher))
    app_dir = app_dir_for(config, options.release)
    exe = app_dir / config.build.application_name
    stamp = _fingerprint(collector, launcher, config)
    counts = _counts(collector)
    if exe.is_file() and read_stamp(app_dir) == stamp:
        reporter.stage("application is up to date")
        return BuildResult(exe, app_dir, exe.stat().st_size, *counts, up_to_date=True)
    compiler = BytecodeCompiler(
        dist.python_exe,
        options.cache_dir / "bytecode" / f"{dist.cache_tag}-{dist.identity()}.marshal",
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
    boot = bootstrap_blob(compiler)
    compiler.save()
    assert compiler.magic is not None
    strip_cache = options.cache_dir if options.release else None
    parts = materialise(collector, codes, compiler.magic, dist, strip_cache)
    reporter.stage(f"writing payload ({len(parts.entries)} embedded entries)")
    embedded = _with_extra_sys_paths(config, collector)
    payload, index_len = write_payload(payload_header(embedded, config.run, boot), parts.entries)
    offset = launcher.stat().st_size
    trailer = write_trailer(offset, payload, index_len)
    exe = assemble_app(
        app_dir, config.build.application_name, launcher, [payload, trailer], parts.files, stamp
    )
    return BuildResult(exe, app_dir, exe.stat().st_size, *counts, up_to_date=False)


def _with_extra_sys_paths(config: Config, collector: ResourceCollector) -> EmbeddedPythonConfig:
    """The run-time settings, plus the directories rules placed packages in."""
    extra = [p for p in collector.extra_sys_paths if p not in config.embedded.sys_paths]
    if not extra:
        return config.embedded
    return dataclasses.replace(config.embedded, sys_paths=(*config.embedded.sys_paths, *extra))


def _counts(collector: ResourceCollector) -> tuple[int, int, int]:
    return len(collector.modules), len(collector.resources), len(collector.extensions)
