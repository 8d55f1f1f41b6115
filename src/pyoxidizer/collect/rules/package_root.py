"""The ``package-root`` rule: named packages and modules from a directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.scan import Found, scan_package
from pyoxidizer.config.schema import PackagingRule
from pyoxidizer.errors import RuleError
from pyoxidizer.pythondist import Distribution


def _suffixes(dist: Distribution) -> tuple[str, ...]:
    return (dist.ext_suffix, ".abi3.so", ".so")


def _find(root: Path, package: str, dist: Distribution, rule: PackagingRule) -> Iterator[Found]:
    directory = root.joinpath(*package.split("."))
    module_file = directory.with_suffix(".py")
    if directory.is_dir():
        yield from scan_package(directory, package, _suffixes(dist))
    elif module_file.is_file():
        yield Found("module", package, module_file)
    else:
        raise RuleError(
            f"{rule.label}: package {package!r} not found: neither {directory}/ "
            f"nor {module_file} exists"
        )


def apply_package_root(rule: PackagingRule, ctx: RuleContext) -> int:
    dist, collector = ctx.dist, ctx.collector
    root = rule.path("path")
    if not root.is_dir():
        raise RuleError(f"{rule.label}: path {str(root)!r} is not a directory")
    options = FileRuleOptions(
        optimize_level=rule.number("optimize_level"),
        include_source=rule.flag("include_source", True),
        location=rule.text("install_location", "embedded"),
        excludes=rule.texts("excludes"),
        warn_dunder_file=True,
    )
    packages = rule.texts("packages")
    found = [item for package in packages for item in _find(root, package, dist, rule)]
    return add_found(found, options, collector, rule.label)
