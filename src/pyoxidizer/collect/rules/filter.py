"""The ``filter-include`` rule: keep only resources named in allow-list files (spec 4.5)."""

from __future__ import annotations

from pathlib import Path

from pyoxidizer._fs import Refused, read_regular_file
from pyoxidizer._walk import TooMany, bounded_glob, too_many
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.rules import FILTER_FILE_LIMIT, FilterInclude
from pyoxidizer.errors import RuleError, quote


def read_names(path: Path, label: str) -> set[str]:
    try:
        text = read_regular_file(path, FILTER_FILE_LIMIT).decode("utf-8")
    except Refused as exc:
        raise RuleError(f"{label}: filter file {path} {exc.strerror}") from None
    except OSError as exc:
        raise RuleError(f"{label}: cannot read filter file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RuleError(
            f"{label}: filter file {path} is not valid UTF-8 (byte {exc.start})"
        ) from None
    lines = (line.strip() for line in text.splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def filter_files(rule: FilterInclude, label: str) -> list[Path]:
    """The files a rule reads: ``files``, then what each of ``glob_files`` matches."""
    found = list(rule.files)
    for pattern in rule.glob_files:
        try:
            found += bounded_glob(pattern)
        except TooMany as exc:
            raise RuleError(
                f"{label}: key 'glob_files': pattern {quote(pattern)} {too_many(exc)}"
            ) from None
    return found


def apply_filter_include(rule: FilterInclude, ctx: RuleContext, label: str) -> int:
    allowed: set[str] = set()
    for path in filter_files(rule, label):
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
