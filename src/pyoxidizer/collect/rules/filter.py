"""The ``filter-include`` rule: keep only resources named in allow-list files (spec 4.5)."""

from __future__ import annotations

import glob
from pathlib import Path

from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.rules import FilterInclude
from pyoxidizer.errors import RuleError


def read_names(path: Path, label: str) -> set[str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RuleError(f"{label}: cannot read filter file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RuleError(
            f"{label}: filter file {path} is not valid UTF-8 (byte {exc.start})"
        ) from None
    lines = (line.strip() for line in text.splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def _files(rule: FilterInclude) -> list[Path]:
    files = list(rule.files)
    for pattern in rule.glob_files:
        files.extend(Path(p) for p in sorted(glob.glob(pattern, recursive=True)))
    return files


def apply_filter_include(rule: FilterInclude, ctx: RuleContext, label: str) -> int:
    allowed: set[str] = set()
    for path in _files(rule):
        allowed |= read_names(path, label)
    collector = ctx.collector
    for flavor, table in collector.tables().items():
        if flavor in ("dist-info", "shared-library"):
            continue  # metadata and libraries follow what imports them, not module names
        for name, item in list(table.items()):
            key = getattr(item, "package", name)
            if key not in allowed:
                collector.remove(flavor, name, label, "not in the filter files")
    return 0
