"""The pip rules build a local project from a copy, so nothing is written into it."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pyoxidizer._proc import Completed, run
from pyoxidizer.collect.resources import ResourceCollector
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.install import _copy_of_local_project, apply_pip_install_simple
from pyoxidizer.config.rules import PipInstallSimple
from pyoxidizer.pythondist import Distribution


@pytest.fixture
def ctx(tmp_path: Path) -> RuleContext:
    project = tmp_path / "proj"
    for rel in ("pyproject.toml", "src/pkg/__init__.py", ".git/HEAD", ".tox/x", "build/apps/a"):
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("x")
    (project / "src" / "__pycache__").mkdir()
    os.mkfifo(project / "fifo")  # copying it would block
    os.symlink("src", project / "link")
    build = project / "build"
    dist = Distribution(
        Path(sys.executable), (3, 11, 0), "", *[tmp_path] * 4, (), (), "", frozenset()
    )
    return RuleContext(dist, ResourceCollector(), False, build / "work-1", project, run, build)


def test_the_project_is_copied_without_the_build_directory(ctx: RuleContext) -> None:
    copy = _copy_of_local_project(".[cli]", ctx)
    assert copy is not None and copy.endswith("/proj[cli]")
    root = Path(copy[: -len("[cli]")])
    assert root.parent.parent == ctx.work_dir
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == [
        ".git",
        ".git/HEAD",
        "link",
        "pyproject.toml",
        "src",
        "src/pkg",
        "src/pkg/__init__.py",
    ]
    assert (root / "link").is_symlink()


@pytest.mark.parametrize(
    "package", ["requests", "requests>=2", "proj", "./missing", "https://example.org/p.tar.gz"]
)
def test_other_requirements_are_passed_on(ctx: RuleContext, package: str) -> None:
    assert _copy_of_local_project(package, ctx) is None


def test_pip_runs_with_tmpdir_in_the_scratch_space(ctx: RuleContext) -> None:
    seen: dict[str, str] = {}

    def runner(argv: Sequence[str], **kwargs: Any) -> Completed:
        seen.update(kwargs["env"])
        return Completed(tuple(argv), 0)

    rule = PipInstallSimple(package="requests")
    apply_pip_install_simple(rule, dataclasses.replace(ctx, runner=runner), "rule")
    assert Path(seen["TMPDIR"]).parent == ctx.work_dir  # removed with it, even after a kill


def test_a_project_too_large_to_be_one_is_refused_naming_it(
    ctx: RuleContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyoxidizer.collect.rules.install as install
    from pyoxidizer.errors import RuleError

    monkeypatch.setattr(install, "PROJECT_MAX_FILES", 5)
    for n in range(10):
        (ctx.config_dir / "data" / f"{n}.csv").parent.mkdir(exist_ok=True)
        (ctx.config_dir / "data" / f"{n}.csv").write_text("x")
    with pytest.raises(RuleError) as info:
        _copy_of_local_project(".", ctx, "[[packaging_rule]] #3")
    assert str(info.value).startswith("[[packaging_rule]] #3: key 'package': project ")
    assert "holds more than 5 files, too many to be one project" in str(info.value)
