"""Every config of the bad-config corpus through the real CLI (issue 13 §3).

Each file in ``tests/data/bad-configs`` starts with comments: what is wrong with it, then one
``# expect:`` line per problem, listing (separated by `` | ``) what that problem's error line
must contain: at least the section and the key at fault. A case passes when ``pyoxidizer
build`` exits with status 1, prints exactly one ``error:`` line per problem, each naming the
config file and capped in length, prints no traceback, and writes nothing: not the build
directory, nor anything else in the project; and within ``TIMEOUT`` seconds. ``support/`` holds the programs and files some
cases name (fake interpreters, a regular file); ``make_generated.py`` wrote the cases too big
to write by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import Project

CORPUS = Path(__file__).parent.parent / "data" / "bad-configs"
CASES = sorted(CORPUS.glob("*.toml"))
# Progress lines the build prints before it finds a problem.
PROGRESS = ("processing config file ", "using Python distribution ")
MAX_LINE = 1000  # an error quotes at most 200 characters of any value
# Each case is refused in about a second; a case that hangs (a walk of /proc) fails instead.
TIMEOUT = 120


def expectations(case: Path) -> list[list[str]]:
    """One list of required fragments per expected error line."""
    expected = []
    for line in case.read_bytes().decode("utf-8", "replace").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# expect: "):
            expected.append([part.strip() for part in line[len("# expect: ") :].split(" | ")])
    return expected


def test_the_corpus_is_large_and_every_case_expects_something() -> None:
    assert len(CASES) >= 100
    assert all(expectations(case) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.stem)
def test_a_bad_config_is_one_error_line_per_problem(project: Project, case: Path) -> None:
    shutil.copytree(CORPUS / "support", project.root / "support")
    config = project.root / "pyoxidizer.toml"
    shutil.copyfile(case, config)
    proc = project.cli("build", check=False, timeout=TIMEOUT)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert [line for line in lines if not line.startswith(("error: ", *PROGRESS))] == []
    expected = expectations(case)
    assert len(errors) == len(expected), proc.stderr
    unmatched = list(errors)
    for fragments in expected:
        found = [line for line in unmatched if all(f in line for f in fragments)]
        assert found, f"no error line contains {fragments}:\n{proc.stderr}"
        unmatched.remove(found[0])
    for line in errors:
        assert line.startswith(f"error: {config}: ")
        assert len(line) < MAX_LINE
    assert sorted(p.name for p in project.root.iterdir()) == ["pyoxidizer.toml", "support"]
