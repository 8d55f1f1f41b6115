"""The build pipeline: config -> distribution -> rules -> bytecode -> payload -> app.

``build()`` is pure orchestration over the stages; it reports progress through a
``Reporter`` and never prints itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Protocol

from pyoxidizer import __version__
from pyoxidizer.assemble import AppFile, assemble_app, read_stamp
from pyoxidizer.bytecode import BytecodeCompiler, CompileJob
from pyoxidizer.config.schema import Config
from pyoxidizer.distribution import Distribution, probe_host_distribution
from pyoxidizer.errors import NotImplementedFeatureError
from pyoxidizer.launcher import ensure_launcher
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.runtime_config import check_allocator, payload_header
from pyoxidizer.payload.writer import PayloadEntry, write_payload, write_trailer
from pyoxidizer.resources import (
    ExtensionModule,
    ModuleSource,
    ResourceCollector,
    ResourceData,
    app_relative_dir,
    is_app_relative,
)
from pyoxidizer.rules import apply_rule
from pyoxidizer.stripping import strip_debug

HOST_TARGET = "x86_64-unknown-linux-gnu"
RUNTIME_MODULES = (
    ("_pyoxidizer_importer", "importer.py"),
    ("_pyoxidizer_bootstrap", "bootstrap.py"),
)
COMPILE_CHUNK = 250


class Reporter(Protocol):
    def stage(self, message: str) -> None: ...
    def detail(self, message: str) -> None: ...
    def progress(self, label: str, done: int, total: int) -> None: ...


@dataclass(frozen=True)
class BuildOptions:
    release: bool
    cache_dir: Path
    default_python: str  # the interpreter running pyoxidizer


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


def collect(config: Config, dist: Distribution, reporter: Reporter) -> ResourceCollector:
    collector = ResourceCollector()
    for rule in config.rules:
        added = apply_rule(rule, dist, collector)
        reporter.detail(f"{rule.label}: {added} resources")
    collector.add_missing_parents()
    return collector


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


def bootstrap_blob(compiler: BytecodeCompiler) -> bytes:
    runtime = importlib_resources.files("pyoxidizer.runtime")
    jobs = [
        CompileJob(name, (runtime / filename).read_bytes(), f"<pyoxidizer {filename}>", 0)
        for name, filename in RUNTIME_MODULES
    ]
    codes = [code or b"" for code in compiler.compile(jobs)]
    # Code objects stay as the target's marshal bytes: the launcher unmarshals each one.
    return marshal.dumps(tuple(zip([n for n, _ in RUNTIME_MODULES], codes, strict=True)), 4)


def _pyc_name(module: ModuleSource, dist: Distribution) -> str:
    base = module.name.split(".")[-1] if not module.is_package else "__init__"
    opt = f".opt-{module.optimize_level}" if module.optimize_level else ""
    return f"__pycache__/{base}.{dist.cache_tag}{opt}.pyc"


def _module_files(
    module: ModuleSource, code: bytes, magic: bytes, dist: Distribution
) -> dict[str, AppFile]:
    directory = app_relative_dir(module.location)
    parts = module.name.split(".")
    pkg_dir = "/".join(parts if module.is_package else parts[:-1])
    prefix = f"{directory}/{pkg_dir}".rstrip("/")
    source_name = "__init__.py" if module.is_package else f"{parts[-1]}.py"
    mtime = int(module.origin.stat().st_mtime) if module.origin else 0
    header = magic + (0).to_bytes(4, "little") + mtime.to_bytes(4, "little")
    header += (len(module.source) & 0xFFFFFFFF).to_bytes(4, "little")
    return {
        f"{prefix}/{source_name}": AppFile(module.source, mtime=mtime),
        f"{prefix}/{_pyc_name(module, dist)}": AppFile(header + code, mtime=mtime),
    }


@dataclass
class Materialised:
    entries: list[PayloadEntry]
    files: dict[str, AppFile]


def materialise(
    collector: ResourceCollector,
    codes: dict[str, bytes],
    magic: bytes,
    dist: Distribution,
    strip_cache: Path | None,
) -> Materialised:
    out = Materialised([], {})
    for module in collector.modules.values():
        if is_app_relative(module.location):
            out.files.update(_module_files(module, codes[module.name], magic, dist))
            continue
        source = module.source if module.include_source else None
        out.entries.append(
            PayloadEntry(Kind.MODULE, module.name, codes[module.name], source, module.is_package)
        )
    for resource in collector.resources.values():
        _materialise_resource(resource, out)
    for ext in collector.extensions.values():
        if strip_cache is not None and ext.data is not None:
            ext = dataclasses.replace(ext, data=strip_debug(ext.data, strip_cache))
        _materialise_extension(ext, dist, out)
    return out


def _materialise_resource(resource: ResourceData, out: Materialised) -> None:
    if is_app_relative(resource.location):
        package_dir = resource.package.replace(".", "/")
        rel = f"{app_relative_dir(resource.location)}/{package_dir}/{resource.relative_path}"
        out.files[rel] = AppFile(resource.data)
    else:
        name = f"{resource.package}\0{resource.relative_path}"
        out.entries.append(PayloadEntry(Kind.RESOURCE, name, resource.data))


def _materialise_extension(ext: ExtensionModule, dist: Distribution, out: Materialised) -> None:
    if ext.data is None:
        return  # compiled into libpython
    if is_app_relative(ext.location):
        parts = ext.name.split(".")
        rel = "/".join([app_relative_dir(ext.location), *parts[:-1], parts[-1] + dist.ext_suffix])
        out.files[rel] = AppFile(ext.data, mode=0o755)
    else:
        out.entries.append(PayloadEntry(Kind.EXTENSION, ext.name, ext.data))


def _fingerprint(collector: ResourceCollector, launcher: Path, config: Config) -> str:
    """Digest of everything that goes into the app; equal digests mean nothing changed."""
    h = hashlib.sha256(f"{__version__}|{launcher}|{config!r}".encode())
    for table in (collector.modules, collector.resources, collector.extensions):
        for name in sorted(table):
            for item in vars(table[name]).values():
                h.update(item if isinstance(item, bytes) else repr(item).encode())
                h.update(b"\0")
    return h.hexdigest()


def build(config: Config, options: BuildOptions, reporter: Reporter) -> BuildResult:
    reporter.stage(f"processing config file {config.path}")
    dist = resolve_distribution(config, options)
    reporter.stage(f"using Python distribution {dist.python_exe} (CPython {dist.version_string})")
    check_allocator(config.embedded)  # fail before the slow stages
    reporter.stage("resolving Python resources from packaging rules")
    collector = collect(config, dist, reporter)
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
    payload, index_len = write_payload(
        payload_header(config.embedded, config.run, boot), parts.entries
    )
    offset = launcher.stat().st_size
    trailer = write_trailer(offset, payload, index_len)
    exe = assemble_app(
        app_dir, config.build.application_name, launcher, [payload, trailer], parts.files, stamp
    )
    return BuildResult(exe, app_dir, exe.stat().st_size, *counts, up_to_date=False)


def _counts(collector: ResourceCollector) -> tuple[int, int, int]:
    return len(collector.modules), len(collector.resources), len(collector.extensions)
