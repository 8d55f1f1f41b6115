"""What every packaging rule is given: the distribution, the collector and the build's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._proc import Runner
from pyoxidizer.collect.resources import ResourceCollector
from pyoxidizer.pythondist import Distribution


@dataclass(frozen=True)
class RuleContext:
    dist: Distribution
    collector: ResourceCollector
    verbose: bool  # pip and setup.py run verbosely too
    work_dir: Path  # scratch space for installs; removed after the build
    config_dir: Path  # relative paths in rules (e.g. package = ".") start here
    runner: Runner  # runs pip, setup.py and the target interpreter
    build_dir: Path | None = None  # the build path, left out of copies of the project
