"""The ``filter-include`` rule: keep only resources named in allow-list files (spec 4.5)."""

from __future__ import annotations

import glob
from pathlib import Path

from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.schema import PackagingRule
from pyoxidizer.errors import RuleError


def read_names(path: Path, rule: PackagingRule) -> set[str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RuleError(f"{rule.label}: cannot read filter file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RuleError(
            f"{rule.label}: filter file {path} is not valid UTF-8 (byte {exc.start})"
        ) from None
    lines = (line.strip() for line in text.splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def _files(rule: PackagingRule) -> list[Path]:
    files = [Path(p) for p in rule.texts("files")]
    for pattern in rule.texts("glob_files"):
        files.extend(Path(p) for p in sorted(glob.glob(pattern, recursive=True)))
    return files


def apply_filter_include(rule: PackagingRule, ctx: RuleContext) -> int:
    allowed: set[str] = set()
    for path in _files(rule):
        allowed |= read_names(path, rule)
    collector = ctx.collector
    for flavor, table in collector.tables().items():
        if flavor in ("dist-info", "shared-library"):
            continue  # metadata and libraries follow what imports them, not module names
        for name, item in list(table.items()):
            key = getattr(item, "package", name)
            if key not in allowed:
                collector.remove(flavor, name, rule.label, "not in the filter files")
    return 0
