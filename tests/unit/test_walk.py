"""Walks of directories a config names: no links followed, /proc and /sys refused, budgets.

Each test runs under a deadline, so a walk that would run for ever fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import glob
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from pyoxidizer._walk import Budget, TooMany, bounded_glob, kernel_file_system, literal_prefix
from pyoxidizer.collect.rules.filter import filter_files
from pyoxidizer.collect.rules.scan import scan_package
from pyoxidizer.config.loader import load_config
from pyoxidizer.errors import RuleError
from tests.unit.test_preflight import LINUX, only_problem

DEADLINE = 20.0  # seconds; each walk here takes well under one


class Hung(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float = DEADLINE) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still walking after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _tree(root: Path) -> Path:
    for directory in ("a/b/c", ".hidden", "a/.dot"):
        (root / directory).mkdir(parents=True)
    for file in ("x.txt", "a/y.txt", "a/b/c/z.txt", ".hidden/h.txt", "a/.dot/d.txt", "a/.e.txt"):
        (root / file).write_text("")
    return root


@pytest.mark.parametrize(
    "pattern", ["*", "*.txt", "a/*", "a/.*", "*/y.txt", "[ax]*", "a/b/c/z.txt", "nothing", "**"]
)
def test_without_links_it_matches_what_glob_matches(tmp_path: Path, pattern: str) -> None:
    root = _tree(tmp_path)
    expected = [Path(p) for p in sorted(glob.glob(f"{root}/{pattern}", recursive=True))]
    expected = [p for p in expected if p != root]  # glob's "dir/**" also gives "dir/"
    assert bounded_glob(f"{root}/{pattern}") == expected


@pytest.mark.parametrize("pattern", ["**/*", "**/*.txt", "**/c/**/z.txt"])
def test_double_star_matches_what_glob_matches(tmp_path: Path, pattern: str) -> None:
    root = _tree(tmp_path)
    expected = [Path(p) for p in sorted(glob.glob(f"{root}/{pattern}", recursive=True))]
    assert bounded_glob(f"{root}/{pattern}") == expected


def test_double_star_does_not_follow_linked_directories(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    # Two links back to the root: glob.glob would walk 2**40 paths before ELOOP stops it.
    (root / "a" / "up").symlink_to(root)
    (root / "a" / "again").symlink_to(root)
    with deadline():
        found = bounded_glob(f"{root}/**/*.txt")
    assert found == [root / "a/b/c/z.txt", root / "a/y.txt", root / "x.txt"]
    with deadline():  # a link is still matched as an entry, and a literal part goes through it
        assert root / "a/up" in bounded_glob(f"{root}/**")
        assert bounded_glob(f"{root}/a/up/x.txt") == [root / "a/up/x.txt"]


def test_proc_and_sys_are_not_entered_by_double_star(tmp_path: Path) -> None:
    with deadline():
        with pytest.raises(TooMany):  # / has more than 100 directories outside /proc and /sys
            bounded_glob("/**/status", Budget(max_directories=100))
        found = bounded_glob("/*/self", Budget(max_directories=100))  # one level is fine
    assert Path("/proc/self") in found


def test_the_directory_budget(tmp_path: Path) -> None:
    for number in range(10):
        (tmp_path / f"d{number}").mkdir()
    with deadline(), pytest.raises(TooMany) as caught:
        bounded_glob(f"{tmp_path}/**/x", Budget(max_directories=5))
    assert (caught.value.what, str(caught.value)) == ("directories", "more than 5 directories")
    assert bounded_glob(f"{tmp_path}/**/x", Budget(max_directories=11)) == []


def test_the_file_budget(tmp_path: Path) -> None:
    for number in range(10):
        (tmp_path / f"f{number}").write_text("")
    with pytest.raises(TooMany) as caught:
        bounded_glob(f"{tmp_path}/*", Budget(max_files=9))
    assert str(caught.value) == "more than 9 files"
    assert len(bounded_glob(f"{tmp_path}/*", Budget(max_files=10))) == 10


def test_a_package_walk_has_a_budget(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for number in range(5):
        (package / "sub" / f"m{number}.py").write_text("")
    with pytest.raises(TooMany, match="more than 4 files"):
        list(scan_package(package, "pkg", (), Budget(max_files=4)))
    with pytest.raises(TooMany, match="more than 1 directories"):
        list(scan_package(package, "pkg", (), Budget(max_directories=1)))
    assert len(list(scan_package(package, "pkg", (), Budget(max_files=5)))) == 5


def test_kernel_file_systems(tmp_path: Path) -> None:
    assert kernel_file_system("/proc") == "/proc"
    assert kernel_file_system("/proc/self/status") == "/proc"
    assert kernel_file_system("/sys/kernel") == "/sys"
    assert kernel_file_system("/processes") is None
    assert kernel_file_system(tmp_path) is None
    (tmp_path / "link").symlink_to("/proc/self")
    assert kernel_file_system(tmp_path / "link" / "status") == "/proc"
    assert literal_prefix("/proc/**/*") == "/proc"
    assert literal_prefix("/a/b*/c") == "/a"
    assert literal_prefix("/*") == "/"


def _config(tmp_path: Path, rule: str) -> Path:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(
        '[[build]]\napplication_name = "app"\n\n[[packaging_rule]]\ntype = "stdlib"\n\n'
        f"[[packaging_rule]]\n{rule}"
    )
    return path


def test_preflight_refuses_a_glob_in_proc(tmp_path: Path) -> None:
    with deadline():
        message = only_problem(
            tmp_path, '[[packaging_rule]]\ntype = "filter-include"\nglob_files = ["/proc/**/*"]\n'
        )
    assert message.endswith(
        "[[packaging_rule]] #2 (type = 'filter-include'): key 'glob_files': pattern "
        "'/proc/**/*' is in /proc, the kernel's view of the system, whose files are not data "
        "to package (some block a reader for ever, some claim terabytes)"
    )


def test_preflight_refuses_filter_files_that_lead_into_proc(tmp_path: Path) -> None:
    (tmp_path / "names").symlink_to("/proc/self/status")
    with deadline():
        message = only_problem(
            tmp_path, '[[packaging_rule]]\ntype = "filter-include"\nglob_files = ["nam*"]\n'
        )
    assert f"key 'glob_files': filter file {str(tmp_path / 'names')!r} is in /proc" in message


def test_preflight_reports_a_glob_past_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dumps").mkdir()
    for number in range(4):
        (tmp_path / "dumps" / f"modules-{number}").write_text("os\n")
    monkeypatch.setattr(Budget, "__init__", lambda self: _small(self))
    with deadline():
        message = only_problem(
            tmp_path,
            '[[packaging_rule]]\ntype = "filter-include"\nglob_files = ["dumps/**/*"]\n',
        )
    pattern = str(tmp_path / "dumps/**/*")
    assert message.endswith(
        f"key 'glob_files': pattern {pattern!r} matches more than 3 files; name the files or "
        "narrow the pattern"
    )


def _small(budget: Budget) -> None:
    budget.max_files, budget.max_directories, budget.files, budget.directories = 3, 3, 0, 0


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            'path = "/"\npackages = ["proc"]\n',
            "key 'packages': package 'proc' ('/proc') is in /proc, the kernel's view",
        ),
        ('path = "/sys"\npackages = ["kernel"]\n', "key 'path': '/sys' is in /sys"),
        (
            'path = "/proc/self"\npackages = ["fd"]\n',
            "key 'path': '/proc/self' is in /proc",
        ),
    ],
)
def test_preflight_refuses_a_package_root_in_proc_or_sys(
    tmp_path: Path, keys: str, expected: str
) -> None:
    with deadline():
        message = only_problem(tmp_path, '[[packaging_rule]]\ntype = "package-root"\n' + keys)
    assert "[[packaging_rule]] #2 (type = 'package-root'): " + expected in message


def test_preflight_reports_a_package_past_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "src" / "big").mkdir(parents=True)
    for number in range(4):
        (tmp_path / "src" / "big" / f"m{number}.py").write_text("")
    monkeypatch.setattr(Budget, "__init__", lambda self: _small(self))
    with deadline():
        message = only_problem(
            tmp_path,
            '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["big"]\n',
        )
    assert message.endswith(
        f"key 'packages': package 'big' ({str(tmp_path / 'src/big')!r}) holds more than 3 "
        "files, more than any package; is 'path' right?"
    )


def test_the_build_reports_a_glob_past_its_budget_naming_the_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(4):
        (tmp_path / f"modules-{number}").write_text("os\n")
    config = load_config(
        _config(tmp_path, 'type = "filter-include"\nglob_files = ["modules-*"]\n'), LINUX
    )
    rule = config.rules[1]
    monkeypatch.setattr(Budget, "__init__", lambda self: _small(self))
    with pytest.raises(RuleError, match=r"^rule: key 'glob_files': pattern .* matches more than 3"):
        filter_files(rule.options, "rule")  # type: ignore[arg-type]


def test_a_relative_pattern_matches_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert bounded_glob("a/*.txt") == [Path("a/y.txt")] == [Path(p) for p in glob.glob("a/*.txt")]
