"""The ``stdlib`` rule: the distribution's pure-Python standard library."""

from __future__ import annotations

import dataclasses

from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.scan import Found, scan_root
from pyoxidizer.config.location import EMBEDDED
from pyoxidizer.config.rules import Stdlib

# Packages that only test CPython itself; nothing else in the stdlib imports them.
TEST_PACKAGES = ("test", "idlelib.idle_test")
_TEST_COMPONENTS = {"test", "tests"}

# What the interpreter imports while it starts, before the executable's sys.path exists:
# these stay embedded when the stdlib is installed app-relative. The union over 3.10-3.13
# of the modules `python -I -X importtime -c pass` loads from files (most are frozen from
# 3.11), plus every codec, since the locale or stdio_encoding may name any of them.
STARTUP_PACKAGE = "encodings"
STARTUP_MODULES = frozenset(
    "codecs io abc linecache site os stat posixpath genericpath _collections_abc "  # noqa: SIM905
    "_sitebuiltins".split()
)


def is_startup_module(name: str) -> bool:
    """Whether Python needs ``name`` before any path-based import can work."""
    return name in STARTUP_MODULES or name.partition(".")[0] == STARTUP_PACKAGE


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
    if options.location == EMBEDDED:
        return add_found(found, options, collector, label)
    items = list(found)
    embedded = dataclasses.replace(options, location=EMBEDDED)
    startup = [item for item in items if is_startup_module(item.name)]
    rest = [item for item in items if not is_startup_module(item.name)]
    return add_found(startup, embedded, collector, label) + add_found(
        rest, options, collector, label
    )


def _is_test(item: Found) -> bool:
    return is_test_module(item.name)
