"""Bytecode is compiled by the target interpreter and does not depend on process history."""

from __future__ import annotations

import marshal
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pyoxidizer._proc import Completed, run
from pyoxidizer.compile import worker as bytecode_worker
from pyoxidizer.compile.bytecode import BytecodeCompiler, CompileJob
from pyoxidizer.errors import BytecodeError
from tests.helpers import SUPPORTED, find_python

SOURCE = b"import os\nNAMES = {'alpha', 'beta', 'gamma'}\ndef f(x):\n    return os.path.join(x, 'beta')\n"

HISTORY = """
import sys
sys.path.insert(0, {src!r})
import worker as w
if {warm}:
    import glob, os
    for p in sorted(glob.glob(os.path.dirname(os.__file__) + '/*.py'))[:80]:
        try:
            w.compile_one(open(p, 'rb').read(), p, 0)
        except SyntaxError:
            pass
sys.stdout.buffer.write(w.compile_one({source!r}, 'm.py', 0))
"""


@pytest.mark.parametrize("version", SUPPORTED)
def test_output_does_not_depend_on_what_was_compiled_before(version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"CPython {version} is not installed here")
    src = str(Path(bytecode_worker.__file__).parent)

    def run(warm: bool) -> bytes:
        script = HISTORY.format(src=src, warm=warm, source=SOURCE)
        env = {"PYTHONHASHSEED": "0"}
        return subprocess.run(
            [python, "-s", "-S", "-c", script], capture_output=True, env=env, check=True
        ).stdout

    assert run(False) == run(True)


def test_normalize_keeps_the_code_object_equal() -> None:
    code = compile(SOURCE, "m.py", "exec")
    assert marshal.loads(bytecode_worker.normalize(marshal.dumps(code))) == code


def test_compiler_uses_the_target_and_caches(tmp_path: Path) -> None:
    cache = tmp_path / "cache.marshal"
    compiler = BytecodeCompiler(Path(sys.executable), cache)
    job = CompileJob("m", SOURCE, "m.py", 0)
    (code,) = compiler.compile([job])
    assert code is not None and compiler.compiled_count == 1
    ns: dict[str, object] = {}
    exec(marshal.loads(code), ns)
    assert ns["NAMES"] == {"alpha", "beta", "gamma"}
    compiler.save()
    again = BytecodeCompiler(Path(sys.executable), cache)
    assert again.compile([job]) == [code] and again.compiled_count == 0


def test_syntax_error_names_module_and_line(tmp_path: Path) -> None:
    compiler = BytecodeCompiler(Path(sys.executable), None)
    bad = CompileJob("pkg.bad", b"x = 1\ndef (:\n", "pkg/bad.py", 0, origin="/src/pkg/bad.py")
    with pytest.raises(BytecodeError, match=r"'pkg.bad' \(/src/pkg/bad.py\): line 2"):
        compiler.compile([bad])
    optional = CompileJob("pkg.bad", b"def (:\n", "pkg/bad.py", 0, optional=True)
    assert compiler.compile([optional]) == [None]


def test_normalize_refuses_a_stream_it_does_not_understand() -> None:
    code = marshal.dumps(compile(SOURCE, "m.py", "exec"))
    with pytest.raises(
        bytecode_worker.NormaliseError, match=re.escape(r"unknown marshal type '\x07' at 0")
    ):
        bytecode_worker.normalize(b"\x07" + code)
    with pytest.raises(bytecode_worker.NormaliseError, match="trailing data"):
        bytecode_worker.normalize(code + b"N")


def test_a_normaliser_failure_stops_the_build_naming_module_and_python(tmp_path: Path) -> None:
    """Even for an optional job (a standard library module): it must not be dropped quietly.

    The runner hands the real worker to the real interpreter, with its normaliser fed a
    type byte it does not know, as if marshal had written a new kind of object.
    """
    unknown = "        survey = _Walker(b'\\x07', None)\n"

    def runner(argv: Sequence[str], **kwargs: Any) -> Completed:
        worker = argv[-1]
        assert "        survey = _Walker(data, None)\n" in worker
        return run(
            [*argv[:-1], worker.replace("        survey = _Walker(data, None)\n", unknown)],
            **kwargs,
        )

    compiler = BytecodeCompiler(Path(sys.executable), None, runner)
    stdlib_module = CompileJob("json.decoder", SOURCE, "json/decoder.py", 0, optional=True)
    with pytest.raises(BytecodeError) as failure:
        compiler.compile([stdlib_module])
    version = ".".join(map(str, sys.version_info[:3]))
    assert str(failure.value) == (
        f"cannot normalise the bytecode of module 'json.decoder' (Python {version}: unknown "
        "marshal type '\\x07' at 0); this is a bug in pyoxidizer, please report it"
    )


def test_stripping_annotations_keeps_behaviour_and_drops_the_types() -> None:
    """The runtime's own modules are compiled without what only mypy reads."""
    source = b"""
TYPE_CHECKING = False
if TYPE_CHECKING:
    import this_module_does_not_exist
else:
    RUNTIME = True


class State:
    value: "int"


def add(a: "int", *rest: "int", scale: "int" = 1, **extra: "str") -> "int":
    total: "int" = a + sum(rest)
    return total * scale
"""
    code = marshal.loads(bytecode_worker.compile_one(source, "m.py", 2, True))
    namespace: dict[str, object] = {}
    exec(code, namespace)
    add = namespace["add"]
    assert callable(add) and add(1, 2, scale=3) == 9
    assert add.__annotations__ == {}
    assert namespace["RUNTIME"] is True
    assert getattr(namespace["State"], "__annotations__", {}) == {}
    # Without stripping, the same source keeps its annotations.
    kept: dict[str, object] = {}
    exec(marshal.loads(bytecode_worker.compile_one(source, "m.py", 2)), kept)
    assert kept["add"].__annotations__["return"] == "int"  # type: ignore[attr-defined]


def test_eval_code_is_compiled_as_python_c_compiles_it(tmp_path: Path) -> None:
    from pyoxidizer.compile.stage import main_code

    compiler = BytecodeCompiler(Path(sys.executable), tmp_path / "cache")
    code = marshal.loads(main_code("x = 1\nassert x == 2", 1, compiler))
    assert code.co_filename == "<string>" and code.co_name == "<module>"
    exec(code, {})  # optimize level 1: the assert is gone
    assert main_code("print(", 0, compiler) == b""  # the SyntaxError appears at run time
    assert main_code(None, 0, compiler) == b""
