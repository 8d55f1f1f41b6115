"""Input digests: of the builder's own code, of one recipe, and of a whole build."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from .sources import SourceTarball
from .toolchain import Zig

PACKAGE_DIR = Path(__file__).parent


def digest_files(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def recipe_digest() -> str:
    """A digest of every source file of the builder: any change to a recipe changes it."""
    return digest_files(PACKAGE_DIR.rglob("*.py"))


def library_digest(module: str) -> str:
    """A digest of one recipe module plus the shared code every recipe runs through.

    Narrower than recipe_digest so that editing one recipe rebuilds only that library.
    """
    names = ["context.py", "toolchain.py", "process.py", "recipes/base.py"]
    recipe = PACKAGE_DIR / "recipes" / (module.rsplit(".", 1)[-1] + ".py")
    return digest_files([recipe, *(PACKAGE_DIR / n for n in names)])


def step_key(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def build_key(sources: Mapping[str, SourceTarball], recipes: str, triple: str, zig: Zig) -> str:
    """The cache key of a finished archive: sources, recipes, target and zig version."""
    parts = [f"{key}={sources[key].sha256}" for key in sorted(sources)]
    return step_key([*parts, f"recipes={recipes}", f"target={triple}", f"zig={zig.version}"])
