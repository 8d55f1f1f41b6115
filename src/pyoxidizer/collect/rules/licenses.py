"""The ``write-license-files`` rule: license texts written next to the executable.

The rule only records where; the files are gathered when the app is assembled, so the
licenses of every distribution packaged by any rule are included, whatever the order.
"""

from __future__ import annotations

from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.rules import WriteLicenseFiles


def apply_write_license_files(rule: WriteLicenseFiles, ctx: RuleContext, label: str) -> int:
    ctx.collector.license_dirs.append(rule.path)
    return 0
