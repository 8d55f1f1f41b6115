"""Python distributions: host interpreters and python-build-standalone archives."""

from pyoxidizer.pythondist.host import Distribution, probe_host_distribution

__all__ = ["Distribution", "probe_host_distribution"]
