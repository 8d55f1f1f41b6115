"""Asking the freshly built interpreter about itself (it runs on this x86_64 Linux host)."""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import StandaloneBuildError
from .context import BuildContext
from .metadata import InterpreterFacts
from .toolchain import BUILD_PREFIX_MAP

# Runs inside the new interpreter with -E -S: standard library only.
_SCRIPT = """\
import importlib.machinery as m, importlib.util, json, sys, sysconfig
base = {"base": "/install", "platbase": "/install", "installed_base": "/install",
        "installed_platbase": "/install", "userbase": "/install"}
paths = {k: v.replace("/install", "install", 1) for k, v in sysconfig.get_paths(vars=base).items()}
out = {
    "version": "%d.%d.%d" % sys.version_info[:3],
    "hex_version": sys.implementation.hexversion,
    "cache_tag": sys.implementation.cache_tag,
    "name": sys.implementation.name,
    "impl_version": [str(p) for p in sys.implementation.version],
    "abiflags": sys.abiflags,
    "magic": importlib.util.MAGIC_NUMBER.hex(),
    "suffixes": {
        "bytecode": m.BYTECODE_SUFFIXES, "debug_bytecode": m.DEBUG_BYTECODE_SUFFIXES,
        "extension": m.EXTENSION_SUFFIXES, "optimized_bytecode": m.OPTIMIZED_BYTECODE_SUFFIXES,
        "source": m.SOURCE_SUFFIXES,
    },
    "paths": paths,
    "paths_abstract": sysconfig.get_paths(expand=False),
    "config_vars": {k: str(v) for k, v in sysconfig.get_config_vars().items()},
}
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
"""


def interpreter_facts(
    ctx: BuildContext, python: Path, scratch: Path, scrub: str
) -> InterpreterFacts:
    """Run ``python`` once and turn its answers into InterpreterFacts.

    ``scrub`` (the work directory) is replaced in every config value, so no build path leaks.
    """
    script, out = scratch / "facts.py", scratch / "facts.json"
    script.write_text(_SCRIPT, encoding="utf-8")
    # -B: importing sysconfig must not write bytecode into the installation being archived.
    ctx.run("cpython-facts", [str(python), "-E", "-S", "-B", str(script), str(out)], scratch)
    try:
        raw = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StandaloneBuildError(
            f"The built interpreter {python} did not report its configuration ({exc})."
        ) from None
    config = {k: v.replace(scrub, BUILD_PREFIX_MAP) for k, v in raw["config_vars"].items()}
    return InterpreterFacts(
        version=raw["version"],
        hex_version=raw["hex_version"],
        cache_tag=raw["cache_tag"],
        implementation_name=raw["name"],
        implementation_version=tuple(raw["impl_version"]),
        abiflags=raw["abiflags"],
        magic_number=raw["magic"],
        suffixes={k: tuple(v) for k, v in raw["suffixes"].items()},
        paths=raw["paths"],
        paths_abstract=raw["paths_abstract"],
        config_vars=config,
    )
