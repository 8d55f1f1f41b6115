"""Host distributions: what is probed, and clear refusals of unusable interpreters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pyoxidizer.errors import DistributionError
from pyoxidizer.pythondist import probe_host_distribution

# An interpreter that answers the probe like the real one, with one field changed.
FAKE = """#!{python}
import json, subprocess, sys
out = subprocess.run([{python!r}, *sys.argv[1:]], capture_output=True, text=True).stdout
info = json.loads(out)
info[{key!r}] = {value!r}
print(json.dumps(info))
"""


def _fake(tmp_path: Path, key: str, value: object) -> str:
    path = tmp_path / "python-fake"
    path.write_text(FAKE.format(python=sys.executable, key=key, value=value))
    path.chmod(0o755)
    return str(path)


def test_the_running_interpreter_is_usable() -> None:
    dist = probe_host_distribution(sys.executable)
    assert dist.version[:2] == sys.version_info[:2]
    assert dist.static_lib.name.endswith(".a") and dist.static_lib.is_file()
    assert (dist.stdlib_dir / "os.py").is_file()
    assert "sys" in dist.builtin_modules
    assert all(flag.startswith("-l") or flag == "-pthread" for flag in dist.link_libs)


def test_interpreter_without_static_libpython_is_refused(tmp_path: Path) -> None:
    fake = _fake(tmp_path, "static_lib", "/nonexistent/libpython3.11.a")
    with pytest.raises(DistributionError, match="has no static libpython"):
        probe_host_distribution(fake)


def test_unsupported_version_is_refused(tmp_path: Path) -> None:
    fake = _fake(tmp_path, "version", [3, 9, 18])
    with pytest.raises(DistributionError, match=r"CPython 3\.9\.18; supported versions are 3\.10"):
        probe_host_distribution(fake)
