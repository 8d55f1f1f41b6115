"""The ``file-based-packages`` rule (this project's addition): real files where needed.

Embedded modules have no ``__file__`` and their package directories do not exist on disk.
Packages that need either (code computing paths from ``__file__``, jinja2's PackageLoader,
the black case of spec 4.4) are moved to an app-relative directory, which is added to
``sys.path`` at run time: no hand-written ``install_location``/``sys_paths`` pair needed.
"""

from __future__ import annotations

import dataclasses

from pyoxidizer.collect.resources import (
    Resource,
    ResourceCollector,
    ResourceData,
    SharedLibrary,
)
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.location import AppRelative
from pyoxidizer.config.rules import FileBasedPackages
from pyoxidizer.errors import RuleError


def _top(name: str) -> str:
    return name.split(".")[0]


def file_users(collector: ResourceCollector, ctx: RuleContext) -> set[str]:
    """Top-level packages with embedded code that uses __file__ (the stdlib excluded)."""
    stdlib = str(ctx.dist.stdlib_dir) + "/"
    return {
        _top(m.name)
        for m in collector.modules.values()
        if b"__file__" in m.source
        and not isinstance(m.location, AppRelative)
        and not str(m.origin or "").startswith(stdlib)
    }


def _owner(name: str, item: Resource) -> str:
    """The top-level package a resource belongs to (a wheel's ``pkg.libs`` go with pkg)."""
    if isinstance(item, ResourceData):
        return _top(item.package)
    if isinstance(item, SharedLibrary):
        return item.relative_path.split("/")[0].removesuffix(".libs")
    return _top(name)


def apply_file_based_packages(rule: FileBasedPackages, ctx: RuleContext, label: str) -> int:
    path = rule.path
    if not path:
        raise RuleError(f"{label}: path must name a directory below the executable's")
    selected = set(rule.packages)
    if rule.detect_dunder_file:
        selected |= file_users(ctx.collector, ctx)
    location = AppRelative(path)
    moved = 0
    for flavor, table in ctx.collector.tables().items():
        if flavor == "dist-info":
            continue  # metadata stays embedded: importlib.metadata finds it there
        for name, item in list(table.items()):
            if _owner(name, item) in selected and not isinstance(item.location, AppRelative):
                moved_item = dataclasses.replace(item, location=location)
                ctx.collector.replace(flavor, moved_item, label, f"moved to {location}")
                moved += 1
    if moved:
        ctx.collector.extra_sys_paths.append(f"$ORIGIN/{path}")
    return moved
