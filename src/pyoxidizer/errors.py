"""The one exception hierarchy of pyoxidizer.

Every error is raised with a whole sentence that names what is at fault (a file, a config
section and key, a module, a path). Only ``cli.py`` prints these and picks the exit code.
"""

from __future__ import annotations


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


class StandaloneBuildError(PyOxidizerError):
    """A standalone CPython distribution cannot be built from the given sources and target."""
