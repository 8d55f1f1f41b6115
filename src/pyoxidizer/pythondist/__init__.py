"""Python distributions: which CPython gets embedded and where its parts live."""

from pyoxidizer.pythondist.host import Distribution, probe_host_distribution

__all__ = ["Distribution", "probe_host_distribution"]
