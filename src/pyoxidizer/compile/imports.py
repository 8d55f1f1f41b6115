"""What the app's modules import, and the stdlib extension modules it would miss.

The extension rules follow the spec: ``policy = "minimal"`` embeds no ``lib-dynload``
module, and an app that imports ``socket`` then fails at run time with ``No module named
'_socket'``. The compile worker records the imports each module's bytecode performs
(``worker.imports_of``); this module follows them, modulefinder-style, and names each
extension module that is reached but left out, with the module importing it and the rule
that would add it. Pure: values in, sentences out.

What is followed, so that a warning means a failure the app will meet: from the run mode's
code and every module that is not the distribution's standard library (the app's own code
and its packages), all imports; from standard-library modules, only those that run when the
module is imported (not inside a function: ``email`` does not need ``_ssl`` because one of
its functions can use it). An import inside a ``try`` block is followed but not reported:
the code expects that it may fail (``json`` falls back to Python when ``_json`` is missing).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pyoxidizer.collect.resources import ModuleSource, ResourceCollector
from pyoxidizer.collect.rules.extensions import available_extensions
from pyoxidizer.compile.bytecode import BytecodeCompiler, CompileJob, Import, ModuleFacts
from pyoxidizer.compile.worker import GUARDED, IN_FUNCTION
from pyoxidizer.config import rules as r
from pyoxidizer.config.rules import PackagingRule
from pyoxidizer.config.schema import Config, RunConfig
from pyoxidizer.pythondist import Distribution

ENTRY = "__main__"  # the importer name of the run mode's own code
_EXTENSION_RULES = (
    r.StdlibExtensionPolicy,
    r.StdlibExtensionsExplicitIncludes,
    r.StdlibExtensionsExplicitExcludes,
)


def resolve(importer: str, is_package: bool, imported: Import) -> list[str]:
    """The module names an import statement in ``importer`` may import, parents first."""
    name, level, fromlist, _ = imported
    if level > 0:
        base = importer if is_package else importer.rpartition(".")[0]
        for _ in range(level - 1):
            base = base.rpartition(".")[0]
        if not base:
            return []  # beyond the top-level package: fails at run time anyway
        absolute = f"{base}.{name}" if name else base
    else:
        absolute = name
    parts = absolute.split(".")
    found = [".".join(parts[: i + 1]) for i in range(len(parts))]
    if isinstance(fromlist, tuple):
        found.extend(f"{absolute}.{item}" for item in fromlist if item != "*")
    return found


def _reach(
    roots: Iterable[str],
    facts: Mapping[str, ModuleFacts],
    modules: Mapping[str, ModuleSource],
    stdlib: set[str],
    wanted: set[str],
) -> dict[str, list[str]]:
    """Breadth first from ``roots``: each wanted name reached -> the modules importing it."""
    queue = deque(dict.fromkeys(roots))
    seen = set(queue)
    importers: dict[str, list[str]] = {}
    while queue:
        importer = queue.popleft()
        module = modules.get(importer)
        fact = facts.get(importer)
        if fact is None:
            continue
        is_package = module.is_package if module is not None else False
        for imported in fact.imports:
            flags = imported[3]
            if flags & IN_FUNCTION and importer in stdlib:
                continue
            for name in resolve(importer, is_package, imported):
                if name in wanted:
                    if not flags & GUARDED:
                        importers.setdefault(name, []).append(importer)
                elif name in modules and name not in seen:
                    seen.add(name)
                    queue.append(name)
    return {name: list(dict.fromkeys(found)) for name, found in importers.items()}


def _left_out(
    collector: ResourceCollector, available: Iterable[str], builtin: Iterable[str]
) -> set[str]:
    present = set(collector.extensions) | set(collector.modules) | set(builtin)
    return {name for name in available if name not in present}


def _why(name: str, collector: ResourceCollector, rules: Sequence[PackagingRule]) -> str | None:
    """Which extension rule left ``name`` out, in words; None if another rule removed it
    (a filter-include rule: the user trimmed it on purpose)."""
    labels = {rule.label: rule for rule in rules}
    for decision in reversed(collector.decisions):
        if decision.flavor != "extension" or decision.name != name:
            continue
        if decision.action not in ("removed", "skipped"):
            continue
        rule = labels.get(decision.rule)
        if rule is None or not isinstance(rule.options, _EXTENSION_RULES):
            return None
        return f"{rule.label} left it out ({decision.reason})"
    policies = [rule for rule in rules if isinstance(rule.options, r.StdlibExtensionPolicy)]
    if not policies:
        return "no stdlib-extension-policy rule adds it"
    policy = policies[-1]
    assert isinstance(policy.options, r.StdlibExtensionPolicy)
    return f"{policy.label} leaves it out (policy = {policy.options.policy!r})"


def _importers(found: list[str]) -> str:
    first = "the run mode's code" if found[0] == ENTRY else f"module {found[0]}"
    more = len(found) - 1
    return first + (f" (and {more} more module{'s' if more > 1 else ''})" if more else "")


def missing_extension_warnings(
    collector: ResourceCollector,
    facts: Mapping[str, ModuleFacts],
    stdlib_dir: Path,
    available: Iterable[str],
    builtin: Iterable[str],
    rules: Sequence[PackagingRule],
    entry: str | None,
) -> list[str]:
    """One warning per available stdlib extension module that is left out but imported.

    ``facts`` holds the imports of every compiled module, and of ``ENTRY`` when the run mode
    has code (eval); ``entry`` is the module the run mode runs, if any.
    """
    left_out = _left_out(collector, available, builtin)
    if not left_out:
        return []  # policy "all": nothing to look for
    prefix = str(stdlib_dir) + "/"
    stdlib = {
        m.name
        for m in collector.modules.values()
        if m.origin is None or str(m.origin).startswith(prefix)
    }
    roots = [ENTRY] if ENTRY in facts else []
    roots += [*resolve("", False, (entry, 0, None, 0)), f"{entry}.__main__"] if entry else []
    roots += sorted(set(collector.modules) - stdlib)
    reached = _reach(roots, facts, collector.modules, stdlib, left_out)
    warnings, names = [], []
    for name, found in sorted(reached.items()):
        why = _why(name, collector, rules)
        if why is None:
            continue
        names.append(name)
        warnings.append(
            f"{_importers(found)} imports {name}, a standard-library extension module "
            f"that is not embedded ({why}), so that import will fail at run time; a "
            "stdlib-extensions-explicit-includes rule after that one adds it: "
            f'includes = ["{name}"]'
        )
    if len(names) > 1:
        listed = ", ".join(f'"{name}"' for name in names)
        warnings.append(f"to add all {len(names)} of them: includes = [{listed}]")
    return warnings


def run_mode_facts(run: RunConfig, compiler: BytecodeCompiler) -> dict[str, ModuleFacts]:
    """The imports of an eval run mode's code, under the name ``ENTRY``."""
    if run.mode != "eval" or not run.code:
        return {}
    job = CompileJob(ENTRY, run.code.encode(), "<string>", 0, optional=True)
    compiler.compile([job])
    fact = compiler.facts(job)
    return {ENTRY: fact} if fact is not None else {}


def extension_import_warnings(
    config: Config,
    dist: Distribution,
    collector: ResourceCollector,
    facts: Mapping[str, ModuleFacts],
    compiler: BytecodeCompiler,
) -> list[str]:
    """``missing_extension_warnings`` for a build: the config's rules and run mode."""
    run = config.run
    return missing_extension_warnings(
        collector,
        {**facts, **run_mode_facts(run, compiler)},
        dist.stdlib_dir,
        available_extensions(dist),
        dist.builtin_modules,
        config.rules,
        run.module if run.mode == "module" else None,
    )
