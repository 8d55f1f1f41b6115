"""How the command line prints errors: one line per problem, none of them huge."""

from __future__ import annotations

import pytest

from pyoxidizer import cli
from pyoxidizer.errors import ConfigError, PyOxidizerError


def _fail_with(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    def add_config(path: object) -> None:
        raise exc

    monkeypatch.setattr("pyoxidizer.commands.add.add_config", add_config)


def test_each_config_problem_gets_its_own_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_with(monkeypatch, ConfigError(["/p/pyoxidizer.toml: one", "/p/pyoxidizer.toml: two"]))
    assert cli.main(["add", "x"]) == 1
    assert (
        capsys.readouterr().err
        == "error: /p/pyoxidizer.toml: one\nerror: /p/pyoxidizer.toml: two\n"
    )


def test_no_error_line_is_huge(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_with(monkeypatch, PyOxidizerError("pip failed:\n" + "x" * 10_000_000))
    assert cli.main(["add", "x"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: pip failed:"
    assert len(lines[1]) < 2100 and lines[1].endswith("... (10000000 characters)")


def test_an_unexpected_os_error_quotes_its_file_name_briefly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fail_with(monkeypatch, OSError(36, "File name too long", "/p/" + "n" * 100_000))
    assert cli.main(["add", "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: File name too long: '/p/nnn")
    assert len(err) < 400
