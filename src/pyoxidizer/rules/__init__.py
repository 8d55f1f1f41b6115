"""Packaging rules: each turns a ``[[packaging_rule]]`` into resources, in file order."""

from __future__ import annotations

from collections.abc import Callable

from pyoxidizer.config.schema import PackagingRule
from pyoxidizer.distribution import Distribution
from pyoxidizer.errors import NotImplementedFeatureError
from pyoxidizer.resources import ResourceCollector
from pyoxidizer.rules.extensions import apply_excludes, apply_includes, apply_policy, apply_variant
from pyoxidizer.rules.package_root import apply_package_root
from pyoxidizer.rules.stdlib import apply_stdlib

RuleFunction = Callable[[PackagingRule, Distribution, ResourceCollector], int]

RULES: dict[str, RuleFunction] = {
    "stdlib": apply_stdlib,
    "package-root": apply_package_root,
    "stdlib-extension-policy": apply_policy,
    "stdlib-extensions-explicit-includes": apply_includes,
    "stdlib-extensions-explicit-excludes": apply_excludes,
    "stdlib-extension-variant": apply_variant,
}


def apply_rule(rule: PackagingRule, dist: Distribution, collector: ResourceCollector) -> int:
    """Apply one rule; return how many resources it added."""
    function = RULES.get(rule.type)
    if function is None:
        raise NotImplementedFeatureError(
            f"{rule.label}: this rule type is recognised but not implemented yet in this "
            "version of pyoxidizer"
        )
    return function(rule, dist, collector)
