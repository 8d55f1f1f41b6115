"""Running other programs: one ``Runner`` protocol, one real implementation.

Stages that run a compiler, an interpreter, pip or a packaging tool take a ``Runner``, so
tests can hand them a fake. The real one puts each command in its own process group and,
on a timeout, kills the whole group: a grandchild that inherited the output pipes (a
daemon, a stuck subprocess) can neither keep pyoxidizer waiting nor outlive it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Completed:
    """What a finished command left: its status and (when captured) its output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes = b""
    stderr: bytes = b""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def text(self) -> str:
        """stdout as text (undecodable bytes replaced)."""
        return self.stdout.decode("utf-8", "replace")

    def tail(self, lines: int = 15) -> str:
        """The last ``lines`` lines of what the command printed, stdout then stderr."""
        output = (self.stdout + self.stderr).decode("utf-8", "replace").strip()
        return "\n".join(output.splitlines()[-lines:])


class TimedOut(Exception):
    """The command ran longer than its timeout; it and its children were killed."""

    def __init__(self, argv: Sequence[str], timeout: float) -> None:
        self.argv = tuple(argv)
        self.timeout = timeout
        super().__init__(f"{argv[0]} did not finish within {timeout:g} seconds")


class Runner(Protocol):
    """Run ``argv`` to completion.

    ``env`` replaces the environment when given. With ``capture`` false the output goes to
    pyoxidizer's own stdout/stderr (e.g. pip with --verbose). Raises ``OSError`` when the
    program cannot be started and ``TimedOut`` when ``timeout`` seconds pass.
    """

    def __call__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: bytes | None = None,
        timeout: float | None = None,
        capture: bool = True,
    ) -> Completed: ...


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    timeout: float | None = None,
    capture: bool = True,
) -> Completed:
    """The real ``Runner``."""
    pipe = subprocess.PIPE if capture else None
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=pipe,
        stderr=pipe,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise TimedOut(argv, timeout or 0) from None
        except BaseException:
            _kill_group(proc)
            raise
    return Completed(tuple(argv), proc.returncode, out or b"", err or b"")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    # Close our ends first: a grandchild that escaped the group may still hold the pipes.
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    proc.wait()
