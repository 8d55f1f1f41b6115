"""The ``write-license-files`` rule: license texts written next to the executable.

The rule only records where; the files are gathered when the app is assembled, so the
licenses of every distribution packaged by any rule are included, whatever the order.
"""

from __future__ import annotations

from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.schema import PackagingRule


def apply_write_license_files(rule: PackagingRule, ctx: RuleContext) -> int:
    ctx.collector.license_dirs.append(rule.text("path"))
    return 0
