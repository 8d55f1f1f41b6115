"""Tests of pyoxidizer.toml finding, reading and validation (spec chapter 7)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pyoxidizer.config import (
    Config,
    EmbeddedPythonConfig,
    PythonDistributionConfig,
    RunConfig,
    find_config_file,
    load_config,
    validate_config,
)
from pyoxidizer.config.location import EMBEDDED, AppRelative
from pyoxidizer.config.rules import (
    DebDistribution,
    FilterInclude,
    PackageRoot,
    PipInstallSimple,
    PipRequirementsFile,
    SetupPyInstall,
    Stdlib,
    StdlibExtensionPolicy,
    TarballDistribution,
    WixDistribution,
    WriteLicenseFiles,
)
from pyoxidizer.config.sections import EMBEDDED_FIELDS
from pyoxidizer.errors import ConfigError
from pyoxidizer.payload.settings import runtime_settings

LINUX = "x86_64-unknown-linux-gnu"
WINDOWS = "x86_64-pc-windows-msvc"
SHA = "11a53f5755773f91111a04f6070a6bc00518a0e8e64d90f58584abf02ca79081"
BUILD = '[[build]]\napplication_name = "app"\n'
# Every config needs a stdlib rule (spec 7.3.5); ``load`` appends one where a test has none.
STDLIB = '\n[[packaging_rule]]\ntype = "stdlib"\n'


def write(directory: Path, text: str, name: str = "pyoxidizer.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, target: str = LINUX) -> Config:
    if 'type = "stdlib"' not in text:
        text += STDLIB
    return load_config(write(tmp_path, text), target)


def problems(tmp_path: Path, text: str, target: str = LINUX) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text, target)
    return info.value.problems


def only_problem(tmp_path: Path, text: str, target: str = LINUX) -> str:
    found = problems(tmp_path, text, target)
    assert len(found) == 1, found
    return found[0]


# --- defaults and merging ----------------------------------------------------------------


def test_minimal_file_gets_every_default(tmp_path: Path) -> None:
    config = load(tmp_path, BUILD)
    assert config.path == tmp_path / "pyoxidizer.toml"
    assert config.target == LINUX
    assert config.build.application_name == "app"
    assert config.build.build_path == tmp_path / "build"
    assert config.python_distribution == PythonDistributionConfig()
    assert config.embedded == EmbeddedPythonConfig()
    assert config.run == RunConfig(mode="repl")
    assert [rule.type for rule in config.rules] == ["stdlib"]
    assert config.distributions == ()


def test_embedded_schema_covers_every_dataclass_field() -> None:
    names = {f.name for f in dataclasses.fields(EmbeddedPythonConfig)}
    assert set(EMBEDDED_FIELDS) == names | {"build_target"}


def test_later_sections_override_earlier_ones_key_by_key(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BUILD
        + """
[[embedded_python_config]]
no_site = false
optimize_level = 1
sys_paths = ["$ORIGIN/a", "$ORIGIN/b"]

[[embedded_python_config]]
optimize_level = 2
sys_paths = ["$ORIGIN/c"]
""",
    )
    assert config.embedded.no_site is False  # kept from the first section
    assert config.embedded.optimize_level == 2
    assert config.embedded.sys_paths == ("$ORIGIN/c",)  # replaced, not merged
    # Spec 7.3.3: sys_paths implies the filesystem importer in the executable's settings.
    assert config.embedded.filesystem_importer is False  # as written
    assert runtime_settings(config.embedded, config.run).filesystem_importer is True


def test_every_embedded_key_is_accepted(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BUILD
        + """
[[embedded_python_config]]
dont_write_bytecode = false
ignore_environment = false
no_site = false
no_user_site_directory = false
optimize_level = 1
stdio_encoding = "utf-8:ignore"
unbuffered_stdio = true
filesystem_importer = true
sys_frozen = true
sys_meipass = true
sys_paths = []
raw_allocator = "jemalloc"
terminfo_resolution = "static"
terminfo_dirs = "/usr/share/terminfo"
write_modules_directory_env = "MODULES_DIR"
""",
    )
    assert config.embedded == EmbeddedPythonConfig(
        dont_write_bytecode=False,
        ignore_environment=False,
        no_site=False,
        no_user_site_directory=False,
        optimize_level=1,
        stdio_encoding="utf-8:ignore",
        unbuffered_stdio=True,
        filesystem_importer=True,
        sys_frozen=True,
        sys_meipass=True,
        sys_paths=(),
        raw_allocator="jemalloc",
        terminfo_resolution="static",
        terminfo_dirs="/usr/share/terminfo",
        write_modules_directory_env="MODULES_DIR",
    )


@pytest.mark.parametrize(
    ("build_target", "applies"),
    [(None, True), ("all", True), (LINUX, True), (WINDOWS, False)],
    ids=["missing", "all", "same-target", "other-target"],
)
def test_build_target_decides_whether_a_section_applies(
    tmp_path: Path, build_target: str | None, applies: bool
) -> None:
    line = f'build_target = "{build_target}"\n' if build_target else ""
    config = load(
        tmp_path,
        BUILD
        + f"""
[[build]]
{line}application_name = "other"

[[embedded_python_config]]
{line}sys_frozen = true

[[embedded_python_run]]
{line}mode = "noop"

[[packaging_rule]]
{line}type = "stdlib-extension-policy"
policy = "all"

[[distribution]]
{line}type = "tarball"
""",
    )
    assert (config.build.application_name == "other") is applies
    assert config.embedded.sys_frozen is applies
    assert (config.run.mode == "noop") is applies
    assert len(config.rules) == 1 + int(applies)  # and the stdlib rule load() added
    assert len(config.distributions) == int(applies)


def test_sections_for_other_targets_are_still_checked(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path,
        BUILD + f'[[embedded_python_config]]\nbuild_target = "{WINDOWS}"\nno_site = "yes"\n',
    )
    assert "[[embedded_python_config]] #1: key 'no_site' must be true or false" in message


def test_rules_keep_their_index_among_all_rules(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BUILD
        + f"""
[[packaging_rule]]
type = "stdlib-extensions-policy"
policy = "no-gpl"

[[packaging_rule]]
build_target = "{WINDOWS}"
type = "stdlib"

[[packaging_rule]]
type = "pip-install-simple"
package = "black"
install_location = "app-relative:lib"
"""
        + STDLIB,
    )
    assert [(r.index, r.type) for r in config.rules] == [
        (0, "stdlib-extension-policy"),  # the alternative spelling is normalised
        (2, "pip-install-simple"),
        (3, "stdlib"),
    ]
    assert config.rules[0].options == StdlibExtensionPolicy(policy="no-gpl")
    assert config.rules[1].options == PipInstallSimple(
        package="black",
        optimize_level=0,
        include_source=True,
        excludes=(),
        install_location=AppRelative("lib"),
        extra_args=(),
    )
    assert config.rules[1].label == "[[packaging_rule]] #3 (type = 'pip-install-simple')"


def test_rule_defaults_are_filled_in(tmp_path: Path) -> None:
    config = load(tmp_path, BUILD + '[[packaging_rule]]\ntype = "stdlib"\n')
    rule = config.rules[0].options
    assert isinstance(rule, Stdlib)
    assert (
        rule.exclude_test_modules,
        rule.optimize_level,
        rule.include_source,
        rule.include_resources,
        rule.install_location,
    ) == (True, 0, True, False, EMBEDDED)


def test_run_modes(tmp_path: Path) -> None:
    config = load(tmp_path, BUILD + '[[embedded_python_run]]\nmode = "module"\nmodule = "a.b"\n')
    assert config.run == RunConfig(mode="module", module="a.b")
    config = load(tmp_path, BUILD + '[[embedded_python_run]]\nmode = "eval"\ncode = "x = 1"\n')
    assert config.run == RunConfig(mode="eval", code="x = 1")


def test_a_section_setting_mode_replaces_the_earlier_run_settings(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BUILD
        + """
[[embedded_python_run]]
mode = "eval"
code = "import app"

[[embedded_python_run]]
mode = "module"
module = "app"
""",
    )
    assert config.run == RunConfig(mode="module", module="app")


def test_distribution_sections(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BUILD
        + """
[[distribution]]
type = "tarball"
path_prefix = "app/"

[[distribution]]
type = "wix"
bundle_upgrade_code = "0c1d3c2e-3a47-4d4c-9d2e-2c87a0e1f4a1"

[[distribution]]
type = "deb"
maintainer = "Me <me@example.com>"
""",
    )
    assert [(d.index, d.type) for d in config.distributions] == [
        (0, "tarball"),
        (1, "wix"),
        (2, "deb"),
    ]
    assert config.distributions[0].options == TarballDistribution(path_prefix="app/")
    assert config.distributions[1].options == WixDistribution(
        bundle_upgrade_code="0c1d3c2e-3a47-4d4c-9d2e-2c87a0e1f4a1"
    )
    assert config.distributions[2].options == DebDistribution(maintainer="Me <me@example.com>")


# --- paths -------------------------------------------------------------------------------


def test_origin_and_relative_paths_resolve_against_the_config_directory(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
[[build]]
application_name = "app"
build_path = "$ORIGIN/out/build"

[[python_distribution]]
local_path = "dist/cpython.tar.zst"
sha256 = "SHA"

[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["app"]

[[packaging_rule]]
type = "setup-py-install"
package_path = "../lib"
extra_env = { FOO = "bar" }

[[packaging_rule]]
type = "pip-requirements-file"
requirements_path = "/abs/requirements.txt"

[[packaging_rule]]
type = "filter-include"
files = ["allow-modules"]
glob_files = ["module-dumps/modules-*"]
""".replace("SHA", SHA),
    )
    assert config.build.build_path == tmp_path / "out" / "build"
    assert config.python_distribution.local_path == tmp_path / "dist" / "cpython.tar.zst"
    assert config.python_distribution.sha256 == SHA
    package_root, setup_py, requirements, filter_include = (r.options for r in config.rules[:4])
    assert isinstance(package_root, PackageRoot)
    assert package_root.path == tmp_path / "src"
    assert package_root.packages == ("app",)
    assert isinstance(setup_py, SetupPyInstall)
    assert setup_py.package_path == tmp_path / ".." / "lib"
    assert setup_py.extra_env == {"FOO": "bar"}
    assert isinstance(requirements, PipRequirementsFile)
    assert requirements.requirements_path == Path("/abs/requirements.txt")
    assert filter_include == FilterInclude(
        files=(tmp_path / "allow-modules",), glob_files=(str(tmp_path / "module-dumps/modules-*"),)
    )


def test_relative_build_path(tmp_path: Path) -> None:
    config = load(tmp_path, BUILD + 'build_path = "target"\n')
    assert config.build.build_path == tmp_path / "target"
    assert config.build.build_path.is_absolute()


def test_python_executable(tmp_path: Path) -> None:
    text = BUILD + '[[python_distribution]]\npython_executable = "python3.10"\n'
    assert load(tmp_path, text).python_distribution.python_executable == "python3.10"
    text = BUILD + '[[python_distribution]]\npython_executable = "venv/bin/python"\n'
    expected = str(tmp_path / "venv/bin/python")
    assert load(tmp_path, text).python_distribution.python_executable == expected


def test_later_python_distribution_replaces_earlier_one(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BUILD
        + f"""
[[python_distribution]]
python_executable = "python3"

[[python_distribution]]
build_target = "{LINUX}"
url = "https://example.com/cpython.tar.zst"
sha256 = "{SHA}"
""",
    )
    assert config.python_distribution == PythonDistributionConfig(
        url="https://example.com/cpython.tar.zst", sha256=SHA
    )


def test_validate_config_takes_parsed_data() -> None:
    path = Path("/p/pyoxidizer.toml")
    stdlib = {"packaging_rule": [{"type": "stdlib"}]}
    config = validate_config({"build": [{"application_name": "x"}], **stdlib}, path, LINUX)
    assert config.build.build_path == Path("/p/build")
    with pytest.raises(ConfigError) as info:
        validate_config({"build": [{"application_name": 1}], **stdlib}, path, LINUX)
    assert info.value.problems == [
        "/p/pyoxidizer.toml: [[build]] #1: key 'application_name' must be a string (got 1)"
    ]


# --- errors ------------------------------------------------------------------------------


def test_message_names_file_section_index_and_key(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path,
        BUILD + "[[embedded_python_config]]\n[[embedded_python_config]]\noptimize_level = 5\n",
    )
    path = tmp_path / "pyoxidizer.toml"
    assert message == (
        f"{path}: [[embedded_python_config]] #2: key 'optimize_level' must be 0, 1 or 2 (got 5)"
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "[[build]]\napplication_name = 5",
            "[[build]] #2: key 'application_name' must be a string",
        ),
        ("[[embedded_python_config]]\nno_site = 1", "key 'no_site' must be true or false (got 1)"),
        (
            "[[embedded_python_config]]\noptimize_level = true",
            "key 'optimize_level' must be 0, 1 or 2 (got true)",
        ),
        (
            "[[embedded_python_config]]\nsys_paths = ['a', 2]",
            "key 'sys_paths' must be an array of strings (item 2 is 2)",
        ),
        (
            '[[packaging_rule]]\ntype = "setup-py-install"\npackage_path = "."\n'
            "extra_env = { A = 1 }",
            "key 'extra_env' must be a table of strings (key 'A' is 1)",
        ),
        (
            '[[packaging_rule]]\ntype = "stdlib"\nexclude_test_modules = "no"',
            "[[packaging_rule]] #1 (type = 'stdlib'): key 'exclude_test_modules' must be true or "
            "false (got 'no')",
        ),
        (
            "[[python_distribution]]\nurl = 'https://x'\nsha256 = 'abc'",
            "key 'sha256' must be a SHA-256 digest of 64 hexadecimal digits (got 'abc')",
        ),
    ],
    ids=["string", "bool", "int-not-bool", "array", "table", "rule-bool", "sha256"],
)
def test_wrong_types(tmp_path: Path, section: str, expected: str) -> None:
    message = only_problem(tmp_path, BUILD + section + "\n")
    assert message.startswith(f"{tmp_path / 'pyoxidizer.toml'}: [[")
    assert expected in message


def test_unknown_key_suggests_the_likely_one(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + "[[embedded_python_config]]\nno_sites = true\n")
    assert message.endswith(
        "[[embedded_python_config]] #1: key 'no_sites' is not a known key; did you mean 'no_site'?"
    )


def test_built_target_misspelling_points_to_build_target(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + f'built_target = "{LINUX}"\n')
    assert message.endswith(
        "[[build]] #1: key 'built_target' is not a known key; did you mean 'build_target'?"
    )


def test_unknown_section(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + "[[packaging_rules]]\ntype = 'stdlib'\n")
    assert message == (
        f"{tmp_path / 'pyoxidizer.toml'}: unknown section 'packaging_rules'; "
        "did you mean 'packaging_rule'?"
    )


def test_single_bracket_section(tmp_path: Path) -> None:
    found = problems(tmp_path, '[build]\napplication_name = "app"\nbuild_pth = "b"\n')
    assert found == [
        f"{tmp_path / 'pyoxidizer.toml'}: section [build] must be written [[build]] (see spec 7.3)",
        f"{tmp_path / 'pyoxidizer.toml'}: [[build]] #1: key 'build_pth' is not a known key; "
        "did you mean 'build_path'?",
    ]


def test_unknown_rule_type_suggests_the_likely_one(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + '[[packaging_rule]]\ntype = "pip-install-simpel"\n')
    assert message.endswith(
        "[[packaging_rule]] #1: key 'type' has unknown value 'pip-install-simpel'; "
        "did you mean 'pip-install-simple'?"
    )


def test_unknown_distribution_type_lists_known_ones(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + '[[distribution]]\ntype = "zip"\n')
    assert "[[distribution]] #1: key 'type' has unknown value 'zip'" in message
    assert "known types: deb, tarball, wix" in message


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "[[packaging_rule]]\npolicy = 'all'",
            "[[packaging_rule]] #1: missing required key 'type'",
        ),
        (
            "[[packaging_rule]]\ntype = 'package-root'\npath = 'src'",
            "[[packaging_rule]] #1 (type = 'package-root'): missing required key 'packages'",
        ),
        (
            "[[packaging_rule]]\ntype = 'stdlib-extension-policy'",
            "[[packaging_rule]] #1 (type = 'stdlib-extension-policy'): missing required key "
            "'policy'",
        ),
        ("[[distribution]]\npath_prefix = 'x'", "[[distribution]] #1: missing required key 'type'"),
        (
            "[[python_distribution]]\nurl = 'https://x'",
            "[[python_distribution]] #1: missing required key 'sha256' (needed with "
            "'local_path'/'url')",
        ),
        (
            "[[packaging_rule]]\ntype = 'filter-include'",
            "[[packaging_rule]] #1 (type = 'filter-include'): must set at least one of 'files' or "
            "'glob_files'",
        ),
    ],
    ids=["rule-type", "packages", "policy", "distribution-type", "sha256", "filter-include"],
)
def test_missing_required_key(tmp_path: Path, section: str, expected: str) -> None:
    message = only_problem(tmp_path, BUILD + section + "\n")
    assert message == f"{tmp_path / 'pyoxidizer.toml'}: {expected}"


def test_missing_application_name(tmp_path: Path) -> None:
    message = only_problem(tmp_path, f'[[build]]\nbuild_target = "{WINDOWS}"\nbuild_path = "b"\n')
    assert message == (
        f"{tmp_path / 'pyoxidizer.toml'}: no [[build]] section that applies to target "
        f"'{LINUX}' sets the required key 'application_name'"
    )


@pytest.mark.parametrize("name", ["", ".", "..", "a/b"])
def test_application_name_must_be_a_file_name(tmp_path: Path, name: str) -> None:
    message = only_problem(tmp_path, f'[[build]]\napplication_name = "{name}"\n')
    assert "[[build]] #1: key 'application_name' must be a file name" in message


def test_mode_and_code_mismatch(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        BUILD
        + """
[[embedded_python_run]]
mode = "module"
code = "print(1)"
""",
    )
    assert found == [
        f"{tmp_path / 'pyoxidizer.toml'}: [[embedded_python_run]] #1: key 'code' is not used by "
        "mode 'module' (only mode 'eval' uses it)",
        f"{tmp_path / 'pyoxidizer.toml'}: [[embedded_python_run]] #1: mode 'module' requires "
        "key 'module'",
    ]


def test_eval_requires_code(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + '[[embedded_python_run]]\nmode = "eval"\n')
    assert message.endswith("[[embedded_python_run]] #1: mode 'eval' requires key 'code'")


def test_code_without_mode_must_match_the_mode_in_effect(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + '[[embedded_python_run]]\ncode = "x"\n')
    assert message.endswith(
        "[[embedded_python_run]] #1: key 'code' is not used by mode 'repl', the mode in effect"
    )


def test_bad_module_name(tmp_path: Path) -> None:
    text = BUILD + '[[embedded_python_run]]\nmode = "module"\nmodule = "my-app.main"\n'
    assert "key 'module' must be a dotted Python module name" in only_problem(tmp_path, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("filesystem", "must be 'embedded' or 'app-relative:<path>' (got 'filesystem')"),
        ("app-relative:", "has an app-relative path that must not be empty"),
        ("app-relative:/opt/lib", "must be a relative path (got '/opt/lib')"),
        ("app-relative:lib/../..", "must not contain '..' (got 'lib/../..')"),
    ],
    ids=["unknown", "empty", "absolute", "dotdot"],
)
def test_bad_install_location(tmp_path: Path, value: str, expected: str) -> None:
    message = only_problem(
        tmp_path,
        BUILD + f'[[packaging_rule]]\ntype = "stdlib"\ninstall_location = "{value}"\n',
    )
    assert message.startswith(
        f"{tmp_path / 'pyoxidizer.toml'}: [[packaging_rule]] #1 (type = 'stdlib'): "
        "key 'install_location' "
    )
    assert expected in message


@pytest.mark.parametrize("level", ["3", "-1", "1.0", '"1"'])
def test_bad_optimize_level_in_rule(tmp_path: Path, level: str) -> None:
    message = only_problem(
        tmp_path,
        BUILD
        + f'[[packaging_rule]]\ntype = "virtualenv"\npath = "venv"\noptimize_level = {level}\n',
    )
    assert (
        "[[packaging_rule]] #1 (type = 'virtualenv'): key 'optimize_level' must be 0, 1 or 2"
        in (message)
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("stdio_encoding = 'utf-8:'", "key 'stdio_encoding' must look like 'encoding:errors'"),
        ("raw_allocator = 'jemaloc'", "(got 'jemaloc'); did you mean 'jemalloc'?"),
        ("terminfo_resolution = 'static'", "key 'terminfo_resolution' is 'static', which requires"),
        (
            "write_modules_directory_env = ''",
            "key 'write_modules_directory_env' must be a non-empty",
        ),
    ],
    ids=["stdio_encoding", "raw_allocator", "static-terminfo", "modules-env"],
)
def test_embedded_value_checks(tmp_path: Path, section: str, expected: str) -> None:
    message = only_problem(tmp_path, BUILD + "[[embedded_python_config]]\n" + section + "\n")
    assert "[[embedded_python_config]] #1: key" in message
    assert expected in message


@pytest.mark.parametrize("path", ["/abs", "../up", "a/../../b"])
def test_write_license_files_path_stays_in_the_app_directory(tmp_path: Path, path: str) -> None:
    message = only_problem(
        tmp_path, BUILD + f'[[packaging_rule]]\ntype = "write-license-files"\npath = "{path}"\n'
    )
    assert "(type = 'write-license-files'): key 'path' must" in message


def test_write_license_files_accepts_empty_path(tmp_path: Path) -> None:
    text = BUILD + '[[packaging_rule]]\ntype = "write-license-files"\npath = ""\n'
    assert load(tmp_path, text).rules[0].options == WriteLicenseFiles(path="")


def test_python_distribution_conflicts(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path,
        BUILD
        + f'[[python_distribution]]\npython_executable = "python3"\nurl = "u"\nsha256 = "{SHA}"\n',
    )
    assert "[[python_distribution]] #1: key 'python_executable' cannot be combined with 'url'" in (
        message
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
bulid = 1

[[build]]
application_name = "app"
build_path = 3

[[embedded_python_config]]
optimize_level = 7

[[packaging_rule]]
type = "stdlib"
include_source = "yes"

[[packaging_rule]]
type = "nope"
""",
    )
    assert len(found) == 5, found
    assert "unknown section 'bulid'; did you mean 'build'?" in found[0]
    assert "[[build]] #1: key 'build_path'" in found[1]
    assert "[[embedded_python_config]] #1: key 'optimize_level'" in found[2]
    assert "[[packaging_rule]] #1 (type = 'stdlib'): key 'include_source'" in found[3]
    assert "[[packaging_rule]] #2: key 'type' has unknown value 'nope'" in found[4]
    with pytest.raises(ConfigError) as info:
        load(tmp_path, (tmp_path / "pyoxidizer.toml").read_text())
    assert str(info.value) == "\n".join(found)


def test_array_items_must_be_tables(tmp_path: Path) -> None:
    message = only_problem(tmp_path, "distribution = [1]\n" + BUILD)
    assert message == f"{tmp_path / 'pyoxidizer.toml'}: [[distribution]] #1 must be a table (got 1)"


# --- hostile values (issue 13 §3) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ('[[build]]\nbuild_path = "a\\u0000b"', "build_path"),
        ('[[python_distribution]]\npython_executable = "py\\u0000"', "python_executable"),
        ('[[embedded_python_config]]\nsys_paths = ["ok", "$ORIGIN/\\u0000"]', "sys_paths"),
        ('[[embedded_python_config]]\nterminfo_dirs = "/a\\u0000"', "terminfo_dirs"),
        ('[[embedded_python_run]]\nmode = "eval"\ncode = "print(1)\\u0000"', "code"),
        (
            '[[packaging_rule]]\ntype = "stdlib"\ninstall_location = "app-relative:l\\u0000"',
            "install_location",
        ),
        ('[[packaging_rule]]\ntype = "write-license-files"\npath = "l\\u0000"', "path"),
        (
            '[[packaging_rule]]\ntype = "setup-py-install"\npackage_path = "."\n'
            'extra_env = { "A\\u0000" = "1" }',
            "extra_env",
        ),
        (
            '[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "x"\n'
            'extra_args = ["--pre\\u0000"]',
            "extra_args",
        ),
    ],
    ids=lambda value: value if value.isidentifier() else None,
)
def test_nul_is_refused_in_every_string(tmp_path: Path, section: str, key: str) -> None:
    message = only_problem(tmp_path, BUILD + section + "\n")
    assert f"key {key!r} must not contain a NUL character" in message


@pytest.mark.parametrize(
    ("value", "kind"),
    [("[" * 20000 + "]" * 20000, "arrays"), ("{a=" * 5000 + "1" + "}" * 5000, "tables")],
)
def test_deep_nesting_is_a_one_line_error(tmp_path: Path, value: str, kind: str) -> None:
    text = BUILD + STDLIB + '\n[[embedded_python_run]]\nmode = "eval"\ncode = ' + value + "\n"
    message = only_problem(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'pyoxidizer.toml'}: line 9: [[embedded_python_run]]: ")
    assert "key 'code' nests arrays or inline tables" in message


def test_huge_values_are_quoted_cut_short(tmp_path: Path) -> None:
    message = only_problem(tmp_path, f'[[build]]\napplication_name = "{"x" * 10_000_000}"\n')
    assert len(message) < 500
    assert "must be a file name of at most 255 bytes" in message
    assert "... (10000000 characters)" in message


def test_application_name_without_control_characters(tmp_path: Path) -> None:
    message = only_problem(tmp_path, '[[build]]\napplication_name = "a\\nb"\n')
    assert "must be a file name without control characters (got 'a\\nb')" in message


@pytest.mark.parametrize("name", ["PATH", "HOME", "LD_PRELOAD", "PYTHONPATH", "lc_all", "TMPDIR"])
def test_modules_directory_variable_is_the_apps_own(tmp_path: Path, name: str) -> None:
    message = only_problem(
        tmp_path, BUILD + f'[[embedded_python_config]]\nwrite_modules_directory_env = "{name}"\n'
    )
    assert "key 'write_modules_directory_env' names" in message
    assert "a variable the system or Python already uses" in message


@pytest.mark.parametrize("name", ["1DIR", "A-B", "A B", "A=B"])
def test_modules_directory_variable_is_a_portable_name(tmp_path: Path, name: str) -> None:
    message = only_problem(
        tmp_path, BUILD + f'[[embedded_python_config]]\nwrite_modules_directory_env = "{name}"\n'
    )
    assert "must be an environment variable name of letters, digits and '_'" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * 300, "must look like 'encoding:errors'"),
        ("utf-8:bogus", "has unknown error handler 'bogus'"),
        ("utf-8:stric", "has unknown error handler 'stric'; did you mean 'strict'?"),
        ("utf-8:strict:x", "must look like 'encoding:errors'"),
        ("utf 8", "must look like 'encoding:errors'"),
    ],
)
def test_stdio_encoding_shape(tmp_path: Path, value: str, expected: str) -> None:
    message = only_problem(
        tmp_path, BUILD + f'[[embedded_python_config]]\nstdio_encoding = "{value}"\n'
    )
    assert "key 'stdio_encoding' " + expected in message
    assert len(message) < 600


@pytest.mark.parametrize("value", ["utf-8", "latin1:strict", "cp1252:surrogateescape"])
def test_stdio_encoding_accepted(tmp_path: Path, value: str) -> None:
    config = load(tmp_path, BUILD + f'[[embedded_python_config]]\nstdio_encoding = "{value}"\n')
    assert config.embedded.stdio_encoding == value


@pytest.mark.parametrize("package", ["--target=/tmp/x", "--help", "-e.", " -r req.txt"])
def test_pip_package_is_not_an_option(tmp_path: Path, package: str) -> None:
    rule = f'[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "{package}"\n'
    message = only_problem(tmp_path, BUILD + rule)
    assert "key 'package' must be a requirement, a path or a URL, not a pip option" in message


@pytest.mark.parametrize(
    "arg",
    ["--target=/x", "--target", "--ta=/x", "-t/x", "-qt", "--prefix=/usr", "--user", "--root=/"],
)
def test_pip_extra_args_cannot_move_the_install(tmp_path: Path, arg: str) -> None:
    for rule in (
        'type = "pip-install-simple"\npackage = "x"',
        'type = "pip-requirements-file"\nrequirements_path = "r.txt"',
    ):
        text = BUILD + f'[[packaging_rule]]\n{rule}\nextra_args = ["--pre", "{arg}"]\n'
        message = only_problem(tmp_path, text)
        assert f"key 'extra_args' item 2 ({arg!r}) would make pip install somewhere" in message


def test_pip_extra_args_accepts_ordinary_options(tmp_path: Path) -> None:
    args = '["--pre", "--index-url=https://example.org/simple", "--use-pep517", "-q", "-rt.txt"]'
    rule = f'[[packaging_rule]]\ntype = "pip-install-simple"\npackage = "x"\nextra_args = {args}\n'
    options = load(tmp_path, BUILD + rule).rules[0].options
    assert isinstance(options, PipInstallSimple)
    assert len(options.extra_args) == 5


@pytest.mark.parametrize("package", ["/abs/dir", "", "../up", "a/b", "a..b", "class"])
def test_package_root_packages_are_names(tmp_path: Path, package: str) -> None:
    rule = f'[[packaging_rule]]\ntype = "package-root"\npath = "."\npackages = ["ok.sub", "{package}"]\n'
    message = only_problem(tmp_path, BUILD + rule)
    assert "key 'packages' must be an array of dotted Python package or module names" in message
    assert f"(item 2 is {package!r})" in message


def test_extra_env_names_cannot_hold_equals(tmp_path: Path) -> None:
    rule = '[[packaging_rule]]\ntype = "setup-py-install"\npackage_path = "."\nextra_env = { "A=B" = "1" }\n'
    message = only_problem(tmp_path, BUILD + rule)
    assert (
        "key 'extra_env' must map environment variable names to strings (got name 'A=B')" in message
    )


def test_tarball_path_prefix_stays_relative(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path, BUILD + '[[distribution]]\ntype = "tarball"\npath_prefix = "../x"\n'
    )
    assert "key 'path_prefix' must not contain '..'" in message


def test_a_stdlib_rule_is_required(tmp_path: Path) -> None:
    path = write(
        tmp_path, BUILD + f'[[packaging_rule]]\nbuild_target = "{WINDOWS}"\ntype = "stdlib"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, LINUX)
    assert info.value.problems == [
        f"{path}: no [[packaging_rule]] with type = 'stdlib' applies to target '{LINUX}'; the "
        "rule is required: Python cannot start without its standard library (add "
        '[[packaging_rule]] type = "stdlib", see spec 7.3.5)'
    ]


def test_no_rule_writes_below_the_executables_name(tmp_path: Path) -> None:
    """The files went to <app dir>/app/..., where the executable is: the build failed late
    with "Not a directory", naming neither the config nor the key."""
    rules = (
        '[[packaging_rule]]\ntype = "stdlib"\ninstall_location = "app-relative:app"\n'
        '[[packaging_rule]]\ntype = "write-license-files"\npath = "app/licenses"\n'
        '[[packaging_rule]]\ntype = "file-based-packages"\npath = "./app"\n'
        '[[packaging_rule]]\ntype = "write-license-files"\npath = "application"\n'
    )
    path = write(tmp_path, BUILD + rules)
    with pytest.raises(ConfigError) as info:
        load_config(path, LINUX)
    tail = "but 'app' in the app directory is the executable (application_name); choose another"
    assert info.value.problems == [
        f"{path}: [[packaging_rule]] #1 (type = 'stdlib'): key 'install_location' names the "
        f"directory 'app', {tail} directory",
        f"{path}: [[packaging_rule]] #2 (type = 'write-license-files'): key 'path' names the "
        f"directory 'app/licenses', {tail} directory",
        f"{path}: [[packaging_rule]] #3 (type = 'file-based-packages'): key 'path' names the "
        f"directory './app', {tail} directory",
    ]


def test_an_invalid_stdlib_rule_counts_as_present(tmp_path: Path) -> None:
    message = only_problem(tmp_path, BUILD + '[[packaging_rule]]\ntype = "stdlib"\nbogus = 1\n')
    assert "key 'bogus' is not a known key" in message


# --- reading -----------------------------------------------------------------------------


def test_toml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    message = only_problem(tmp_path, '[[build]]\napplication_name = "app\n')
    assert message.startswith(f"{tmp_path / 'pyoxidizer.toml'}: line 2, column ")
    assert "invalid TOML" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", LINUX)
    assert str(tmp_path / "nope.toml") in str(info.value)


def test_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, BUILD + STDLIB)
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("pyoxidizer.toml"), LINUX)
    assert config.path == tmp_path / "pyoxidizer.toml"
    assert config.build.build_path == tmp_path / "build"


# --- finding -----------------------------------------------------------------------------


def test_find_walks_up_from_the_start_directory(tmp_path: Path) -> None:
    config = write(tmp_path, BUILD)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config_file(None, None, deep) == config
    assert find_config_file(Path("a/b"), None, tmp_path) == config
    assert find_config_file(deep, None, Path("/")) == config


def test_find_prefers_the_nearest_file(tmp_path: Path) -> None:
    write(tmp_path, BUILD)
    (tmp_path / "a").mkdir()
    nearest = write(tmp_path / "a", BUILD)
    assert find_config_file(tmp_path / "a", None, tmp_path) == nearest


def test_find_accepts_a_file(tmp_path: Path) -> None:
    config = write(tmp_path, BUILD, name="other.toml")
    assert find_config_file(config, None, tmp_path) == config


def test_find_honours_the_environment_value(tmp_path: Path) -> None:
    write(tmp_path, BUILD)
    chosen = write(tmp_path, BUILD, name="chosen.toml")
    assert find_config_file(None, str(chosen), tmp_path) == chosen
    assert find_config_file(tmp_path, "chosen.toml", tmp_path) == chosen


def test_find_reports_a_missing_environment_file(tmp_path: Path) -> None:
    write(tmp_path, BUILD)
    with pytest.raises(ConfigError) as info:
        find_config_file(None, str(tmp_path / "gone.toml"), tmp_path)
    assert (
        str(info.value)
        == f"PYOXIDIZER_CONFIG names {tmp_path / 'gone.toml'}, which is not an existing file"
    )


def test_find_reports_where_it_looked(tmp_path: Path) -> None:
    # tmp_path's ancestors are assumed not to hold a pyoxidizer.toml.
    with pytest.raises(ConfigError) as info:
        find_config_file(None, None, tmp_path)
    assert str(info.value) == (
        f"no pyoxidizer.toml found in {tmp_path} or any of its parent directories"
    )


@pytest.mark.parametrize(
    "section",
    [
        '[[build]]\nbuild_path = "{long}"',
        '[[python_distribution]]\npython_executable = "/{long}"',
        '[[packaging_rule]]\ntype = "filter-include"\nfiles = ["{long}"]',
    ],
)
def test_paths_longer_than_the_kernel_accepts(tmp_path: Path, section: str) -> None:
    message = only_problem(tmp_path, BUILD + section.format(long="p" * 100_000) + "\n")
    assert "must be a path of at most 4096 bytes (got 10000" in message
    assert len(message) < 600
