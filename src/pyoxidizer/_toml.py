"""TOML parsing: ``tomllib`` from Python 3.11, its ``tomli`` backport on 3.10.

The only place that chooses between them, so every reader of TOML imports ``loads`` and
``TOMLDecodeError`` from here.
"""

import sys

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError, loads
else:  # pragma: no cover - Python 3.10
    from tomli import TOMLDecodeError, loads

__all__ = ["TOMLDecodeError", "loads"]
