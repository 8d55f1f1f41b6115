"""Say in words what a packaging rule did, from the decisions the collector recorded."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from pyoxidizer.collect.resources import Decision

LISTED = 12  # names shown per action before "and N more"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def _top(decision: Decision) -> str:
    """The top-level package (or metadata directory) a decision is about."""
    if decision.flavor in ("dist-info", "shared-library"):
        return decision.name.split("/")[0]
    return decision.name.split(":")[0].split(".")[0]


def explain(label: str, decisions: Iterable[Decision]) -> list[str]:
    """One summary line for the rule, then a line per kind of change it made."""
    decisions = list(decisions)
    counts = Counter(d.action for d in decisions)
    summary = ", ".join(
        f"{counts[a]} {a}" for a in ("added", "replaced", "removed", "skipped") if counts[a]
    )
    lines = [f"{label}: {summary or 'no change'}"]
    added_tops = sorted({_top(d) for d in decisions if d.action == "added"})
    if added_tops:
        lines.append(f"  added from: {_names(added_tops)}")
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for d in decisions:
        if d.action != "added":
            grouped[(d.action, d.reason)].append(f"{d.flavor} {d.name}")
    for (action, reason), names in sorted(grouped.items()):
        why = f" ({reason})" if reason else ""
        verb = "replaced (last write wins)" if action == "replaced" else action
        lines.append(f"  {verb}{why}: {_names(names)}")
    return lines
