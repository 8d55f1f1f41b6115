"""The one exception hierarchy of pyoxidizer.

Every error is raised with a whole sentence that names what is at fault (a file, a config
section and key, a module, a path). Only ``cli.py`` prints these and picks the exit code.
"""

from __future__ import annotations

from pathlib import PurePath

# The most characters of a value an error message quotes: a 10 MB config value must not
# become a 10 MB error line.
QUOTE_LIMIT = 200


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of a string or path for a message, cut to ``limit`` characters."""
    text = str(value) if isinstance(value, PurePath) else value
    if not isinstance(text, str):
        return shorten(repr(value), limit)
    if len(text) > limit:
        return f"{text[:limit]!r}... ({len(text)} characters)"
    return repr(text)


class PyOxidizerError(Exception):
    """Root of every error this tool reports to a user."""


class ConfigError(PyOxidizerError):
    """A pyoxidizer.toml file is missing, unreadable or invalid.

    ``problems`` holds one line per problem so all of them are reported at once.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class DistributionError(PyOxidizerError):
    """A Python distribution cannot be used (missing, unsupported, lacks a static libpython)."""


class RuleError(PyOxidizerError):
    """A packaging rule failed; the message names the rule's index and type."""


class BytecodeError(PyOxidizerError):
    """A module's source could not be compiled by the target interpreter."""


class LauncherError(PyOxidizerError):
    """The C launcher could not be compiled or linked."""


class PayloadError(PyOxidizerError):
    """An embedded payload is malformed, truncated or fails its checksum."""


class AssemblyError(PyOxidizerError):
    """The application directory could not be assembled."""


class NotImplementedFeatureError(PyOxidizerError):
    """A documented feature is recognised but not implemented yet in this version."""


class AnalyzeError(PyOxidizerError):
    """A file cannot be analyzed: it is missing, not an ELF file, truncated or malformed."""


class AppDistributionError(PyOxidizerError):
    """An application distribution (tarball, Debian package, WiX source) cannot be produced."""


class ProjectError(PyOxidizerError):
    """An existing Python project cannot be read by ``pyoxidizer add``."""


class TrimError(PyOxidizerError):
    """``pyoxidizer trim`` cannot record the app, or the trimmed app behaves differently."""


class StandaloneBuildError(PyOxidizerError):
    """A standalone CPython distribution cannot be built from the given sources and target."""
