#!/usr/bin/env python3
"""Kill a rebuild at each of its renames, and race pairs of builds; count the outcomes.

    python scripts/build-faults.py [--pairs N]

Needs strace. The pyoxidizer under test is whatever `python -m pyoxidizer` imports (set
PYTHONPATH to a checkout's src/ to measure another version). For each rename a rebuild
makes, with the app directory swapped by renameat2(RENAME_EXCHANGE) and with that call
refused (EINVAL, so the two-rename fallback runs), a rebuild is killed (SIGKILL) as it
enters that call. Reported per kill: what the final path then runs (the old app, the new
one, or nothing), whether the next build succeeds and runs the new app, and what was left
behind (scratch space, staging or old copies, temporary files; the next build is run as if
an hour had passed since the kill, since the cache's temporary files are only removed once
stale: other projects' builds may be writing to the cache). Then --pairs pairs of
builds of one project are started at the same time: both must succeed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """
[[build]]
application_name = "app"

[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "minimal"

[[packaging_rule]]
type = "stdlib"

[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["app"]

[[embedded_python_run]]
mode = "module"
module = "app"
"""
RENAMES = "trace=rename,renameat,renameat2"
LEFTOVER = re.compile(r"^(work-|\.build-)|\.staging-|\.old-|\.tmp$")


class Project:
    def __init__(self, root: Path, cache: Path) -> None:
        self.root, self.cache = root, cache
        (root / "src").mkdir(parents=True)
        (root / "pyoxidizer.toml").write_text(CONFIG)
        self.env = dict(os.environ, PYOXIDIZER_CACHE_DIR=str(cache))
        self.exe = root / "build/apps/app/x86_64-unknown-linux-gnu/debug/app"

    def version(self, number: int) -> None:
        (self.root / "src/app.py").write_text(f"print('version {number}')\n")

    def build(self, *strace: str) -> subprocess.CompletedProcess[str]:
        argv = [*(["strace", "-qq", *strace] if strace else []), sys.executable]
        return subprocess.run(
            [*argv, "-m", "pyoxidizer", "build"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def runs(self) -> str:
        if not self.exe.exists():
            return "nothing"
        proc = subprocess.run([str(self.exe)], capture_output=True, text=True, timeout=60)
        return proc.stdout.strip() if proc.returncode == 0 else f"broken (exit {proc.returncode})"

    def an_hour_passes(self) -> None:
        for path in self.cache.rglob(".*.tmp"):
            os.utime(path, (time.time() - 3601,) * 2)

    def leftovers(self) -> list[str]:
        return sorted(
            p.name
            for root in (self.root / "build", self.cache)
            for p in root.rglob("*")
            if LEFTOVER.search(p.name) and "/lib/" not in str(p)
        )


def kill_matrix(work: Path) -> None:
    for exchange in (True, False):
        refuse = () if exchange else ("-e", "inject=renameat2:error=EINVAL")
        project = Project(work / f"kill-{exchange}", work / "cache")
        project.version(0)
        assert project.build().returncode == 0
        project.version(1)
        log = work / f"renames-{exchange}.log"
        assert project.build("-o", str(log), "-e", RENAMES, *refuse).returncode == 0
        calls = [c for c in log.read_text().splitlines() if c.startswith("rename")]
        calls = [c for c in calls if "INJECTED" not in c]
        print(f"\nswap by {'renameat2(RENAME_EXCHANGE)' if exchange else 'two renames'}:")
        for number, call in enumerate(calls, 1):
            version = number + 1
            project.version(version)
            syscall = call.split("(")[0]
            n = sum(1 for c in calls[:number] if c.split("(")[0] == syscall)
            target = call.split('"')[3].rsplit("/", 1)[-1]
            inject = f"inject={syscall}:signal=SIGKILL:when={n}"
            killed = project.build("-o", "/dev/null", "-e", RENAMES, *refuse, "-e", inject)
            now = project.runs()
            project.an_hour_passes()
            recovered = project.build()
            after = project.runs()
            ok = recovered.returncode == 0 and after == f"version {version}"
            print(
                f"  kill at {syscall} #{n} (-> {target}): exit {killed.returncode}; final path "
                f"runs: {now}; next build: {'ok' if ok else 'FAILED'}; "
                f"left behind: {project.leftovers() or 'nothing'}"
            )


def pairs(work: Path, count: int) -> None:
    project = Project(work / "pairs", work / "cache")
    project.version(0)
    assert project.build().returncode == 0
    failed = waited = 0
    for number in range(1, count + 1):
        project.version(number)
        argv = [sys.executable, "-m", "pyoxidizer", "build"]
        procs = [
            subprocess.Popen(
                argv, cwd=project.root, env=project.env, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [proc.communicate(timeout=600)[1] for proc in procs]
        failed += any(proc.returncode != 0 for proc in procs) or project.runs() != (
            f"version {number}"
        )
        waited += any("waiting for another build" in out for out in outputs)
    print(f"\n{count} concurrent pairs: {count - failed} both succeeded, {failed} failed; ")
    print(f"  in {waited} a build said it waited for the other; left behind: ", end="")
    print(project.leftovers() or "nothing")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pyoxidizer-build-faults-") as tmp:
        kill_matrix(Path(tmp))
        pairs(Path(tmp), args.pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
