"""Standalone distributions without zig: PYTHON.json by its documented schema, the link
plan and generated inittab, the extension rules, and the archive cache (sha256, file://)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pyoxidizer._proc import run
from pyoxidizer._report import SilentReporter
from pyoxidizer._toml import loads
from pyoxidizer.collect.linkcheck import glibc_floor_warnings, static_target_errors
from pyoxidizer.collect.resources import DistInfoFile, ExtensionModule, ResourceCollector
from pyoxidizer.collect.rules import RuleContext, apply_rule
from pyoxidizer.collect.rules.extensions import available_extensions, linked_extensions
from pyoxidizer.collect.rules.install import _pip_env
from pyoxidizer.config.loader import validate_config
from pyoxidizer.config.schema import PythonDistributionConfig
from pyoxidizer.errors import (
    DistributionError,
    LauncherError,
    NotImplementedFeatureError,
    RuleError,
)
from pyoxidizer.launcher import check_raw_allocator
from pyoxidizer.launcher.standalone import (
    HIDDEN,
    glibc_functions_c,
    link_plan,
    make_config_c,
    standalone_allocators,
)
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from pyoxidizer.pipeline import (
    BuildOptions,
    BuildTools,
    DistributionRequest,
    build,
    resolve_distribution,
)
from pyoxidizer.pythondist import Distribution
from pyoxidizer.pythondist.fetch import (
    downloaded_archive,
    extracted_archive,
    verified_local_archive,
)
from pyoxidizer.pythondist.pythonjson import parse_python_json
from pyoxidizer.pythondist.standalone import distribution_from_python_json
from tests.archives import GNU, MUSL, json_bytes, python_json, with_changes, write_archive

# --- PYTHON.json -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [5, 6, 7, 8])
def test_every_documented_format_version_is_read(version: int) -> None:
    info = parse_python_json(python_json(version), "x")
    assert info.format_version == version
    assert info.target_triple == GNU and info.version == (3, 11, 7)
    assert info.stdlib == "install/lib/python3.11" and info.include == "install/include/python3.11"
    assert info.ext_suffix == ".cpython-311-x86_64-linux-gnu.so"
    assert info.glibc_floor == (2, 17) and not info.static_crt
    assert info.inittab_object == "build/Modules/config.o"
    assert info.inittab_cflags == ("-std=c99", "-DNDEBUG", "-DPy_BUILD_CORE")
    assert info.build_options == "noopt"  # build_options in 8, optimizations before
    assert bool(info.config_vars) == (version >= 6)
    assert info.stdlib_test_packages == ("test", "idlelib.idle_test")


def test_musl_archives_link_the_c_library_statically() -> None:
    info = parse_python_json(python_json(7, MUSL), "x")
    assert info.static_crt and info.glibc_floor is None
    assert info.extension_loading == ("builtin",)


@pytest.mark.parametrize(("version", "hint"), [(4, "predates target_triple"), (9, "")])
def test_other_format_versions_are_refused(version: int, hint: str) -> None:
    doc = with_changes(python_json(), version=str(version))
    with pytest.raises(DistributionError, match=f"format version {version}; supported.*{hint}"):
        parse_python_json(doc, "dist.tar.zst: python/PYTHON.json")


def test_every_schema_problem_is_reported_with_its_key_path() -> None:
    doc = python_json(8)
    del doc["build_options"]
    doc["crt_features"] = "static"
    doc["build_info"]["extensions"]["_json"][0]["in_core"] = "no"
    with pytest.raises(DistributionError) as caught:
        parse_python_json(doc, "d.tar.zst: python/PYTHON.json")
    text = str(caught.value)
    assert text.startswith("d.tar.zst: python/PYTHON.json does not follow the PYTHON.json schema")
    assert "build_options is missing" in text  # format 8 names it build_options
    assert "crt_features must be a list of strings" in text
    assert "build_info.extensions._json[0].in_core must be true or false" in text


def test_documented_and_written_spellings_are_both_read() -> None:
    """The prose puts inittab_* under build_info.core and names license_path; the writer
    puts them under build_info and writes license_paths. init_fn may be "NULL" or null."""
    doc = python_json(7)
    build_info = doc["build_info"]
    for key in ("inittab_object", "inittab_source", "inittab_cflags"):
        build_info["core"][key] = build_info.pop(key)
    ssl = build_info["extensions"]["_ssl"][0]
    ssl["license_path"] = ssl.pop("license_paths")
    build_info["extensions"]["sys"][0]["init_fn"] = None
    info = parse_python_json(doc, "x")
    assert info.inittab_object == "build/Modules/config.o"
    assert info.default_variant("_ssl").license_paths == ("licenses/LICENSE.openssl-3.txt",)
    assert info.default_variant("sys").init_fn is None
    assert info.default_variant("builtins").init_fn is None  # "NULL"
    assert info.default_variant("marshal").init_fn == "PyMarshal_Init"


# --- a standalone Distribution (no zig, no interpreter) --------------------------------------


def _dist(root: Path, doc: dict[str, Any] | None = None) -> Distribution:
    info = parse_python_json(doc or python_json(), "dist.tar.zst: python/PYTHON.json")
    return distribution_from_python_json(
        root, "dist.tar.zst", "ab" * 32, info, ("zig", "cc"), ("python", "-m", "pip")
    )


def test_modules_that_cannot_be_linked_are_known_with_the_reason(tmp_path: Path) -> None:
    gnu = _dist(tmp_path)
    assert gnu.standalone is not None
    assert "does not provide" in gnu.standalone.unlinkable["_crypt"]  # no libcrypt in zig's glibc
    assert "only as a shared library" in gnu.standalone.unlinkable["_testcapi"]
    assert "_crypt" not in available_extensions(gnu) and "_json" in available_extensions(gnu)
    assert "libuuid" in gnu.standalone.unlinkable["_uuid"]
    musl = _dist(tmp_path, python_json(8, MUSL))
    assert musl.standalone is not None and "_crypt" not in musl.standalone.unlinkable
    assert gnu.builtin_modules == {"_io", "posix", "builtins", "sys", "marshal", "_warnings"}
    assert gnu.identity() == "ab" * 8 and gnu.target == GNU


def _collect(dist: Distribution, rules: str, tmp_path: Path) -> ResourceCollector:
    text = f'[[build]]\napplication_name = "a"\n{rules}\n[[packaging_rule]]\ntype = "stdlib"\n'
    config = validate_config(loads(text), tmp_path / "pyoxidizer.toml", dist.target)
    collector = ResourceCollector()
    ctx = RuleContext(dist, collector, False, tmp_path / "work", tmp_path, lambda *a, **k: None)  # type: ignore[arg-type]
    for rule in config.rules[:-1]:
        apply_rule(rule, ctx)
    return collector


def _rule(kind: str, body: str) -> str:
    return f'[[packaging_rule]]\ntype = "{kind}"\n{body}\n'


def _linked(dist: Distribution, collector: ResourceCollector) -> dict[str, str]:
    return {v.module: v.variant for v in linked_extensions(dist, collector)}


def test_policies_act_on_what_gets_linked(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    required = {"_io", "posix", "builtins", "sys", "marshal", "_warnings"}
    minimal = _collect(dist, _rule("stdlib-extension-policy", 'policy = "minimal"'), tmp_path)
    assert set(_linked(dist, minimal)) == required
    everything = _collect(dist, _rule("stdlib-extension-policy", 'policy = "all"'), tmp_path)
    linked = _linked(dist, everything)
    assert {"_ssl", "_sqlite3", "readline", "math"} <= set(linked)
    assert linked["readline"] == "default"
    # libcrypt and libuuid are system libraries zig's glibc does not provide.
    assert not {"_crypt", "_uuid", "_testcapi"} & set(linked)
    skipped = [d for d in everything.decisions if d.action == "skipped"]
    assert any(d.name == "_crypt" and "cannot be linked in" in d.reason for d in skipped)


def test_no_gpl_uses_the_archive_licence_data(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    collector = _collect(dist, _rule("stdlib-extension-policy", 'policy = "no-gpl"'), tmp_path)
    linked = _linked(dist, collector)
    assert "readline" not in linked  # GPL-3.0-only
    assert {"_sqlite3", "_ssl", "math", "_json"} <= set(linked)  # public domain, Apache, libc


def test_no_libraries_keeps_modules_that_link_only_the_c_library(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    collector = _collect(
        dist, _rule("stdlib-extension-policy", 'policy = "no-libraries"'), tmp_path
    )
    linked = _linked(dist, collector)
    assert {"math", "cmath", "_json"} <= set(linked)
    assert not {"_ssl", "_sqlite3", "readline"} & set(linked)


def test_variants_includes_and_excludes(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    rules = (
        _rule("stdlib-extension-policy", 'policy = "minimal"')
        + _rule("stdlib-extension-variant", 'extension = "readline"\nvariant = "libedit"')
        + _rule("stdlib-extensions-explicit-includes", 'includes = ["_json"]')
    )
    assert _linked(dist, _collect(dist, rules, tmp_path))["readline"] == "libedit"
    excluded = _collect(
        dist, _rule("stdlib-extensions-explicit-excludes", 'excludes = ["_ssl"]'), tmp_path
    )
    assert "_ssl" not in _linked(dist, excluded) and "_json" in _linked(dist, excluded)
    bad = _rule("stdlib-extension-variant", 'extension = "readline"\nvariant = "nope"')
    with pytest.raises(RuleError, match=r"no variant 'nope'.*available variants: default, libedit"):
        _collect(dist, bad, tmp_path)
    with pytest.raises(RuleError, match="_crypt .* cannot be linked in: it links libcrypt"):
        _collect(
            dist, _rule("stdlib-extensions-explicit-includes", 'includes = ["_crypt"]'), tmp_path
        )


# --- the link ------------------------------------------------------------------------------


def test_link_plan_and_generated_inittab(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    parts = dist.standalone
    assert parts is not None
    collector = _collect(
        dist,
        _rule("stdlib-extension-policy", 'policy = "minimal"')
        + _rule("stdlib-extensions-explicit-includes", 'includes = ["_ssl", "math", "cmath"]'),
        tmp_path,
    )
    plan = link_plan(parts, linked_extensions(dist, collector))
    objects = [p.relative_to(tmp_path).as_posix() for p in plan.objects]
    assert "build/Modules/config.o" not in objects  # the generated inittab replaces it
    assert objects.count("build/Modules/_math.o") == 1  # shared by core, math and cmath
    assert "build/Modules/_ssl.o" in objects and "build/Modules/_json.o" not in objects
    assert [p.name for p in plan.archives] == ["libssl.a", "libcrypto.a"]
    assert "crypt" not in plan.system_libraries  # zig's glibc has none; only _crypt uses it
    assert set(plan.system_libraries) == {"pthread", "dl", "util", "m"}
    assert not plan.static and plan.inittab_cflags[0] == "-std=c99"
    entries = [line.strip() for line in plan.config_c.splitlines() if line.startswith("    {")]
    assert entries == [
        '{"_io", PyInit__io},',
        '{"_ssl", PyInit__ssl},',
        '{"_warnings", _PyWarnings_Init},',
        '{"builtins", NULL},',
        '{"cmath", PyInit_cmath},',
        '{"marshal", PyMarshal_Init},',
        '{"math", PyInit_math},',
        '{"posix", PyInit_posix},',
        '{"sys", NULL},',
        "{0, 0}",
    ]
    assert "extern PyObject *PyInit__ssl(void);" in plan.config_c
    assert "NULL(void)" not in plan.config_c
    musl = _dist(tmp_path, python_json(8, MUSL))
    assert musl.standalone is not None and link_plan(musl.standalone, []).static


def test_gnu_launchers_call_glibcs_math_and_memory_functions() -> None:
    """zig's compiler_rt defines log, memcpy, ... weakly; these strong definitions call
    glibc's own, at symbol versions within the 2.17 floor."""
    text = glibc_functions_c()
    assert 'extern double pyox_glibc_log(double x) __asm__("log@GLIBC_2.2.5");' in text
    assert "double log(double x) { return pyox_glibc_log(x); }" in text
    assert all(
        line.startswith(HIDDEN) for line in text.splitlines() if "{ " in line
    )  # never exported: it would bind its own call to memcpy@GLIBC_2.14
    assert "void sincos(double x, double *s, double *c) { pyox_glibc_sincos(x, s, c); }" in text
    assert '__asm__("memcpy@GLIBC_2.14")' in text
    versions = {line.split("@")[1].split('"')[0] for line in text.splitlines() if "@GLIBC" in line}
    assert versions == {"GLIBC_2.2.5", "GLIBC_2.14"}


def test_config_c_is_deterministic() -> None:
    entries = [("b", "PyInit_b"), ("a", None)]
    assert make_config_c(entries) == make_config_c(list(entries))
    assert '{"b", PyInit_b},' in make_config_c(entries)


def test_a_library_without_a_static_copy_cannot_be_linked(tmp_path: Path) -> None:
    doc = python_json()
    doc["build_info"]["extensions"]["_json"][0]["links"] = [
        {"name": "foo", "path_dynamic": "install/lib/libfoo.so"}
    ]
    dist = _dist(tmp_path, doc)
    assert dist.standalone is not None
    assert "no static library" in dist.standalone.unlinkable["_json"]
    with pytest.raises(LauncherError, match="no static library"):
        link_plan(dist.standalone, [dist.standalone.info.default_variant("_json")])


# --- getting the archive -----------------------------------------------------------------


def test_local_archives_are_verified_and_a_mismatch_names_both_digests(tmp_path: Path) -> None:
    archive = tmp_path / "cpython.tar.zst"
    sha = write_archive(archive, {"python/PYTHON.json": b"{}"})
    assert verified_local_archive(archive, sha, tmp_path / "cache") == archive
    wrong = "0" * 64
    with pytest.raises(DistributionError) as caught:
        verified_local_archive(archive, wrong, tmp_path / "cache")
    assert str(archive) in str(caught.value)
    assert sha in str(caught.value) and wrong in str(caught.value)
    archive.write_bytes(archive.read_bytes() + b"x")  # changed since it matched: hashed again
    with pytest.raises(DistributionError, match="has SHA-256"):
        verified_local_archive(archive, sha, tmp_path / "cache")
    with pytest.raises(DistributionError, match="does not exist"):
        verified_local_archive(tmp_path / "missing.tar.zst", sha, tmp_path / "cache")


class _Progress(SilentReporter):
    def __init__(self) -> None:
        self.lines: list[tuple[str, int, int]] = []
        self.stages: list[str] = []

    def stage(self, message: str) -> None:
        self.stages.append(message)

    def progress(self, label: str, done: int, total: int) -> None:
        self.lines.append((label, done, total))


def test_urls_are_downloaded_once_into_the_cache_keyed_by_sha256(tmp_path: Path) -> None:
    archive = tmp_path / "served" / "cpython-3.11.tar.zst"
    archive.parent.mkdir()
    sha = write_archive(archive, {"python/PYTHON.json": b"{}", "python/x": b"y" * (3 << 20)})
    reporter = _Progress()
    got = downloaded_archive(archive.as_uri(), sha, tmp_path / "cache", reporter)
    assert got == tmp_path / "cache" / "distributions" / f"{sha}.tar.zst"
    assert got.read_bytes() == archive.read_bytes()
    assert reporter.stages == [f"downloading Python distribution {archive.as_uri()}"]
    assert reporter.lines[-1][0] == "cpython-3.11.tar.zst, MiB"
    assert reporter.lines[-1][1] == reporter.lines[-1][2]
    archive.unlink()  # the cached copy is used from now on
    assert downloaded_archive(archive.as_uri(), sha, tmp_path / "cache", reporter) == got


def test_a_download_with_another_digest_is_not_kept(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.zst"
    write_archive(archive, {"python/PYTHON.json": b"{}"})
    wrong = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(DistributionError, match=f"download of {archive.as_uri()} has SHA-256"):
        downloaded_archive(archive.as_uri(), wrong, tmp_path / "cache", SilentReporter())
    assert list((tmp_path / "cache" / "distributions").glob("*.tar.zst")) == []
    with pytest.raises(DistributionError, match="cannot download"):
        downloaded_archive((tmp_path / "nope").as_uri(), wrong, tmp_path / "c", SilentReporter())


def test_extraction_happens_once_and_refuses_unsafe_members(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.zst"
    sha = write_archive(archive, {"python/PYTHON.json": json_bytes(python_json())})
    first = extracted_archive(archive, sha, tmp_path / "cache", SilentReporter())
    assert (first / "python" / "PYTHON.json").is_file()
    archive.unlink()
    assert extracted_archive(archive, sha, tmp_path / "cache", SilentReporter()) == first
    evil = tmp_path / "evil.tar.zst"
    bad = write_archive(evil, {"python/PYTHON.json": b"{}", "../outside": b"x"})
    with pytest.raises(DistributionError, match="refusing to extract member '../outside'"):
        extracted_archive(evil, bad, tmp_path / "cache", SilentReporter())
    assert not (tmp_path / "cache" / "distributions" / bad).exists()
    assert not (tmp_path / "cache" / "outside").exists()


# --- choosing the distribution -------------------------------------------------------------


def test_the_musl_target_needs_an_archive(tmp_path: Path) -> None:
    request = DistributionRequest(PythonDistributionConfig(), MUSL, "python3", tmp_path)
    with pytest.raises(DistributionError, match=f"target {MUSL} needs a python-build-standalone"):
        resolve_distribution(request, lambda *a, **k: None, SilentReporter())  # type: ignore[arg-type]


def test_an_archive_for_another_target_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "musl.tar.zst"
    sha = write_archive(archive, {"python/PYTHON.json": b"{}"})
    section = PythonDistributionConfig(local_path=archive, sha256=sha)
    request = DistributionRequest(section, GNU, "python3", tmp_path / "cache")
    from pyoxidizer.pythondist import standalone

    def fake(root: Path, source: str, sha256: str, runner: object) -> Distribution:
        return _dist(root, python_json(8, MUSL))

    original = standalone.standalone_distribution
    standalone.standalone_distribution = fake  # type: ignore[assignment]
    try:
        with pytest.raises(DistributionError, match=f"is built for {MUSL}, but the build target"):
            resolve_distribution(request, lambda *a, **k: None, SilentReporter())  # type: ignore[arg-type]
    finally:
        standalone.standalone_distribution = original


# --- what a standalone executable can load ---------------------------------------------------

ELF_DATA = Path(__file__).parent.parent / "data" / "elf"


def test_compiled_extension_modules_are_refused_for_the_static_musl_target(tmp_path: Path) -> None:
    musl = _dist(tmp_path, python_json(8, MUSL))
    collector = ResourceCollector()
    so = tmp_path / "_speedups.cpython-311-x86_64-linux-gnu.so"
    collector.add(ExtensionModule("fastpkg._speedups", b"\x7fELF", so), "rule #3 (pip)")
    record = b"fastpkg/__init__.py,,\nfastpkg/_speedups.cpython-311-x86_64-linux-gnu.so,,\n"
    collector.add(DistInfoFile("FastPkg-1.0.dist-info", "RECORD", record), "rule #3 (pip)")
    collector.add(ExtensionModule("_json", None, None, variant="default"), "rule #1")
    (problem,) = static_target_errors(collector, musl)
    assert problem.startswith("package FastPkg has the compiled extension module fastpkg._speedups")
    assert "rule #3 (pip)" in problem and "no dynamic loader" in problem
    assert GNU in problem  # what to do instead
    assert static_target_errors(collector, _dist(tmp_path)) == []  # gnu loads them


def test_objects_newer_than_the_glibc_floor_are_named(tmp_path: Path) -> None:
    gnu = _dist(tmp_path)
    collector = ResourceCollector()
    data = (ELF_DATA / "dynamic-glibc").read_bytes()  # needs GLIBC_2.34
    collector.add(ExtensionModule("pkg._new", data, None), "rule")
    (warning,) = glibc_floor_warnings(collector, gnu)
    assert warning.startswith(
        "extension module pkg._new needs GLIBC_2.34, newer than the glibc 2.17"
    )
    assert glibc_floor_warnings(collector, _dist(tmp_path, python_json(8, MUSL))) == []


def test_pip_gets_the_glibc_cap_and_the_static_interpreter_shim(tmp_path: Path) -> None:
    def env_for(dist: Distribution) -> dict[str, str]:
        ctx = RuleContext(dist, ResourceCollector(), False, tmp_path / "w", tmp_path, run)
        return _pip_env(ctx)

    gnu = Path(env_for(_dist(tmp_path))["PYTHONPATH"])
    assert (gnu / "_manylinux.py").read_text().endswith("<= (2, 17)\n")
    assert not (gnu / "sitecustomize.py").exists()
    musl = Path(env_for(_dist(tmp_path, python_json(8, MUSL)))["PYTHONPATH"])
    assert not (musl / "_manylinux.py").exists()
    # A stand-in for pip's module whose ctypes probe raises as in a static interpreter.
    fake = tmp_path / "fake" / "pip" / "_internal" / "utils"
    fake.mkdir(parents=True)
    for package in (fake.parent.parent, fake.parent, fake):
        (package / "__init__.py").write_text("")
    (fake / "glibc.py").write_text("def glibc_version_string_ctypes():\n    raise OSError\n")
    code = "import pip._internal.utils.glibc as g; print(g.glibc_version_string_ctypes())"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": f"{musl}:{tmp_path / 'fake'}"},
        capture_output=True,
        text=True,
    )
    assert proc.stdout == "None\n", proc.stderr


def test_jemalloc_needs_one_built_for_the_target_in_the_archive(tmp_path: Path) -> None:
    dist = _dist(tmp_path, python_json(8, MUSL))
    assert dist.standalone is not None
    check_raw_allocator("system", dist)
    with pytest.raises(LauncherError, match="needs jemalloc built for x86_64-unknown-linux-musl"):
        check_raw_allocator("jemalloc", dist)
    with pytest.raises(NotImplementedFeatureError, match="'rust' does not apply"):
        check_raw_allocator("rust", dist)
    (tmp_path / "build" / "lib").mkdir(parents=True)
    (tmp_path / "build" / "lib" / "libjemalloc_pic.a").write_bytes(b"!<arch>\n")
    check_raw_allocator("jemalloc", dist)
    assert standalone_allocators(dist.standalone) == {
        "jemalloc": tmp_path / "build" / "lib" / "libjemalloc_pic.a"
    }


# --- the pipeline with a standalone distribution (fake launcher) ----------------------------

PIPELINE_CONFIG = """
[[build]]
application_name = "app"

[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "minimal"

[[packaging_rule]]
type = "stdlib-extensions-explicit-includes"
includes = ["_ssl"]

[[packaging_rule]]
type = "stdlib"

[[packaging_rule]]
type = "write-license-files"
path = "licenses"

[[embedded_python_run]]
mode = "eval"
code = "print(1)"
"""


def test_the_pipeline_links_the_selection_and_embeds_no_extension(tmp_path: Path) -> None:
    root = tmp_path / "python"
    stdlib = root / "install" / "lib" / "python3.11"
    (stdlib / "encodings").mkdir(parents=True)
    (stdlib / "encodings" / "__init__.py").write_text("")
    (root / "licenses").mkdir()
    for name in ("LICENSE.cpython.txt", "LICENSE.openssl-3.txt", "LICENSE.sqlite.txt"):
        (root / "licenses" / name).write_text(name)
    fake = dataclasses.replace(
        _dist(root, python_json(8, MUSL)),
        python_exe=Path(sys.executable),
        cache_tag=sys.implementation.cache_tag,
    )
    seen: list[list[str]] = []

    def launcher(
        dist: Distribution,
        release: bool,
        cache_dir: Path,
        builtins: Any = (),
        allocator: str = "system",
    ) -> tuple[Path, bool]:
        seen.append(sorted(v.module for v in builtins))
        path = cache_dir / "fake-launcher"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x7fELF fake")
        return path, True

    config = validate_config(loads(PIPELINE_CONFIG), tmp_path / "pyoxidizer.toml", MUSL)
    tools = BuildTools(
        distribution=lambda request, runner, reporter: fake,
        launcher=launcher,
        system_libraries=list,
    )
    options = BuildOptions(release=False, cache_dir=tmp_path / "cache", default_python="unused")
    result = build(config, options, SilentReporter(), tools)
    assert seen == [["_io", "_ssl", "_warnings", "builtins", "marshal", "posix", "sys"]]
    assert "/x86_64-unknown-linux-musl/debug/" in str(result.exe)
    payload, _ = locate_payload(result.exe.read_bytes())
    assert read_payload(payload).by_kind(Kind.EXTENSION) == {}
    licenses = sorted(p.name for p in (result.app_dir / "licenses" / "python").iterdir())
    assert licenses == ["LICENSE.cpython.txt", "LICENSE.openssl-3.txt"]
