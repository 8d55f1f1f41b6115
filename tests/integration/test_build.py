"""Build behaviour: determinism, caching of the C launcher, up-to-date checks, outputs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import Project, config_text, run_exe

RULES = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["app"]\n'
RUN = 'mode = "module"\nmodule = "app"'


def test_two_builds_are_byte_identical(project: Project, tmp_path: Path) -> None:
    project.write("src/app.py", "print({'x', 'y', 'z'} == {'z', 'y', 'x'}, 'same')\n")
    project.write("pyoxidizer.toml", config_text(rules=RULES, run=RUN))
    first = project.build().read_bytes()
    # A fresh bytecode cache: the second build compiles everything again.
    project.cache_dir = tmp_path / "other-cache"
    project.write("src/app.py", "print({'x', 'y', 'z'} == {'z', 'y', 'x'}, 'same')\n")
    second = project.build().read_bytes()
    if first != second:
        (project.root / "first").write_bytes(first)
        (project.root / "second").write_bytes(second)
    assert first == second, project.root


def test_python_only_change_reuses_launcher_and_is_up_to_date_when_unchanged(
    project: Project,
) -> None:
    project.write("src/app.py", "print('version one')\n")
    project.write("pyoxidizer.toml", config_text(rules=RULES, run=RUN))
    project.cli("build")
    exe = project.exe()
    assert run_exe(exe).stdout == "version one\n"
    project.write("src/app.py", "print('version two')\n")
    out = project.cli("build").stderr
    assert "reusing cached launcher" in out
    assert run_exe(exe).stdout == "version two\n"
    again = project.cli("build").stderr
    assert "application is up to date" in again


def test_build_reports_path_size_and_counts(project: Project) -> None:
    project.write("src/app.py", "print(1)\n")
    project.write(
        "pyoxidizer.toml", config_text(rules=RULES, run=RUN, extensions='policy = "minimal"')
    )
    err = project.cli("build").stderr
    match = re.search(
        r"built (\S+) \(([\d.]+) MB: (\d+) modules, (\d+) resources, (\d+) extension modules\)", err
    )
    assert match, err
    assert Path(match.group(1)) == project.exe()
    assert int(match.group(3)) > 100  # the stdlib
    # minimal: only the modules compiled into libpython, none embedded as shared objects
    from pyoxidizer.payload.format import Kind
    from pyoxidizer.payload.reader import locate_payload, read_payload

    contents = read_payload(locate_payload(project.exe().read_bytes())[0])
    assert contents.by_kind(Kind.EXTENSION) == {}


def test_release_build_is_separate_and_stripped(project: Project) -> None:
    project.write("src/app.py", "print('rel')\n")
    project.write("pyoxidizer.toml", config_text(rules=RULES, run=RUN))
    debug = project.build()
    release = project.build("--release")
    assert release.parent.name == "release" and debug.parent.name == "debug"
    assert release.parent.stat().st_mode & 0o777 == 0o755
    assert release.stat().st_size < debug.stat().st_size
    assert run_exe(release).stdout == "rel\n"
    from pyoxidizer.payload.format import Kind
    from pyoxidizer.payload.reader import locate_payload, read_payload

    def embedded_decimal(exe: Path) -> bytes:
        contents = read_payload(locate_payload(exe.read_bytes())[0])
        return bytes(contents.by_kind(Kind.EXTENSION)["_decimal"].data)

    # release builds embed extension modules without their debug info
    assert b".debug_info" not in embedded_decimal(release)
    assert len(embedded_decimal(release)) <= len(embedded_decimal(debug))


def test_stdlib_rule_keys(project: Project) -> None:
    project.write("src/app.py", "print(1)\n")
    project.write(
        "pyoxidizer.toml",
        config_text(rules=RULES, run=RUN).replace(
            'type = "stdlib"\n',
            'type = "stdlib"\nexclude_test_modules = false\ninclude_source = false\n'
            "include_resources = true\noptimize_level = 2\n",
        ),
    )
    from pyoxidizer.payload.format import Kind
    from pyoxidizer.payload.reader import locate_payload, read_payload

    contents = read_payload(locate_payload(project.build().read_bytes())[0])
    modules = contents.by_kind(Kind.MODULE)
    assert "test.support" in modules  # exclude_test_modules = false
    assert modules["json"].source is None  # include_source = false
    assert modules["app"].source is not None  # other rules keep their own setting
    assert any(name.startswith("email\0") for name in contents.by_kind(Kind.RESOURCE))
    code = 'mode = "eval"\ncode = "import json; print(json.__doc__)"'
    project.write(
        "pyoxidizer.toml", project.root.joinpath("pyoxidizer.toml").read_text().replace(RUN, code)
    )
    assert run_exe(project.build()).stdout == "None\n"  # optimize_level = 2 strips docstrings


def test_stdlib_defaults_exclude_tests_and_keep_source(project: Project) -> None:
    code = "import importlib.util as u, inspect, json; print(u.find_spec('test'), 'def dumps' in json.__loader__.get_source('json'), inspect.getsource(json.dumps).startswith('def dumps('))"
    project.write("pyoxidizer.toml", config_text(run=f'mode = "eval"\ncode = "{code}"'))
    assert run_exe(project.build()).stdout == "None True True\n"
