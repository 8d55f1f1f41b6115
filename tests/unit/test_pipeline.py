"""The whole pipeline with a fake distribution and a fake toolchain: no C compiler, no
static libpython, no network. The bytecode is compiled by this interpreter, for real.

The integration tests build real executables; this one checks, in well under a second,
that the stages hand each other the right values: what the rules chose is what the payload
holds, the run-time settings reach the payload, and the up-to-date check holds.
"""

from __future__ import annotations

import marshal
import os
import shutil
import sys
from pathlib import Path

import pytest

from pyoxidizer._report import SilentReporter
from pyoxidizer._toml import loads
from pyoxidizer.config.loader import validate_config
from pyoxidizer.config.schema import Config
from pyoxidizer.errors import ConfigError, DistributionError, RuleError
from pyoxidizer.payload.format import Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from pyoxidizer.pipeline import BuildOptions, BuildTools, DistributionRequest, build
from pyoxidizer.pythondist import Distribution
from pyoxidizer.runtime.contract import RuntimeSettings

FAKE_LAUNCHER = b"\x7fELF fake launcher\n"


def _distribution(root: Path) -> Distribution:
    stdlib = root / "stdlib"
    (stdlib / "encodings").mkdir(parents=True)
    (stdlib / "encodings" / "__init__.py").write_text("CODECS = ()\n")
    (stdlib / "json.py").write_text("def dumps(value):\n    return repr(value)\n")
    (stdlib / "test").mkdir()
    (stdlib / "test" / "__init__.py").write_text("")  # CPython's tests: left out by default
    (stdlib / "lib-dynload").mkdir()
    static_lib = root / "libpython-fake.a"
    static_lib.write_bytes(b"!<arch>\n")
    version = sys.version_info
    return Distribution(
        python_exe=Path(sys.executable),
        version=(version.major, version.minor, version.micro),
        cache_tag=sys.implementation.cache_tag,
        stdlib_dir=stdlib,
        dynload_dir=stdlib / "lib-dynload",
        include_dir=root / "include",
        static_lib=static_lib,
        link_libs=(),
        cc=("false",),  # never called: the fake toolchain links nothing
        ext_suffix=".fake.so",
        builtin_modules=frozenset({"sys", "posix"}),
    )


class FakeToolchain:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(
        self,
        dist: Distribution,
        release: bool,
        cache_dir: Path,
        builtins: object = (),
        allocator: str = "system",
    ) -> tuple[Path, bool]:
        self.calls += 1
        self.allocator = allocator
        launcher = cache_dir / "fake-launcher"
        launcher.parent.mkdir(parents=True, exist_ok=True)
        launcher.write_bytes(FAKE_LAUNCHER)
        return launcher, True


CONFIG = """
[[build]]
application_name = "fakeapp"

[[embedded_python_config]]
sys_paths = ["$ORIGIN/extra"]

[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "all"

[[packaging_rule]]
type = "stdlib"

[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["app"]

[[embedded_python_run]]
mode = "module"
module = "app"
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Config, BuildOptions, BuildTools]:
    project = tmp_path / "project"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("import json\nprint(json.dumps(1))\n")
    (project / "src" / "app" / "data.txt").write_text("data")
    config = validate_config(loads(CONFIG), project / "pyoxidizer.toml", "x86_64-unknown-linux-gnu")
    dist = _distribution(tmp_path / "dist")

    def distribution(
        request: DistributionRequest, runner: object, reporter: object
    ) -> Distribution:
        return dist

    tools = BuildTools(distribution=distribution, launcher=FakeToolchain(), system_libraries=list)
    options = BuildOptions(release=False, cache_dir=tmp_path / "cache", default_python="unused")
    return config, options, tools


def test_the_payload_holds_what_the_rules_chose(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, tools = setup
    result = build(config, options, SilentReporter(), tools)
    image = result.exe.read_bytes()
    assert image.startswith(FAKE_LAUNCHER)
    payload, _ = locate_payload(image)
    contents = read_payload(payload)
    modules = contents.by_kind(Kind.MODULE)
    assert {"app", "json", "encodings", "_pyoxidizer_resources"} <= modules.keys()
    assert "test" not in modules  # the stdlib rule's default excludes CPython's tests
    assert contents.by_kind(Kind.RESOURCE).keys() == {"app\0data.txt"}
    code = marshal.loads(bytes(modules["app"].data))
    assert code.co_filename == "<oxidized>/app/__init__.py"
    settings = RuntimeSettings.from_marshal(contents.runtime_config)
    assert (settings.mode, settings.module) == ("module", "app")
    assert settings.sys_paths == ("$ORIGIN/extra",) and settings.filesystem_importer
    assert (result.modules, result.resources, result.up_to_date) == (len(modules), 1, False)


def test_an_unchanged_build_is_up_to_date_until_its_output_changes(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, tools = setup
    first = build(config, options, SilentReporter(), tools)
    assert build(config, options, SilentReporter(), tools).up_to_date
    with open(first.exe, "r+b") as exe:
        exe.truncate(first.size - 100)
    again = build(config, options, SilentReporter(), tools)
    assert not again.up_to_date and again.exe.stat().st_size == first.size


def test_removed_or_edited_app_relative_files_are_rebuilt_and_a_touch_is_not(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    """Issue 11, 8: after ``rm -rf lib/<package>``, an edit under ``lib/`` or a file added
    there, the build said "up to date" and ``run`` kept running the broken app."""
    config, options, tools = setup
    text = CONFIG.replace(
        'packages = ["app"]\n', 'packages = ["app"]\ninstall_location = "app-relative:lib"\n'
    )
    config = _config(config.origin, text)
    first = build(config, options, SilentReporter(), tools)
    package = first.app_dir / "lib" / "app"
    data = package / "data.txt"
    assert data.read_text() == "data"
    os.utime(data, (0, 0))  # a new time, the same content: still up to date
    assert build(config, options, SilentReporter(), tools).up_to_date
    data.write_text("DATA")  # the same size, edited
    assert not build(config, options, SilentReporter(), tools).up_to_date
    assert data.read_text() == "data"
    shutil.rmtree(package)
    again = build(config, options, SilentReporter(), tools)
    assert not again.up_to_date and data.read_text() == "data"
    assert build(config, options, SilentReporter(), tools).up_to_date
    # A file the build did not write: a module dropped into lib/ could be imported.
    (package / "stray.py").write_text("import os\n")
    assert not build(config, options, SilentReporter(), tools).up_to_date
    assert not (package / "stray.py").exists()
    # What Python caches next to app-relative sources is not a reason to rebuild.
    (package / "__pycache__").mkdir(exist_ok=True)
    (package / "__pycache__" / "data.cpython-311.opt-1.pyc").write_bytes(b"cached")
    assert build(config, options, SilentReporter(), tools).up_to_date


def _config(project: Path, text: str) -> Config:
    return validate_config(loads(text), project / "pyoxidizer.toml", "x86_64-unknown-linux-gnu")


def test_an_app_relative_stdlib_keeps_what_python_starts_with_embedded(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, tools = setup
    text = CONFIG.replace(
        'type = "stdlib"\n', 'type = "stdlib"\ninstall_location = "app-relative:lib"\n'
    )
    result = build(_config(config.origin, text), options, SilentReporter(), tools)
    modules = read_payload(locate_payload(result.exe.read_bytes())[0]).by_kind(Kind.MODULE)
    assert "encodings" in modules  # imported before sys.path applies
    assert "json" not in modules
    assert (result.app_dir / "lib" / "json.py").is_file()


def test_a_config_that_drops_encodings_is_refused_naming_the_rule(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, tools = setup
    (config.origin / "allow").write_text("app\njson\n")
    text = CONFIG + '\n[[packaging_rule]]\ntype = "filter-include"\nfiles = ["allow"]\n'
    with pytest.raises(RuleError) as info:
        build(_config(config.origin, text), options, SilentReporter(), tools)
    assert str(info.value) == (
        f"{config.path}: the standard library package 'encodings' is not embedded: "
        "[[packaging_rule]] #4 (type = 'filter-include') removed it (not in the filter files). "
        "The executable cannot start without it: Python imports it from memory before any "
        "sys.path entry applies"
    )


def test_a_package_named_like_the_app_cannot_be_installed_beside_it(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    """Its directory would be where the executable is: the build failed with "File exists:
    '.../.debug.staging-*/fakeapp'", naming neither the config nor the rule."""
    config, options, tools = setup
    (config.origin / "src" / "fakeapp").mkdir()
    (config.origin / "src" / "fakeapp" / "__init__.py").write_text("")
    text = CONFIG + (
        '\n[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["fakeapp"]\n'
        'install_location = "app-relative:."\n'
    )
    with pytest.raises(RuleError) as info:
        build(_config(config.origin, text), options, SilentReporter(), tools)
    assert str(info.value) == (
        f"{config.path}: [[packaging_rule]] #4 (type = 'package-root'): installs the module "
        "'fakeapp' at app-relative:., in the directory 'fakeapp', but 'fakeapp' in the app "
        "directory is the executable (application_name); choose another install_location, "
        'such as "app-relative:lib"'
    )
    assert not (config.build.build_path / "apps").exists()


def test_config_problems_found_with_the_interpreter_stop_the_build_before_it_writes(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, tools = setup
    text = CONFIG.replace('mode = "module"\nmodule = "app"', 'mode = "eval"\ncode = "print("')
    with pytest.raises(ConfigError, match=r"key 'code' does not compile .* \(line 1, column 6\)"):
        build(_config(config.origin, text), options, SilentReporter(), tools)
    assert not config.build.build_path.exists()


def test_python_executable_problems_name_the_key(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, _ = setup

    def distribution(
        request: DistributionRequest, runner: object, reporter: object
    ) -> Distribution:
        raise DistributionError("Python interpreter '/bin/true' did not answer the probe with JSON")

    text = CONFIG + '\n[[python_distribution]]\npython_executable = "/bin/true"\n'
    with pytest.raises(DistributionError) as info:
        build(
            _config(config.origin, text),
            options,
            SilentReporter(),
            BuildTools(distribution=distribution),
        )
    assert str(info.value).startswith(
        f"{config.path}: [[python_distribution]]: key 'python_executable': Python interpreter"
    )


def test_scratch_space_of_killed_builds_is_removed_by_the_next(
    setup: tuple[Config, BuildOptions, BuildTools],
) -> None:
    config, options, tools = setup
    killed = config.build.build_path / "work-killed"
    (killed / "pip-x").mkdir(parents=True)
    build(config, options, SilentReporter(), tools)
    assert [p.name for p in config.build.build_path.iterdir() if p.name.startswith("work-")] == []
