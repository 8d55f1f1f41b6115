"""PYTHON.json, following python-build-standalone's documented schema (format version 8).

Pure: values in, a JSON-ready dict out. ``REQUIRED_KEYS`` is what this writer promises (and
what the tests check); readers of older archives must not rely on the v6+ keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .targets import Target

FORMAT_VERSION = 8
OPTIMIZATIONS = "noopt"
INITTAB_CFLAGS = ("-std=c99", "-DNDEBUG", "-DPy_BUILD_CORE")

REQUIRED_KEYS: tuple[str, ...] = (
    "version",
    "target_triple",
    "optimizations",
    "build_options",
    "python_tag",
    "python_abi_tag",
    "python_platform_tag",
    "python_implementation_cache_tag",
    "python_implementation_hex_version",
    "python_implementation_name",
    "python_implementation_version",
    "python_version",
    "python_major_minor_version",
    "python_paths",
    "python_paths_abstract",
    "python_config_vars",
    "python_exe",
    "python_stdlib_test_packages",
    "python_suffixes",
    "python_bytecode_magic_number",
    "python_symbol_visibility",
    "python_extension_module_loading",
    "libpython_link_mode",
    "crt_features",
    "run_tests",
    "build_info",
    "licenses",
    "license_path",
)
REQUIRED_BUILD_INFO_KEYS = (
    "core",
    "extensions",
    "inittab_object",
    "inittab_source",
    "inittab_cflags",
    "object_file_format",
)
REQUIRED_EXTENSION_KEYS = (
    "in_core",
    "init_fn",
    "licenses",
    "license_paths",
    "license_public_domain",
    "links",
    "objs",
    "required",
    "variant",
)


@dataclass(frozen=True)
class Link:
    """A library an object needs: shipped as a static archive, or provided by the system."""

    name: str
    path_static: str | None = None

    def as_json(self) -> dict[str, Any]:
        if self.path_static is None:
            return {"name": self.name, "system": True}
        return {"name": self.name, "path_static": self.path_static}


@dataclass(frozen=True)
class Extension:
    """One extension module candidate of ``build_info.extensions``."""

    name: str
    init_fn: str | None
    objs: tuple[str, ...]
    links: tuple[Link, ...]
    licenses: tuple[str, ...]
    license_paths: tuple[str, ...]
    license_public_domain: bool
    required: bool
    in_core: bool = False
    variant: str = "default"

    def as_json(self) -> dict[str, Any]:
        return {
            "in_core": self.in_core,
            "init_fn": self.init_fn,
            "licenses": sorted(self.licenses),
            "license_paths": sorted(self.license_paths),
            "license_public_domain": self.license_public_domain,
            "links": [link.as_json() for link in self.links],
            "objs": list(self.objs),
            "required": self.required,
            "variant": self.variant,
        }


@dataclass(frozen=True)
class InterpreterFacts:
    """What the built interpreter says about itself (sys, sysconfig, importlib)."""

    version: str
    hex_version: int
    cache_tag: str
    implementation_name: str
    implementation_version: tuple[str, ...]
    abiflags: str
    magic_number: str
    suffixes: Mapping[str, tuple[str, ...]]
    paths: Mapping[str, str]
    paths_abstract: Mapping[str, str]
    config_vars: Mapping[str, str]


@dataclass(frozen=True)
class Distribution:
    """Everything PYTHON.json describes."""

    target: Target
    facts: InterpreterFacts
    core_objs: tuple[str, ...]
    core_links: tuple[Link, ...]
    core_static_lib: str
    extensions: tuple[Extension, ...]
    inittab_object: str
    inittab_source: str
    stdlib_test_packages: tuple[str, ...]
    python_exe: str
    platform_config: str
    left_out: Mapping[str, str]
    sources_file: str


def _tags(facts: InterpreterFacts) -> dict[str, Any]:
    major, minor = facts.version.split(".")[:2]
    return {
        "python_tag": f"cp{major}{minor}",
        "python_abi_tag": f"cp{major}{minor}{facts.abiflags}",
        "python_platform_tag": "linux_x86_64",
        "python_implementation_cache_tag": facts.cache_tag,
        "python_implementation_hex_version": facts.hex_version,
        "python_implementation_name": facts.implementation_name,
        "python_implementation_version": list(facts.implementation_version),
        "python_version": facts.version,
        "python_major_minor_version": f"{major}.{minor}",
    }


def _build_info(dist: Distribution) -> dict[str, Any]:
    extensions: dict[str, list[dict[str, Any]]] = {}
    for ext in sorted(dist.extensions, key=lambda e: e.name):
        extensions.setdefault(ext.name, []).append(ext.as_json())
    return {
        "core": {
            "objs": list(dist.core_objs),
            "links": [link.as_json() for link in dist.core_links],
            "static_lib": dist.core_static_lib,
        },
        "extensions": extensions,
        "inittab_object": dist.inittab_object,
        "inittab_source": dist.inittab_source,
        "inittab_cflags": list(INITTAB_CFLAGS),
        "object_file_format": "elf",
    }


def python_json(dist: Distribution) -> dict[str, Any]:
    """The PYTHON.json document of ``dist``."""
    facts = dist.facts
    doc: dict[str, Any] = {
        "version": str(FORMAT_VERSION),
        "target_triple": dist.target.triple,
        "optimizations": OPTIMIZATIONS,
        "build_options": OPTIMIZATIONS,
        **_tags(facts),
        "python_paths": dict(sorted(facts.paths.items())),
        "python_paths_abstract": dict(sorted(facts.paths_abstract.items())),
        "python_config_vars": dict(sorted(facts.config_vars.items())),
        "python_exe": dist.python_exe,
        "python_stdlib_platform_config": dist.platform_config,
        "python_stdlib_test_packages": sorted(dist.stdlib_test_packages),
        "python_suffixes": {k: list(v) for k, v in sorted(facts.suffixes.items())},
        "python_bytecode_magic_number": facts.magic_number,
        "python_symbol_visibility": "global-default",
        "python_extension_module_loading": list(dist.target.extension_module_loading),
        "libpython_link_mode": "static",
        "crt_features": list(dist.target.crt_features),
        "run_tests": "build/run_tests.py",
        "build_info": _build_info(dist),
        "licenses": ["Python-2.0", "CNRI-Python"],
        "license_path": "licenses/LICENSE.cpython.txt",
        # Not in python-build-standalone's schema: what this build left out, and why, and
        # where the exact sources (versions, sha256) and recipe digest are recorded.
        "pyoxidizer_missing_extensions": dict(sorted(dist.left_out.items())),
        "pyoxidizer_sources": dist.sources_file,
    }
    return doc


def missing_keys(doc: Mapping[str, Any]) -> list[str]:
    """Every required key absent from a PYTHON.json document, as dotted paths."""
    missing = [k for k in REQUIRED_KEYS if k not in doc]
    info = doc.get("build_info", {})
    missing += [f"build_info.{k}" for k in REQUIRED_BUILD_INFO_KEYS if k not in info]
    for name, candidates in sorted(info.get("extensions", {}).items()):
        for entry in candidates:
            missing += [
                f"build_info.extensions.{name}.{k}"
                for k in REQUIRED_EXTENSION_KEYS
                if k not in entry
            ]
    return missing
