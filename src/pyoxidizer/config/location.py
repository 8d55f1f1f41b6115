"""Where a resource goes: embedded in the executable, or a file in a directory beside it."""

from __future__ import annotations

from dataclasses import dataclass

APP_RELATIVE_PREFIX = "app-relative:"


@dataclass(frozen=True)
class Embedded:
    """In the executable's payload, imported from memory."""

    def __str__(self) -> str:
        return "embedded"


@dataclass(frozen=True)
class AppRelative:
    """A file below ``directory``, relative to the executable's directory."""

    directory: str

    def __str__(self) -> str:
        return APP_RELATIVE_PREFIX + self.directory


Location = Embedded | AppRelative

EMBEDDED = Embedded()
