"""The C launcher: its source and the logic that compiles, links and caches it."""

from pyoxidizer.launcher.toolchain import ensure_launcher, launcher_sources

__all__ = ["ensure_launcher", "launcher_sources"]
