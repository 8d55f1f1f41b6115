"""Progress reporting and subprocess running: the builder's only edges to the outside.

Both are small Protocols so the CLI (and tests) can supply their own; the builder never prints.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from ...errors import StandaloneBuildError

LOG_TAIL_LINES = 30


class Reporter(Protocol):
    """Receives progress: one line per stage, and details (compiler output) for --verbose."""

    def stage(self, message: str) -> None: ...

    def detail(self, message: str) -> None: ...


class Runner(Protocol):
    """Runs one command, appending its combined output to ``log``; returns its exit status.

    ``echo`` receives each output line as it arrives (used for --verbose).
    """

    def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        log: Path,
        echo: Callable[[str], None] | None = None,
    ) -> int: ...


def run_subprocess(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    echo: Callable[[str], None] | None = None,
) -> int:
    """The default Runner: a real subprocess, output streamed line by line into the log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8", errors="replace") as out:
        out.write(f"$ (cd {cwd} && {' '.join(argv)})\n")
        out.flush()
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            out.write(f"cannot start {argv[0]}: {exc}\n")
            return 127
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if echo is not None:
                echo(line.rstrip("\n"))
        return proc.wait()


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file, for an error message."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(the log could not be read)"
    return "\n".join(text.splitlines()[-lines:])


def stage_failed(what: str, argv: Sequence[str], status: int, log: Path) -> StandaloneBuildError:
    """The error for a failed command of a build stage: what failed, the log tail and its path."""
    return StandaloneBuildError(
        f"Building {what} failed: `{' '.join(argv[:3])}...` exited with status {status}. "
        f"The full log is {log}; its last lines are:\n{log_tail(log)}"
    )
