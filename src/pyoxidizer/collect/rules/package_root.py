"""The ``package-root`` rule: named packages and modules from a directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pyoxidizer._walk import Budget, TooMany
from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.scan import Found, scan_package
from pyoxidizer.config.rules import PackageRoot
from pyoxidizer.errors import RuleError, quote
from pyoxidizer.pythondist import Distribution


def _suffixes(dist: Distribution) -> tuple[str, ...]:
    return (dist.ext_suffix, ".abi3.so", ".so")


def package_directory(root: Path, package: str) -> Path:
    return root.joinpath(*package.split("."))


def _find(root: Path, package: str, dist: Distribution, label: str) -> Iterator[Found]:
    directory = package_directory(root, package)
    module_file = directory.with_suffix(".py")
    if directory.is_dir():
        try:
            yield from scan_package(directory, package, _suffixes(dist), Budget())
        except TooMany as exc:
            raise RuleError(
                f"{label}: key 'packages': package {quote(package)} ({quote(directory)}) "
                f"holds {exc}"
            ) from None
    elif module_file.is_file():
        yield Found("module", package, module_file)
    else:
        raise RuleError(
            f"{label}: package {package!r} not found: neither {directory}/ nor {module_file} exists"
        )


def apply_package_root(rule: PackageRoot, ctx: RuleContext, label: str) -> int:
    dist, collector = ctx.dist, ctx.collector
    root = rule.path
    if not root.is_dir():
        raise RuleError(f"{label}: path {str(root)!r} is not a directory")
    found = [item for package in rule.packages for item in _find(root, package, dist, label)]
    return add_found(found, FileRuleOptions.of(rule), collector, label)
