"""The compile stage: bytecode for every module and for the runtime's bootstrap modules."""

from __future__ import annotations

import marshal
from collections.abc import Sequence
from importlib import resources as importlib_resources

from pyoxidizer._report import Reporter
from pyoxidizer.collect.resources import ModuleSource
from pyoxidizer.compile.bytecode import BytecodeCompiler, CompileJob, ModuleFacts
from pyoxidizer.config.location import AppRelative
from pyoxidizer.runtime import contract

COMPILE_CHUNK = 250  # modules per progress report

# The runtime's own modules the launcher executes before anything else exists, in order:
# (module name inside the executable, file in pyoxidizer/runtime/).
BOOTSTRAP_MODULES = (
    (contract.CONTRACT_MODULE, "contract.py"),
    (contract.IMPORTER_MODULE, "importer.py"),
    (contract.BOOTSTRAP_MODULE, "bootstrap.py"),
)


def co_filename(module: ModuleSource) -> str:
    path = module.name.replace(".", "/") + ("/__init__.py" if module.is_package else ".py")
    return path if isinstance(module.location, AppRelative) else contract.ORIGIN_PREFIX + path


def compile_job(m: ModuleSource) -> CompileJob:
    return CompileJob(
        m.name, m.source, co_filename(m), m.optimize_level, str(m.origin or ""), m.optional
    )


def module_facts(
    modules: Sequence[ModuleSource], compiler: BytecodeCompiler
) -> dict[str, ModuleFacts]:
    """Source hash and imports of each module ``compile_modules`` compiled."""
    found = ((m.name, compiler.facts(compile_job(m))) for m in modules)
    return {name: facts for name, facts in found if facts is not None}


def compile_modules(
    modules: Sequence[ModuleSource], compiler: BytecodeCompiler, reporter: Reporter
) -> list[bytes | None]:
    """Bytecode per module, in order; None for an optional module that does not compile."""
    jobs = [compile_job(m) for m in modules]
    out: list[bytes | None] = []
    for start in range(0, len(jobs), COMPILE_CHUNK):
        out.extend(compiler.compile(jobs[start : start + COMPILE_CHUNK]))
        reporter.progress("compiling bytecode", len(out), len(jobs))
    return out


def main_code(code: str | None, optimize: int, compiler: BytecodeCompiler) -> bytes:
    """Eval mode's code compiled by the target interpreter, as ``python -c`` would compile
    it (file name ``<string>``), so the executable runs no compiler at start-up; empty
    when there is none or it does not compile (compile() at run time then raises the
    SyntaxError, as python -c does)."""
    if code is None:
        return b""
    job = CompileJob("__main__", code.encode("utf-8"), "<string>", optimize, optional=True)
    return compiler.compile([job])[0] or b""


def _bootstrap_filename(name: str, filename: str) -> str:
    if name == contract.IMPORTER_MODULE:
        return contract.IMPORTER_FILENAME
    return f"{contract.BOOTSTRAP_FILENAME_PREFIX}{filename}>"


def bootstrap_blob(compiler: BytecodeCompiler) -> bytes:
    """The marshalled (name, marshalled code) pairs the launcher executes in phase 1."""
    runtime = importlib_resources.files("pyoxidizer.runtime")
    # Docstrings, asserts and annotations are for readers and checkers, not for start-up.
    jobs = [
        CompileJob(
            name,
            (runtime / filename).read_bytes(),
            _bootstrap_filename(name, filename),
            optimize=2,
            strip_annotations=True,
        )
        for name, filename in BOOTSTRAP_MODULES
    ]
    codes = [code or b"" for code in compiler.compile(jobs)]
    names = [name for name, _ in BOOTSTRAP_MODULES]
    # Code objects stay as the target's marshal bytes: the launcher unmarshals each one.
    return marshal.dumps(tuple(zip(names, codes, strict=True)), 4)
