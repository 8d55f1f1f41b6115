"""Building python-build-standalone-format CPython distributions from source, with zig.

The entry point is :func:`build_distribution`; progress goes to a :class:`Reporter` and every
command runs through a :class:`Runner`, both supplied by the caller.
"""

from .build import BuildRequest, BuildResult, build_distribution
from .process import Reporter, Runner, run_subprocess

__all__ = [
    "BuildRequest",
    "BuildResult",
    "Reporter",
    "Runner",
    "build_distribution",
    "run_subprocess",
]
