"""The collect stage: apply the packaging rules in file order and check what they chose."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from importlib import resources as importlib_resources
from pathlib import Path, PurePosixPath

from pyoxidizer._proc import Runner
from pyoxidizer._report import Reporter
from pyoxidizer.collect.explain import explain
from pyoxidizer.collect.linkcheck import (
    glibc_floor_warnings,
    static_target_errors,
    unresolved_libraries,
    warnings_for,
)
from pyoxidizer.collect.resources import (
    DistInfoFile,
    ExtensionModule,
    ModuleSource,
    Resource,
    ResourceCollector,
    ResourceData,
)
from pyoxidizer.collect.rules import RuleContext, apply_rule
from pyoxidizer.collect.rules.stdlib import STARTUP_PACKAGE
from pyoxidizer.config.location import EMBEDDED, AppRelative
from pyoxidizer.config.schema import Config
from pyoxidizer.errors import RuleError
from pyoxidizer.pythondist import Distribution
from pyoxidizer.runtime.contract import SERVICES_MODULE

# The libraries the machine provides (ldconfig's cache), asked for only when some embedded
# object needs checking.
SystemLibraries = Callable[[], Iterable[str]]


def collect_resources(
    config: Config,
    dist: Distribution,
    work: Path,
    *,
    verbose: bool,
    runner: Runner,
    system_libraries: SystemLibraries,
    reporter: Reporter,
) -> ResourceCollector:
    """Every resource the rules select; ``work`` is scratch space, removed afterwards."""
    collector = ResourceCollector()
    ctx = RuleContext(
        dist, collector, verbose, work, config.origin, runner, config.build.build_path
    )
    try:
        for rule in config.rules:
            first = len(collector.decisions)
            try:
                apply_rule(rule, ctx)
            except RuleError as exc:  # its message names the rule; add the file
                raise RuleError(f"{config.path}: {exc}") from None
            for line in explain(rule.label, collector.decisions[first:]):
                reporter.detail(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    collector.add_missing_parents()
    _check_startup_modules(collector, config)
    _check_nothing_below_the_executable(collector, config)
    static_problems = static_target_errors(collector, dist)
    if static_problems:
        raise RuleError("\n".join(static_problems))
    _add_runtime_services(collector)
    if _needs_link_check(collector):
        missing = unresolved_libraries(collector, dist, system_libraries())
        collector.warnings.extend(warnings_for(missing))
        collector.warnings.extend(glibc_floor_warnings(collector, dist))
    for warning in collector.warnings:
        reporter.warn(warning)
    return collector


def _check_startup_modules(collector: ResourceCollector, config: Config) -> None:
    """Python imports ``encodings`` while it starts, before sys.path exists: embed it."""
    module = collector.modules.get(STARTUP_PACKAGE)
    if module is not None and module.location == EMBEDDED:
        return
    decisions = [
        d for d in collector.decisions if (d.flavor, d.name) == ("module", STARTUP_PACKAGE)
    ]
    if module is not None:
        rule = decisions[-1].rule if decisions else "a packaging rule"
        why = f"{rule} installs it {module.location}"
    elif decisions and decisions[-1].action in ("removed", "skipped"):
        last = decisions[-1]
        why = f"{last.rule} {last.action} it ({last.reason})"
    else:
        why = "no packaging rule adds it"
    raise RuleError(
        f"{config.path}: the standard library package {STARTUP_PACKAGE!r} is not embedded: "
        f"{why}. The executable cannot start without it: Python imports it from memory "
        "before any sys.path entry applies"
    )


def _top_directory(resource: Resource) -> str | None:
    """The directory an app-relative resource creates in its install directory, if any."""
    if isinstance(resource, ModuleSource | ExtensionModule):
        parts = resource.name.split(".")
        package = isinstance(resource, ModuleSource) and resource.is_package
        return parts[0] if package or len(parts) > 1 else None
    if isinstance(resource, ResourceData):
        return resource.package.split(".")[0]
    if isinstance(resource, DistInfoFile):
        return resource.directory
    head, _, tail = resource.relative_path.partition("/")
    return head if tail else None


def _check_nothing_below_the_executable(collector: ResourceCollector, config: Config) -> None:
    """A package named like the app, installed at ``app-relative:.``, would be a directory
    where the executable is (the config checks the install directories themselves)."""
    app = config.build.application_name
    for flavor, table in collector.tables().items():
        for name, resource in sorted(table.items()):
            location = resource.location
            if not isinstance(location, AppRelative) or PurePosixPath(location.directory).parts:
                continue
            if _top_directory(resource) != app:
                continue
            rules = [d.rule for d in collector.decisions if (d.flavor, d.name) == (flavor, name)]
            rule = rules[-1] if rules else "a packaging rule"
            raise RuleError(
                f"{config.path}: {rule}: installs the {flavor} {name!r} at {location}, in the "
                f"directory {app!r}, but {app!r} in the app directory is the executable "
                "(application_name); choose another install_location, such as "
                '"app-relative:lib"'
            )


def _needs_link_check(collector: ResourceCollector) -> bool:
    return bool(collector.shared_libraries) or any(
        e.data is not None for e in collector.extensions.values()
    )


def _add_runtime_services(collector: ResourceCollector) -> None:
    """Embed the lazily imported runtime module behind resources, metadata and pkgutil."""
    source = (importlib_resources.files("pyoxidizer.runtime") / "resources.py").read_bytes()
    module = ModuleSource(SERVICES_MODULE, source, False, None)
    collector.modules[SERVICES_MODULE] = module  # not a user resource: no decision recorded
