"""Compile module sources to bytecode with the *target* interpreter, deterministically.

Sources go to a subprocess of the distribution's interpreter running ``worker.py``,
in sorted order, with a fixed hash seed (set and frozenset constants are marshalled in hash
order); the worker normalises marshal's reference flags so each module's bytes depend on
its source alone. Results are cached by content so a rebuild only compiles what changed.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path

from pyoxidizer._fs import atomic_write
from pyoxidizer._proc import Runner, run
from pyoxidizer.errors import BytecodeError

# (name, level, fromlist or None, flags): one import a module's bytecode performs.
Import = tuple[str, int, "tuple[str, ...] | None", int]


@dataclass(frozen=True)
class ModuleFacts:
    """What the target interpreter learnt about a module while compiling it."""

    source_hash: bytes  # importlib.util.source_hash: the key of a hash-based .pyc
    # (name, level, fromlist, flags) per import its bytecode performs; the flags are
    # worker.IN_FUNCTION, GUARDED and DYNAMIC (see worker.imports_of).
    imports: tuple[Import, ...]


_FACTS = b"facts1:"  # cache key prefix of a job's marshalled facts (bump if they change)


@dataclass(frozen=True)
class CompileJob:
    name: str  # module name, for messages
    source: bytes
    filename: str  # becomes co_filename
    optimize: int
    origin: str = ""  # where the source came from, for messages
    optional: bool = False  # a failure drops the module instead of failing the build
    # Drop annotations and ``if TYPE_CHECKING:`` blocks first (the runtime's own modules:
    # the types are for mypy, and every byte of the bootstrap is unmarshalled at start-up).
    strip_annotations: bool = False

    def key(self) -> bytes:
        h = hashlib.sha256()
        parts = (self.name, self.filename, str(self.optimize), str(self.strip_annotations))
        for part in parts:
            h.update(part.encode("utf-8", "surrogateescape") + b"\0")
        h.update(self.source)
        return h.digest()


class BytecodeCompiler:
    """Compiles jobs through ``python_exe`` with a persistent on-disk cache."""

    def __init__(self, python_exe: Path, cache_file: Path | None, runner: Runner = run) -> None:
        self.python_exe = python_exe
        self.runner = runner
        self.cache_file = cache_file
        self._cache: dict[bytes, bytes] = self._load_cache()
        self._dirty = False
        self.magic: bytes | None = self._cache.get(b"magic")
        self.compiled_count = 0
        self._keys: dict[CompileJob, bytes] = {}

    def _load_cache(self) -> dict[bytes, bytes]:
        if self.cache_file is None or not self.cache_file.is_file():
            return {}
        try:
            data = marshal.loads(self.cache_file.read_bytes())
        except (EOFError, ValueError, TypeError):
            return {}  # a damaged cache is only a slower build
        return data if isinstance(data, dict) else {}

    def compile(self, jobs: Sequence[CompileJob]) -> list[bytes | None]:
        """Bytecode per job; None for an optional job whose source does not compile."""
        keys = [self._key(job) for job in jobs]
        todo = {k: j for k, j in zip(keys, jobs, strict=True) if not self._known(k, j)}
        missing = sorted(todo.items(), key=lambda kv: kv[1].name)
        if missing or self.magic is None:
            self._compile_missing([job for _, job in missing], [k for k, _ in missing])
        return [self._cache.get(k) or None for k in keys]

    def facts(self, job: CompileJob) -> ModuleFacts | None:
        """The facts of a job ``compile`` compiled; None if its source does not compile."""
        raw = self._cache.get(_FACTS + self._key(job))
        if not raw:
            return None
        source_hash, imports = marshal.loads(raw)
        return ModuleFacts(
            source_hash,
            tuple(
                (name, level, None if names is None else tuple(names), flags)
                for name, level, names, flags in imports
            ),
        )

    def _key(self, job: CompileJob) -> bytes:
        # Remembered: facts() asks again for jobs compile() saw (a SHA-256 of every source).
        key = self._keys.get(job)
        if key is None:
            key = self._keys[job] = job.key()
        return key

    def _known(self, key: bytes, job: CompileJob) -> bool:
        # b"" records a source that failed to compile; only optional jobs may reuse that.
        cached = self._cache.get(key)
        if cached is None or _FACTS + key not in self._cache:
            return False  # caches written before facts existed are compiled again, once
        return bool(cached) or job.optional

    def _compile_missing(self, jobs: list[CompileJob], keys: list[bytes]) -> None:
        payload = marshal.dumps(
            [(j.name, j.source, j.filename, j.optimize, j.strip_annotations) for j in jobs]
        )
        # Not -I: it would ignore PYTHONHASHSEED, and set constants are marshalled in hash
        # order. The environment is cleaned by hand instead; cwd "/" keeps sys.path[0] inert.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONHASHSEED"] = "0"
        worker = (importlib_resources.files("pyoxidizer.compile") / "worker.py").read_text()
        argv = [str(self.python_exe), "-s", "-S", "-c", worker]
        try:
            proc = self.runner(argv, input=payload, env=env, cwd=Path("/"))
        except OSError as exc:
            raise BytecodeError(
                f"cannot run the bytecode compiler {self.python_exe}: {exc.strerror}"
            ) from None
        if not proc.ok:
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise BytecodeError(f"the bytecode compiler ({self.python_exe}) failed: {tail[0]}")
        results, magic, facts = marshal.loads(proc.stdout)
        fatal = [
            f"cannot normalise the bytecode of module {job.name!r} ({value}); this is a bug "
            "in pyoxidizer, please report it"
            for job, (status, value) in zip(jobs, results, strict=True)
            if status == "fatal"
        ]
        if fatal:
            raise BytecodeError("\n".join(fatal))
        errors = [
            f"cannot compile module {job.name!r} ({job.origin or job.filename}): {value}"
            for job, (status, value) in zip(jobs, results, strict=True)
            if status != "ok" and not job.optional
        ]
        if errors:
            raise BytecodeError("\n".join(errors))
        for key, (status, code), fact in zip(keys, results, facts, strict=True):
            self._cache[key] = code if status == "ok" else b""
            self._cache[_FACTS + key] = fact
        self.magic = self._cache[b"magic"] = magic
        self.compiled_count += len(jobs)
        self._dirty = True

    def save(self) -> None:
        if not self._dirty or self.cache_file is None:
            return
        atomic_write(self.cache_file, marshal.dumps(self._cache))
        self._dirty = False
