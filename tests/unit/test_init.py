"""Tests of ``pyoxidizer init``'s config file: it loads, and it never clobbers a file."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from pyoxidizer.commands.init import render_config, toml_string, toml_value, write_new_config
from pyoxidizer.config import EmbeddedPythonConfig, RunConfig, load_config
from pyoxidizer.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TARGET = "x86_64-unknown-linux-gnu"


def test_default_config_loads_and_runs_a_repl(tmp_path: Path) -> None:
    path = write_new_config(tmp_path / "pyapp", None, [])
    assert path == tmp_path / "pyapp" / "pyoxidizer.toml"
    config = load_config(path, TARGET)
    assert config.build.application_name == "pyapp"
    assert config.build.build_path == tmp_path / "pyapp" / "build"
    assert config.embedded == EmbeddedPythonConfig()
    assert config.run == RunConfig(mode="repl")
    assert [(rule.type, getattr(rule.options, "policy", None)) for rule in config.rules] == [
        ("stdlib-extension-policy", "all"),
        ("stdlib", None),
    ]
    assert config.python_distribution.python_executable is None


def test_pip_install_packages_become_rules(tmp_path: Path) -> None:
    path = write_new_config(tmp_path / "app", None, ["pyflakes==2.1.1", "black"])
    rules = load_config(path, TARGET).rules
    assert [(rule.index, getattr(rule.options, "package", None)) for rule in rules[2:]] == [
        (2, "pyflakes==2.1.1"),
        (3, "black"),
    ]
    assert all(rule.type == "pip-install-simple" for rule in rules[2:])


@pytest.mark.parametrize(
    "code",
    [
        "from pyflakes.api import main; main()",
        'print("quoted \\"inner\\"")',
        "path = 'C:\\\\temp\\\\new'\nprint(path)\n",
        "tab\there\r\nbell\x07 del\x7f unicode é ☃ 🐍",
    ],
    ids=["simple", "quotes", "backslashes-newlines", "control-and-unicode"],
)
def test_eval_code_round_trips_exactly(tmp_path: Path, code: str) -> None:
    path = write_new_config(tmp_path / "app", code, [])
    config = load_config(path, TARGET)
    assert config.run == RunConfig(mode="eval", code=code)


def test_every_embedded_default_is_shown(tmp_path: Path) -> None:
    text = render_config("app", None, [])
    for line in [
        "# dont_write_bytecode = true",
        "# optimize_level = 0",
        "# sys_paths = []",
        '# raw_allocator = "system"',
        '# terminfo_resolution = "dynamic"',
    ]:
        assert line in text.splitlines()


def test_commented_examples_load_when_uncommented(tmp_path: Path) -> None:
    # Uncommenting every "# key = value" line of [[embedded_python_config]] stays valid.
    text = render_config("app", None, [])
    head, rest = text.split("[[embedded_python_config]]\n")
    section, tail = rest.split("\n# Packaging rules", 1)
    keys = tuple(f"# {f.name} = " for f in dataclasses.fields(EmbeddedPythonConfig))
    lines = [line[2:] if line.startswith(keys) else line for line in section.splitlines()]
    assert len([line for line in lines if line and not line.startswith("#")]) == len(keys)
    uncommented = (
        head + "[[embedded_python_config]]\n" + "\n".join(lines) + "\n# Packaging rules" + tail
    )
    (tmp_path / "pyoxidizer.toml").write_text(uncommented, encoding="utf-8")
    load_config(tmp_path / "pyoxidizer.toml", TARGET)


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "pyoxidizer.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        write_new_config(tmp_path, None, [])
    assert str(info.value) == f"{existing} already exists; refusing to overwrite it"
    assert existing.read_text(encoding="utf-8") == "# mine\n"


def test_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_new_config(tmp_path / "app", None, [])
    assert [p.name for p in (tmp_path / "app").iterdir()] == ["pyoxidizer.toml"]


def test_invalid_directory_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        write_new_config(Path("/"), None, [])
    assert "application name must be a file name" in str(info.value)


def test_bad_inputs_are_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        render_config("app", "x", ["", "two\nlines"])
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(
    "text", ["", "plain", 'a "b" c', "back\\slash", "\x00\x1f\x7f", "\b\t\n\f\r", "é🐍"]
)
def test_toml_string_round_trips(text: str) -> None:
    assert tomllib.loads(f"v = {toml_string(text)}") == {"v": text}


def test_toml_value() -> None:
    assert toml_value(True) == "true"
    assert toml_value(0) == "0"
    assert toml_value(("a", "b")) == '["a", "b"]'
    with pytest.raises(TypeError):
        toml_value(None)
