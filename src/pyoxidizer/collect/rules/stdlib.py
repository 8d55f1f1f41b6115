"""The ``stdlib`` rule: the distribution's pure-Python standard library."""

from __future__ import annotations

from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.scan import Found, scan_root
from pyoxidizer.config.rules import Stdlib

# Packages that only test CPython itself; nothing else in the stdlib imports them.
TEST_PACKAGES = ("test", "idlelib.idle_test")
_TEST_COMPONENTS = {"test", "tests"}


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    if any(name == p or name.startswith(p + ".") for p in TEST_PACKAGES):
        return True
    return len(parts) > 1 and any(part in _TEST_COMPONENTS for part in parts[1:])


def apply_stdlib(rule: Stdlib, ctx: RuleContext, label: str) -> int:
    dist, collector = ctx.dist, ctx.collector
    options = FileRuleOptions(
        optimize_level=rule.optimize_level,
        include_source=rule.include_source,
        include_resources=rule.include_resources,
        location=rule.install_location,
        # The stdlib ships deliberately invalid files (test data such as bad-syntax samples).
        optional_modules=True,
        compress_imported=rule.compression == "zstd",
        compress_on_demand=rule.compression == "zstd",
    )
    exclude_tests = rule.exclude_test_modules
    # Extension modules are chosen by the stdlib-extension rules, not by this one.
    found = (
        item
        for item in scan_root(dist.stdlib_dir, (dist.ext_suffix,))
        if item.kind != "extension" and not (exclude_tests and _is_test(item))
    )
    return add_found(found, options, collector, label)


def _is_test(item: Found) -> bool:
    return is_test_module(item.name)
