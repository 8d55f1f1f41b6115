"""Builds that are killed, or that run at the same time (issue 13 §4).

A kill is injected with strace at each rename a rebuild makes (the bytecode cache, the swap
of the app directory, the stamp), with the swap done by ``renameat2(RENAME_EXCHANGE)`` and
with that call failing so the two-rename fallback runs. After each kill the final path holds
a working app (the old one or the new one), or with the fallback possibly none; the next
build then succeeds and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import Project, config_text, run_exe

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
RENAMES = "trace=rename,renameat,renameat2"
RULES = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["app"]\n'


def _project(project: Project, version: int) -> None:
    project.write("src/app.py", f"print('version {version}')\n")
    project.write(
        "pyoxidizer.toml",
        config_text(
            rules=RULES, run='mode = "module"\nmodule = "app"', extensions='policy = "minimal"'
        ),
    )


def _strace(project: Project, *options: str) -> subprocess.CompletedProcess[str]:
    argv = ["strace", "-qq", *options, sys.executable, "-m", "pyoxidizer", "build"]
    return subprocess.run(
        argv, cwd=project.root, env=project.env(), capture_output=True, text=True, timeout=600
    )


def _renames(project: Project, log: Path, *options: str) -> list[str]:
    """The rename calls a build makes (it builds, as a side effect)."""
    proc = _strace(project, "-o", str(log), "-e", RENAMES, *options)
    assert proc.returncode == 0, proc.stderr
    return [line for line in log.read_text().splitlines() if line.startswith("rename")]


def _leftovers(project: Project) -> list[str]:
    """What killed builds may leave: scratch space, staging or old app copies, temp files."""
    pattern = re.compile(r"^(work-|\.build-)|\.staging-|\.old-|\.tmp$")
    found = []
    for root in (project.root / "build", project.cache_dir):
        for path in root.rglob("*"):
            if pattern.search(path.name) and "/lib/" not in str(path):
                found.append(str(path.relative_to(root.parent)))
    return sorted(found)


def _output(project: Project) -> str | None:
    exe = Path(project.cli("app-path").stdout.strip()) / "app"
    return run_exe(exe).stdout if exe.exists() else None


@needs_strace
@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_a_kill_at_each_rename_leaves_a_working_app_or_a_recoverable_one(
    project: Project, tmp_path: Path, exchange: bool
) -> None:
    _project(project, 0)
    project.build()
    # With the exchange refused (as on a file system without it), the fallback runs.
    refuse = [] if exchange else ["-e", "inject=renameat2:error=EINVAL"]
    _project(project, 1)
    calls = [c for c in _renames(project, tmp_path / "renames.log", *refuse) if "INJECTED" not in c]
    swaps = [c for c in calls if ".staging-" in c or ".old-" in c]
    assert len(swaps) == (1 if exchange else 2), calls
    assert [c for c in calls if "RENAME_EXCHANGE" in c] == (swaps if exchange else [])
    for number, call in enumerate(calls, 1):
        version = number + 1
        _project(project, version)
        syscall = call.split("(")[0]
        n = sum(1 for c in calls[:number] if c.split("(")[0] == syscall)
        killed = _strace(
            project, "-o", "/dev/null", "-e", RENAMES, *refuse,
            "-e", f"inject={syscall}:signal=SIGKILL:when={n}",
        )  # fmt: skip
        assert killed.returncode == -signal.SIGKILL, (call, killed.stderr)
        now = _output(project)
        if exchange or call not in swaps[1:]:
            assert now in (f"version {version - 1}\n", f"version {version}\n"), call
        else:  # killed between the fallback's two renames: no app until the next build
            assert now is None, call
        # The cache is shared by builds of other projects, so its temporary files are only
        # removed once an hour old (a live writer's are younger): let an hour pass.
        for leftover in project.cache_dir.rglob(".*.tmp"):
            os.utime(leftover, (time.time() - 3601,) * 2)
        project.build()
        assert _output(project) == f"version {version}\n", call
        assert _leftovers(project) == [], call


def test_concurrent_builds_of_one_project_both_succeed(project: Project) -> None:
    _project(project, 1)
    project.build()  # the launcher and the bytecode cache exist: the pairs race on the app
    waited = 0
    for version in (2, 3, 4):
        _project(project, version)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pyoxidizer", "build"],
                cwd=project.root,
                env=project.env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [proc.communicate(timeout=600) for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0], results
        said = [err.count("waiting for another build") for _, err in results]
        assert sorted(said) in ([0, 0], [0, 1]), results  # the one that came second waited
        waited += sum(said)
        assert _output(project) == f"version {version}\n"
        assert _leftovers(project) == []
    assert waited >= 1  # they did overlap


def test_a_build_waits_for_the_one_holding_the_lock_and_says_so(project: Project) -> None:
    import fcntl

    _project(project, 1)
    project.build()
    _project(project, 2)
    with open(project.root / "build" / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyoxidizer", "build"],
            cwd=project.root,
            env=project.env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr or ()))
        reader.start()
        deadline = time.monotonic() + 120
        while not any("waiting for another build" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, lines
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting while the lock is held
    assert proc.wait(timeout=600) == 0
    reader.join()
    waiting = [line for line in lines if "waiting" in line]
    assert waiting == [f"waiting for another build using {project.root / 'build'} to finish\n"]
    assert _output(project) == "version 2\n"


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def test_a_build_killed_while_compiling_leaves_nothing_in_tmp_for_long(
    project: Project, tmp_path: Path
) -> None:
    """The launcher is compiled with TMPDIR in its work directory; a killed build's work
    directory is removed by the next launcher build once it is stale."""
    system_tmp = tmp_path / "system-tmp"  # stands for /tmp
    system_tmp.mkdir()
    project.cache_dir = tmp_path / "fresh-cache"  # so that the launcher is compiled
    _project(project, 1)
    env = {**project.env(), "TMPDIR": str(system_tmp)}
    argv = [sys.executable, "-m", "pyoxidizer", "build"]
    proc = subprocess.Popen(argv, cwd=project.root, env=env, stderr=subprocess.PIPE)
    launchers = project.cache_dir / "launchers"
    deadline = time.monotonic() + 300
    # Wait until the launcher's work directory exists and the compiler is running in it.
    while not (list(launchers.glob(".build-*/launcher.c")) and _descendants(proc.pid)):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    victims = [proc.pid, *_descendants(proc.pid)]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    assert len(victims) > 1  # the compiler was killed too
    stale = list(launchers.glob(".build-*"))
    assert len(stale) == 1
    assert sorted(os.listdir(system_tmp)) == []
    an_hour_ago = time.time() - 3601
    os.utime(stale[0], (an_hour_ago, an_hour_ago))
    done = subprocess.run(argv, cwd=project.root, env=env, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert list(launchers.glob(".build-*")) == []
    assert sorted(os.listdir(system_tmp)) == []
    assert _output(project) == "version 1\n"


def test_stale_temporary_files_in_the_cache_are_removed_by_the_next_write(
    project: Project, tmp_path: Path
) -> None:
    _project(project, 1)
    project.build()
    # The session's cache holds other interpreters' caches too.
    tag = sys.implementation.cache_tag
    cache = max((project.cache_dir / "bytecode").glob(f"{tag}-*.marshal"), key=os.path.getmtime)
    leftover = cache.with_name(f".{cache.name}.0123456789ab.tmp")
    fresh = cache.with_name(f".{cache.name}.ba9876543210.tmp")
    leftover.write_bytes(b"half written")
    fresh.write_bytes(b"being written")  # by a build running now
    os.utime(leftover, (time.time() - 3601,) * 2)
    _project(project, time.time_ns())  # a new source: the bytecode cache is written again
    project.build()
    assert not leftover.exists()
    assert fresh.exists()
    fresh.unlink()
