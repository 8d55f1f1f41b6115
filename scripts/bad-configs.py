#!/usr/bin/env python3
"""Run the bad-config corpus through `python -m pyoxidizer build` and count the outcomes.

    python scripts/bad-configs.py [--verbose] [--timeout SECONDS]

The pyoxidizer under test is whatever `python -m pyoxidizer` imports: set PYTHONPATH to a
checkout's src/ to measure another version (docs/reliability.md has the before/after
figures). Each case is built in a fresh directory; the outcomes:

  clean      exit 1, one error: line per expected problem with the expected fragments,
             each naming the config file, under 1000 characters; nothing written
  unclear    exit != 0 without a traceback, but not clean (a line missing the file, section
             or key, too many or too few lines, a huge line, or files written)
  traceback  a Python traceback
  accepted   exit 0: the build went ahead with a config it should have refused
  timeout    still running after --timeout seconds (default 150)
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "bad-configs"
OUTCOMES = ("clean", "unclear", "traceback", "accepted", "timeout")


def expectations(case: Path) -> list[list[str]]:
    expected = []
    for line in case.read_bytes().decode("utf-8", "replace").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# expect: "):
            expected.append([part.strip() for part in line[len("# expect: ") :].split(" | ")])
    return expected


def is_clean(stderr: str, config: Path, expected: list[list[str]], written: list[str]) -> bool:
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    if written or len(errors) != len(expected):
        return False
    unmatched = list(errors)
    for fragments in expected:
        found = [line for line in unmatched if all(f in line for f in fragments)]
        if not found:
            return False
        unmatched.remove(found[0])
    return all(e.startswith(f"error: {config}: ") and len(e) < 1000 for e in errors)


def run_case(case: Path, work: Path, timeout: float) -> tuple[str, str]:
    project = work / case.stem
    project.mkdir()
    shutil.copytree(CORPUS / "support", project / "support")
    config = project / "pyoxidizer.toml"
    shutil.copyfile(case, config)
    env = dict(os.environ, PYOXIDIZER_CACHE_DIR=str(work / "cache"))
    env.pop("PYOXIDIZER_CONFIG", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pyoxidizer", "build"],
            cwd=project,
            env=env,
            capture_output=True,
            timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired:
        return "timeout", ""
    stderr = proc.stderr.decode("utf-8", "replace")
    last = stderr.strip().splitlines()[-1:] or [""]
    if proc.returncode == 0:
        return "accepted", ""
    if "Traceback (most recent call last)" in stderr:
        return "traceback", last[0][:160]
    written = sorted(
        p.name for p in project.iterdir() if p.name not in ("pyoxidizer.toml", "support")
    )
    if is_clean(stderr, config, expectations(case), written):
        return "clean", ""
    return "unclear", f"{last[0][:160]} (wrote {written})" if written else last[0][:160]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print each case's outcome")
    parser.add_argument("--timeout", type=float, default=150)
    args = parser.parse_args()
    cases = sorted(CORPUS.glob("*.toml"))
    counts: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="pyoxidizer-bad-configs-") as tmp:
        for case in cases:
            outcome, detail = run_case(case, Path(tmp), args.timeout)
            counts[outcome] += 1
            if args.verbose or outcome != "clean":
                print(f"{outcome:9} {case.stem}  {detail}".rstrip(), flush=True)
    print(f"{len(cases)} cases: " + ", ".join(f"{counts[o]} {o}" for o in OUTCOMES))
    return 0 if counts["clean"] == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
