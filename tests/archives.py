"""Synthetic python-build-standalone metadata, written from the documented PYTHON.json schema
(python-build-standalone docs/distributions.rst, format versions 5 to 8), and the archives
the standalone integration tests use.

``python_json(version)`` is what a version-``version`` archive for x86_64 Linux carries, with
the spellings python-build-standalone's own writer uses where they differ from its prose
(``inittab_*`` directly under ``build_info``, ``license_paths``, ``init_fn: "NULL"``, no
``licenses`` key for extensions that link no library of their own).

``archive_for(target)`` finds the real archives: ``PYOXIDIZER_TEST_DISTRIBUTIONS`` names a
directory holding ``*.tar.zst`` archives (the newest one per target is used). Without it the
tests that need one fail, saying how to provide it, unless ``PYOXIDIZER_TEST_NO_STANDALONE=1``
opts out (they are then skipped, with that reason).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
import zstandard

GNU = "x86_64-unknown-linux-gnu"
MUSL = "x86_64-unknown-linux-musl"
ENV = "PYOXIDIZER_TEST_DISTRIBUTIONS"
OPT_OUT = "PYOXIDIZER_TEST_NO_STANDALONE"  # scripts/test.sh's opt-out
BUILD_OPT_OUT = "PYOXIDIZER_STANDALONE_SKIP"  # the opt-out of the tests that build archives


def _ext(objs: list[str], links: list[dict[str, Any]] | None = None, **extra: Any) -> list[Any]:
    entry: dict[str, Any] = {
        "in_core": False,
        "init_fn": extra.pop("init_fn", None),
        "links": links or [],
        "objs": objs,
        "required": False,
        "variant": "default",
    }
    entry.update(extra)
    return [entry]


def _core(init_fn: str) -> list[Any]:
    return [
        {
            "in_core": True,
            "init_fn": init_fn,
            "links": [],
            "objs": [],
            "required": False,
            "variant": "default",
        }
    ]


def _extensions() -> dict[str, Any]:
    ext: dict[str, Any] = {
        "_io": _ext(["build/Modules/_io/_iomodule.o"], required=True),
        "posix": _ext(["build/Modules/posixmodule.o"], required=True),
        "builtins": _core("NULL"),
        "sys": _core("NULL"),
        "marshal": _core("PyMarshal_Init"),
        "_warnings": _core("_PyWarnings_Init"),
        "_json": _ext(["build/Modules/_json.o"]),
        "math": _ext(
            ["build/Modules/mathmodule.o", "build/Modules/_math.o"],
            [{"name": "m", "system": True}],
        ),
        "cmath": _ext(
            ["build/Modules/cmathmodule.o", "build/Modules/_math.o"],
            [{"name": "m", "system": True}],
        ),
        "_crypt": _ext(["build/Modules/_cryptmodule.o"], [{"name": "crypt", "system": True}]),
        "_uuid": _ext(["build/Modules/_uuidmodule.o"], [{"name": "uuid", "system": True}]),
        "_ssl": _ext(
            ["build/Modules/_ssl.o"],
            [
                {"name": "ssl", "path_static": "build/lib/libssl.a"},
                {"name": "crypto", "path_static": "build/lib/libcrypto.a"},
            ],
            licenses=["Apache-2.0"],
            license_paths=["licenses/LICENSE.openssl-3.txt"],
            license_public_domain=False,
        ),
        "_sqlite3": _ext(
            ["build/Modules/_sqlite/module.o"],
            [{"name": "sqlite3", "path_static": "build/lib/libsqlite3.a"}],
            licenses=[],
            license_paths=["licenses/LICENSE.sqlite.txt"],
            license_public_domain=True,
        ),
        "_testcapi": _ext([], shared_lib="install/lib/python3.11/lib-dynload/_testcapi.so"),
    }
    ext["readline"] = [
        *_ext(
            ["build/Modules/readline.o"],
            [
                {"name": "ncursesw", "path_static": "build/lib/libncursesw.a"},
                {"name": "readline", "path_static": "build/lib/libreadline.a"},
            ],
            licenses=["GPL-3.0-only", "X11"],
            license_paths=["licenses/LICENSE.readline.txt"],
            license_public_domain=False,
        ),
        *_ext(
            ["build/Modules/readline-libedit.o"],
            [{"name": "edit", "path_static": "build/lib/libedit.a"}],
            licenses=["BSD-3-Clause"],
            license_paths=["licenses/LICENSE.libedit.txt"],
            license_public_domain=False,
            variant="libedit",
        ),
    ]
    for name, variants in ext.items():
        for variant in variants:
            if variant["init_fn"] is None:
                variant["init_fn"] = f"PyInit_{name}"
    return ext


def python_json(version: int = 8, triple: str = GNU) -> dict[str, Any]:
    """A complete PYTHON.json of format ``version`` for ``triple`` (CPython 3.11.7)."""
    musl = triple.endswith("musl")
    doc: dict[str, Any] = {
        "version": str(version),
        "target_triple": triple,
        "optimizations": "noopt",
        "python_tag": "cp311",
        "python_abi_tag": "cp311",
        "python_platform_tag": "linux_x86_64",
        "python_implementation_cache_tag": "cpython-311",
        "python_implementation_hex_version": 0x030B07F0,
        "python_implementation_name": "cpython",
        "python_implementation_version": ["3", "11", "7", "final", "0"],
        "python_version": "3.11.7",
        "python_major_minor_version": "3.11",
        "python_paths": {
            "data": "install",
            "include": "install/include/python3.11",
            "platinclude": "install/include/python3.11",
            "platlib": "install/lib/python3.11/site-packages",
            "platstdlib": "install/lib/python3.11",
            "purelib": "install/lib/python3.11/site-packages",
            "scripts": "install/bin",
            "stdlib": "install/lib/python3.11",
        },
        "python_exe": "install/bin/python3.11",
        "python_stdlib_platform_config": "install/lib/python3.11/config-3.11-x86_64-linux-gnu",
        "python_stdlib_test_packages": ["test", "idlelib.idle_test"],
        "python_suffixes": {
            "bytecode": [".pyc"],
            "debug_bytecode": [".pyc"],
            "extension": [".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so"],
            "optimized_bytecode": [".pyc"],
            "source": [".py"],
        },
        "python_bytecode_magic_number": "a70d0d0a",
        "python_symbol_visibility": "global-default",
        "python_extension_module_loading": ["builtin"] if musl else ["builtin", "shared-library"],
        "libpython_link_mode": "static" if musl else "shared",
        "crt_features": ["static"] if musl else ["glibc-dynamic", "glibc-max-symbol-version:2.17"],
        "run_tests": "build/run_tests.py",
        "build_info": {
            "core": {
                "objs": [
                    "build/Objects/object.o",
                    "build/Python/pylifecycle.o",
                    "build/Modules/config.o",
                    "build/Modules/main.o",
                    "build/Modules/_math.o",
                ],
                "links": [
                    {"name": "crypt", "system": True},
                    {"name": "pthread", "system": True},
                    {"name": "dl", "system": True},
                    {"name": "util", "system": True},
                    {"name": "m", "system": True},
                ],
                "static_lib": "install/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a",
            },
            "extensions": _extensions(),
            "inittab_object": "build/Modules/config.o",
            "inittab_source": "build/Modules/config.c",
            "inittab_cflags": ["-std=c99", "-DNDEBUG", "-DPy_BUILD_CORE"],
            "object_file_format": "elf",
        },
        "licenses": ["Python-2.0", "CNRI-Python"],
        "license_path": "licenses/LICENSE.cpython.txt",
        "tcl_library_path": "install/lib",
        "tcl_library_paths": ["tcl8", "tcl8.6", "tk8.6"],
    }
    if not musl:
        doc["build_info"]["core"]["shared_lib"] = "install/lib/libpython3.11.so.1.0"
    if version >= 6:
        doc["python_paths_abstract"] = {"stdlib": "{installed_base}/lib/python{py_version_short}"}
        doc["python_config_vars"] = {"EXT_SUFFIX": ".cpython-311-x86_64-linux-gnu.so"}
    if version >= 8:
        doc["build_options"] = "noopt"
    return doc


def with_changes(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out.update(changes)
    return out


def write_archive(path: Path, members: dict[str, bytes]) -> str:
    """A zstd-compressed tar of ``members`` (name -> bytes); returns its sha256."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(zstandard.ZstdCompressor().compress(raw.getvalue()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def json_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=1, sort_keys=True).encode()


# --- the real archives ---------------------------------------------------------------------


def _archive_target(path: Path) -> str | None:
    from pyoxidizer.pythondist.extract import read_archive

    try:
        return str(read_archive(path).python_json.get("target_triple"))
    except Exception:
        return None


def archive_for(target: str) -> Path:
    """The archive for ``target`` the environment provides, or fail/skip saying why."""
    directory = os.environ.get(ENV)
    for opt_out in (OPT_OUT, BUILD_OPT_OUT):
        if os.environ.get(opt_out) == "1":
            pytest.skip(f"{opt_out}=1: the tests that need a standalone distribution are off")
    if not directory:
        pytest.fail(
            f"these tests need python-build-standalone archives: set {ENV} to a directory "
            f"holding a {GNU} and a {MUSL} *.tar.zst (pyoxidizer python-distribution-build "
            f"makes them: scripts/standalone-distributions.sh DIR), or set {OPT_OUT}=1 to skip them"
        )
    candidates = sorted(Path(directory).glob("*.tar.zst"), key=lambda p: p.stat().st_mtime)
    matching = [p for p in candidates if target in p.name or _archive_target(p) == target]
    if not matching:
        pytest.fail(f"{ENV}={directory} holds no *.tar.zst archive for {target}")
    return matching[-1]


@functools.cache
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def distribution_section(target: str) -> str:
    """A [[python_distribution]] section for the provided archive of ``target``."""
    archive = archive_for(target)
    return (
        f'[[python_distribution]]\nbuild_target = "{target}"\n'
        f'local_path = "{archive}"\nsha256 = "{sha256_file(archive)}"\n'
    )


def upstream_shaped(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a PYTHON.json of this project's builder, format 8) as python-build-standalone's
    own writer spells a format 7 one: no build_options; the inittab object among the core
    objects and the inittab keys where the prose puts them (build_info.core); "NULL" init
    functions; no licence keys on extensions without libraries; a shared libpython next to
    the static one; test packages and Tcl paths listed; none of this project's own keys."""
    out = copy.deepcopy(doc)
    out["version"] = "7"
    out.pop("build_options", None)
    for key in [k for k in out if k.startswith("pyoxidizer_")]:
        del out[key]
    build_info = out["build_info"]
    core = build_info["core"]
    core["objs"] = [*core["objs"], build_info["inittab_object"]]
    for key in ("inittab_object", "inittab_source", "inittab_cflags"):
        core[key] = build_info.pop(key)
    core["shared_lib"] = "install/lib/libpython3.11.so.1.0"
    out["libpython_link_mode"] = "shared" if "glibc-dynamic" in out["crt_features"] else "static"
    for variants in build_info["extensions"].values():
        for variant in variants:
            if variant["init_fn"] is None:
                variant["init_fn"] = "NULL"
            if not variant["licenses"] and not variant.get("license_public_domain"):
                for key in ("licenses", "license_paths", "license_public_domain"):
                    variant.pop(key, None)
    out["python_stdlib_test_packages"] = ["test", "idlelib.idle_test", "tkinter.test"]
    out["tcl_library_path"] = "install/lib"
    out["tcl_library_paths"] = ["tcl8", "tcl8.6", "tk8.6"]
    return out


def rewrite_python_json(archive: Path, dest: Path, change: Any) -> str:
    """A copy of ``archive`` whose PYTHON.json is ``change(doc)``; returns its sha256."""
    return rewrite_archive(archive, dest, change=change)


def rewrite_archive(
    archive: Path, dest: Path, change: Any = None, drop: Any = lambda name: False
) -> str:
    """A copy of ``archive`` without the members ``drop(name)`` is true for, and with its
    PYTHON.json replaced by ``change(doc)`` when ``change`` is given; returns its sha256."""
    with open(archive, "rb") as raw, open(dest, "wb") as sink:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        writer = zstandard.ZstdCompressor(level=1).stream_writer(sink, closefd=False)
        with (
            tarfile.open(fileobj=reader, mode="r|") as tin,
            tarfile.open(fileobj=writer, mode="w|") as tout,
        ):
            for member in tin:
                if drop(member.name):
                    continue
                data = tin.extractfile(member) if member.isfile() else None
                if change and member.name == "python/PYTHON.json" and data is not None:
                    new = json_bytes(change(json.loads(data.read())))
                    member.size, data = len(new), io.BytesIO(new)
                tout.addfile(member, data)
        writer.flush(zstandard.FLUSH_FRAME)
    return sha256_file(dest)
