"""How stages tell the user what they do: a ``Reporter`` the command line implements.

Stages never print; they call a reporter. Tests pass one that records the calls.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def stage(self, message: str) -> None:
        """A step of the build starts (one line, always shown)."""

    def detail(self, message: str) -> None:
        """An explanation shown with --verbose."""

    def warn(self, message: str) -> None:
        """Something the user should act on."""

    def progress(self, label: str, done: int, total: int) -> None:
        """``done`` of ``total`` items of a long step are finished."""


class SilentReporter:
    """A reporter that shows nothing (library use, tests)."""

    def stage(self, message: str) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def progress(self, label: str, done: int, total: int) -> None:
        pass
