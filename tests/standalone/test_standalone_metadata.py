"""PYTHON.json: every documented field, on a small synthetic distribution."""

from __future__ import annotations

import json

from pyoxidizer.pythondist.builder.metadata import (
    REQUIRED_KEYS,
    Distribution,
    Extension,
    InterpreterFacts,
    Link,
    missing_keys,
    python_json,
)
from pyoxidizer.pythondist.builder.targets import TARGETS

FACTS = InterpreterFacts(
    version="3.11.2",
    hex_version=0x30B02F0,
    cache_tag="cpython-311",
    implementation_name="cpython",
    implementation_version=("3", "11", "2", "final", "0"),
    abiflags="",
    magic_number="a70d0d0a",
    suffixes={"source": (".py",), "extension": (".cpython-311-x86_64-linux-gnu.so", ".so")},
    paths={"stdlib": "install/lib/python3.11", "include": "install/include/python3.11"},
    paths_abstract={"stdlib": "{installed_base}/lib/python{py_version_short}"},
    config_vars={"LIBRARY": "libpython3.11.a"},
)
SSL = Extension(
    name="_ssl",
    init_fn="PyInit__ssl",
    objs=("build/extensions/_ssl/_ssl.o",),
    links=(Link("ssl", "build/lib/libssl.a"), Link("crypto", "build/lib/libcrypto.a"), Link("dl")),
    licenses=("Apache-2.0",),
    license_paths=("licenses/LICENSE.openssl.txt",),
    license_public_domain=False,
    required=False,
)
MARSHAL = Extension("marshal", "PyMarshal_Init", (), (), (), (), False, True, in_core=True)


def _dist(triple: str) -> Distribution:
    return Distribution(
        target=TARGETS[triple],
        facts=FACTS,
        core_objs=("build/core/Python/ceval.o",),
        core_links=(Link("m"),),
        core_static_lib="install/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a",
        extensions=(SSL, MARSHAL),
        inittab_object="build/inittab/config.o",
        inittab_source="build/inittab/config.c",
        stdlib_test_packages=("test", "ctypes.test"),
        python_exe="install/bin/python3.11",
        platform_config="install/lib/python3.11/config-3.11-x86_64-linux-gnu",
        left_out={"_tkinter": "no Tcl/Tk"},
        sources_file="SOURCES.json",
    )


def test_every_required_key_is_written() -> None:
    doc = python_json(_dist("x86_64-unknown-linux-gnu"))
    assert missing_keys(doc) == []
    assert set(REQUIRED_KEYS) <= set(doc)
    json.dumps(doc)  # serialisable as is


def test_values_follow_the_schema() -> None:
    doc = python_json(_dist("x86_64-unknown-linux-gnu"))
    assert doc["version"] == "8"
    assert doc["python_tag"] == "cp311" and doc["python_abi_tag"] == "cp311"
    assert doc["python_platform_tag"] == "linux_x86_64"
    assert doc["libpython_link_mode"] == "static"
    assert doc["crt_features"] == ["glibc-dynamic", "glibc-max-symbol-version:2.17"]
    assert doc["python_extension_module_loading"] == ["builtin", "shared-library"]
    ssl = doc["build_info"]["extensions"]["_ssl"][0]
    assert ssl["links"] == [
        {"name": "ssl", "path_static": "build/lib/libssl.a"},
        {"name": "crypto", "path_static": "build/lib/libcrypto.a"},
        {"name": "dl", "system": True},
    ]
    assert ssl["licenses"] == ["Apache-2.0"] and ssl["required"] is False
    assert doc["build_info"]["extensions"]["marshal"][0]["in_core"] is True
    assert doc["pyoxidizer_missing_extensions"] == {"_tkinter": "no Tcl/Tk"}


def test_musl_is_static_and_builtin_only() -> None:
    doc = python_json(_dist("x86_64-unknown-linux-musl"))
    assert doc["crt_features"] == ["static"]
    assert doc["python_extension_module_loading"] == ["builtin"]


def test_missing_keys_names_nested_fields() -> None:
    doc = python_json(_dist("x86_64-unknown-linux-gnu"))
    del doc["python_exe"]
    del doc["build_info"]["inittab_object"]
    del doc["build_info"]["extensions"]["_ssl"][0]["licenses"]
    assert missing_keys(doc) == [
        "python_exe",
        "build_info.inittab_object",
        "build_info.extensions._ssl.licenses",
    ]
