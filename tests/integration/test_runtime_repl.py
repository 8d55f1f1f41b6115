"""The REPL (mode = "repl") in a real terminal: tmux types keys and reads the screen.

Line editing and history work only if readline is loaded from memory and ncurses finds the
terminal's description through the TERMINFO_DIRS the bootstrap sets (spec 6.3): without
them the arrow keys would show up as escape sequences in the line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import Project, config_text

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Run tmux commands on a private server; the server is killed afterwards."""
    base = ["tmux", "-L", f"pyoxidizer-test-{os.getpid()}", "-f", "/dev/null"]

    def run(*args: str) -> str:
        return subprocess.run([*base, *args], capture_output=True, text=True, check=True).stdout

    yield run
    subprocess.run([*base, "kill-server"], capture_output=True)


def _wait_for(tmux: Callable[..., str], text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux("capture-pane", "-p", "-t", "repl")
        if text in screen:
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared on the screen:\n{screen}")
        time.sleep(0.05)


def test_repl_line_editing_history_and_backspace(
    project: Project, tmux: Callable[..., str], tmp_path: Path
) -> None:
    project.write("pyoxidizer.toml", config_text(run='mode = "repl"'))
    exe = project.build()
    status = tmp_path / "status"
    # The user's TERMINFO_DIRS would win over the bootstrap's choice: leave it out.
    command = f"env -u TERMINFO_DIRS TERM=xterm-256color {exe}; echo $? > {status}"
    tmux("new-session", "-d", "-x", "100", "-y", "20", "-s", "repl", command)
    _wait_for(tmux, ">>>")  # capture-pane drops trailing spaces
    # Left arrow, then insert a digit before the closing parenthesis.
    tmux("send-keys", "-t", "repl", "print(4 + 5)", "Left", "0", "Enter")
    _wait_for(tmux, "54\n>>>")
    # Up arrow recalls the previous line.
    tmux("send-keys", "-t", "repl", "Up", "Enter")
    _wait_for(tmux, "54\n>>> print(4 + 50)\n54\n>>>")
    tmux("send-keys", "-t", "repl", "print(77x", "BSpace", ")", "Enter")
    screen = _wait_for(tmux, "77\n>>>")
    assert "\x1b" not in screen and "^[" not in screen
    lines = [line for line in screen.splitlines() if line]
    assert lines[:6] == [
        ">>> print(4 + 50)",
        "54",
        ">>> print(4 + 50)",
        "54",
        ">>> print(77)",
        "77",
    ]
    tmux("send-keys", "-t", "repl", "C-d")
    deadline = time.monotonic() + 20
    while not status.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status.read_text() == "0\n"
