"""What a recipe gets: the toolchain, the install prefix, and a way to run logged commands."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .process import Reporter, Runner, stage_failed
from .toolchain import Toolchain

# Every library is compiled position-independent so it can go into a PIE executable.
BASE_CFLAGS = "-O2 -fPIC"


@dataclass(frozen=True)
class BuildContext:
    """One target's build: where things go and how commands run."""

    toolchain: Toolchain
    prefix: Path
    logs_dir: Path
    jobs: int
    runner: Runner
    reporter: Reporter
    verbose: bool
    base_env: Mapping[str, str]

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = self.toolchain.env(dict(self.base_env))
        env.update(extra or {})
        return env

    def log_for(self, what: str) -> Path:
        return self.logs_dir / f"{what}.log"

    def run(
        self,
        what: str,
        argv: Sequence[str],
        cwd: Path,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Run one command of ``what``'s build; a failure raises an error with the log tail."""
        log = self.log_for(what)
        echo: Callable[[str], None] | None = self.reporter.detail if self.verbose else None
        status = self.runner(argv, cwd=cwd, env=self.env(extra_env), log=log, echo=echo)
        if status != 0:
            raise stage_failed(what, argv, status, log)

    def make(self, what: str, cwd: Path, *targets: str, **variables: str) -> None:
        args = [f"{k}={v}" for k, v in sorted(variables.items())]
        self.run(what, ["make", f"-j{self.jobs}", *args, *targets], cwd)

    def configure(
        self,
        what: str,
        cwd: Path,
        args: Sequence[str],
        cflags: str = BASE_CFLAGS,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Run an autoconf ``configure`` for a static library installed into the prefix."""
        env = {
            "CFLAGS": cflags,
            "CPPFLAGS": f"-I{self.prefix / 'include'}",
            "LDFLAGS": f"-L{self.prefix / 'lib'}",
            # These libraries are C only. Probing a C++ compiler (libffi's configure does)
            # makes zig build libc++ from source: minutes per target for nothing.
            "CXX": "no",
            **(extra_env or {}),
        }
        argv = ["./configure", f"--prefix={self.prefix}", *args]
        self.run(what, argv, cwd, env)

    def compile_archive(
        self,
        what: str,
        cwd: Path,
        sources: Sequence[str],
        library: str,
        cflags: Sequence[str] = (),
    ) -> Path:
        """Compile C files straight into ``prefix/lib/lib<library>.a`` (no build system).

        A generated Makefile gives parallelism and the same logging as any other step.
        """
        objects = [f"{Path(s).with_suffix('.o')}" for s in sources]
        flags = " ".join([BASE_CFLAGS, *cflags])
        rules = [f"lib{library}.a: {' '.join(objects)}\n\t$(AR) rcs $@ $^\n"]
        for source, obj in zip(sources, objects, strict=True):
            rules.append(f"{obj}: {source}\n\t$(CC) {flags} -c {source} -o {obj}\n")
        (cwd / "pyoxidizer.mk").write_text("\n".join(rules), encoding="utf-8")
        self.run(what, ["make", f"-j{self.jobs}", "-f", "pyoxidizer.mk"], cwd)
        out = self.prefix / "lib" / f"lib{library}.a"
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(cwd / f"lib{library}.a", out)
        return out

    def install_headers(self, source_dir: Path, names: Sequence[str], subdir: str = "") -> None:
        dest = self.prefix / "include" / subdir
        dest.mkdir(parents=True, exist_ok=True)
        for name in names:
            (dest / Path(name).name).write_bytes((source_dir / name).read_bytes())
