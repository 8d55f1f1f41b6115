"""A real executable per supported CPython: stdlib and its extension modules from memory."""

from __future__ import annotations

import pytest

from tests.helpers import SUPPORTED, Project, config_text, find_python, run_exe

CODE = (
    "import sys, json, math, sqlite3, ssl, decimal, zlib, ctypes;"
    "db = sqlite3.connect(':memory:');"
    "print(sys.version_info[0], sys.version_info[1]);"
    "print(json.dumps({'pi': round(math.pi, 3)}));"
    "print(db.execute('select 6*7').fetchone()[0]);"
    "print(ssl.create_default_context().protocol.name);"
    "print(decimal.Decimal(1) / decimal.Decimal(8));"
    "print(zlib.decompress(zlib.compress(b'round trip')).decode());"
    "print(ctypes.sizeof(ctypes.c_int32));"
    "print(sys.oxidized, sys.argv[1:], sys.executable == sys.argv[0]);"
    "print(sorted(type(f).__name__ if not isinstance(f, type) else f.__name__ for f in sys.meta_path))"
)


@pytest.mark.parametrize("version", SUPPORTED)
def test_stdlib_and_extension_modules_work(project: Project, version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"CPython {version} with a static libpython is not installed here")
    project.write(
        "pyoxidizer.toml", config_text(python=python, run=f'mode = "eval"\ncode = "{CODE}"')
    )
    exe = project.build()
    proc = run_exe(exe, "arg one", "two")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == version.replace(".", " ")
    assert lines[1:8] == [
        '{"pi": 3.142}',
        "42",
        "PROTOCOL_TLS_CLIENT",
        "0.125",
        "round trip",
        "4",
        "True ['arg one', 'two'] True",
    ]
    # Only CPython's builtin/frozen importers and ours: no filesystem PathFinder.
    assert lines[8] == "['BuiltinImporter', 'FrozenImporter', 'OxidizedFinder']"
