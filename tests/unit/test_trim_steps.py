"""``pyoxidizer trim``: the filter file, the config edit and the checks, with fake builds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pyoxidizer._proc import Completed
from pyoxidizer._report import SilentReporter
from pyoxidizer._toml import loads
from pyoxidizer.commands.trim import (
    FILTER_FILE,
    KEEP_MARKER,
    RECORD_VARIABLE,
    BuiltApp,
    Run,
    command_line,
    filter_file_text,
    is_trim_rule,
    kept_names,
    parse_command,
    parse_invocations,
    recording_config,
    trim,
    user_additions,
    with_filter_rule,
)
from pyoxidizer.config.loader import load_config, validate_config
from pyoxidizer.config.schema import Config
from pyoxidizer.errors import TrimError

CONFIG = """\
# The app's config; comments stay.
[[build]]
application_name = "app"  # the name

[[packaging_rule]]
type = "stdlib-extension-policy"
policy = "all"

[[packaging_rule]]
type = "stdlib"

[[embedded_python_run]]
mode = "module"
module = "app"
"""


def test_invocations_are_shell_quoted_lines() -> None:
    text = "check 'a file.py'\n\n# a comment\n  --version\n"
    assert parse_invocations(text, "runs.txt") == [("check", "a file.py"), ("--version",)]
    with pytest.raises(TrimError, match=r"runs.txt, line 2: cannot split \"'open\""):
        parse_invocations("ok\n'open\n", "runs.txt")


def test_kept_names_add_parents_and_start_up_encodings() -> None:
    names = kept_names(["__main__", "email.mime.text", "json"], "latin1:strict")
    assert {"email", "email.mime", "email.mime.text", "json"} <= set(names)
    assert {"encodings", "encodings.utf_8", "encodings.latin_1"} <= set(names)
    assert "__main__" not in names and names == sorted(names)


def test_filter_file_says_how_it_was_made_and_keeps_user_additions() -> None:
    runs = [Run("app check 'a b.py'", 1, "")]
    text = filter_file_text(["json", "re"], runs, "pyoxidizer.toml", [])
    assert text.startswith("# Made by `pyoxidizer trim`")
    assert "#   app check 'a b.py'  (exit status 1)\n" in text
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == ["json", "re"]
    edited = text + "csv\n# why: the --csv option\n"
    assert user_additions(edited) == ["csv", "# why: the --csv option"]
    again = filter_file_text(["json"], runs, "pyoxidizer.toml", user_additions(edited))
    assert again.endswith(f"{KEEP_MARKER}\ncsv\n# why: the --csv option\n")


def test_the_rule_is_appended_and_the_rest_of_the_text_stays(tmp_path: Path) -> None:
    new = with_filter_rule(CONFIG.rstrip("\n"), FILTER_FILE)
    assert new.startswith(CONFIG)  # comments, layout and order untouched
    config = validate_config(loads(new), tmp_path / "pyoxidizer.toml", "x86_64-unknown-linux-gnu")
    assert is_trim_rule(config.rules[-1], tmp_path / FILTER_FILE)


def test_the_recording_build_has_no_trim_rule_and_writes_module_lists(tmp_path: Path) -> None:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(with_filter_rule(CONFIG, FILTER_FILE))
    config = load_config(path, "x86_64-unknown-linux-gnu")
    recording, variable = recording_config(config, tmp_path / FILTER_FILE)
    assert variable == RECORD_VARIABLE
    assert recording.embedded.write_modules_directory_env == RECORD_VARIABLE
    assert len(recording.rules) == len(config.rules) - 1
    assert recording.build.build_path == config.build.build_path / "trim"


class FakeApp:
    """Builds count; runs write the module list the environment asks for."""

    def __init__(self, loaded: Sequence[str], trimmed_status: int = 0) -> None:
        self.loaded = loaded
        self.trimmed_status = trimmed_status
        self.built: list[Config] = []

    def build(self, config: Config) -> BuiltApp:
        self.built.append(config)
        trimmed = len(self.built) > 1
        exe = config.build.build_path / ("trimmed" if trimmed else "recording")
        return BuiltApp(exe, 10 if trimmed else 100, 3 if trimmed else 700, 1)

    def run(self, argv: Sequence[str], **kwargs: object) -> Completed:
        env = kwargs["env"]
        assert isinstance(env, Mapping)
        if argv[0].endswith("recording"):
            Path(env[RECORD_VARIABLE], "modules-1").write_text("\n".join(self.loaded))
            return Completed(tuple(argv), 0)
        assert RECORD_VARIABLE not in env
        return Completed(tuple(argv), self.trimmed_status, b"", b"ModuleNotFoundError: x\n")


def _trim(path: Path, app: FakeApp) -> object:
    config = load_config(path, "x86_64-unknown-linux-gnu")
    config.build.build_path.mkdir(parents=True, exist_ok=True)
    return trim(
        config,
        [("--flag",)],
        build=app.build,
        reload=lambda: load_config(path, "x86_64-unknown-linux-gnu"),
        runner=app.run,
        reporter=SilentReporter(),
        environ={},
        cwd=path.parent,
    )


def test_trim_adds_the_rule_once_and_rewrites_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(CONFIG)
    _trim(path, FakeApp(["json", "json.decoder"]))
    text = path.read_text()
    assert text.startswith(CONFIG) and text.count('type = "filter-include"') == 1
    assert "json.decoder\n" in (tmp_path / FILTER_FILE).read_text()
    app = FakeApp(["csv"])
    _trim(path, app)
    assert path.read_text() == text  # the config already has the rule: only the file changes
    assert "csv\n" in (tmp_path / FILTER_FILE).read_text()
    assert "json.decoder\n" not in (tmp_path / FILTER_FILE).read_text()
    assert not any(is_trim_rule(r, tmp_path / FILTER_FILE) for r in app.built[0].rules)


def test_a_run_that_ends_differently_after_trimming_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(CONFIG)
    with pytest.raises(TrimError, match=r"run 1 \(app --flag\) exited with status 1 instead of 0"):
        _trim(path, FakeApp(["json"], trimmed_status=1))


def test_an_app_that_writes_no_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(CONFIG)
    with pytest.raises(TrimError, match="wrote no list of modules"):
        _trim(path, FakeApp([]))
    assert path.read_text() == CONFIG and not (tmp_path / FILTER_FILE).exists()


def test_a_command_is_split_like_a_shell_and_finds_the_app_three_ways() -> None:
    command = parse_command("pytest -k 'cli and not slow' --app={app}")
    assert command.words == ("pytest", "-k", "cli and not slow", "--app={app}")
    argv, env = command_line(command, Path("/b/apps/myapp"), {"PATH": "/usr/bin", "HOME": "/h"})
    assert argv == ["pytest", "-k", "cli and not slow", "--app=/b/apps/myapp"]
    assert env == {"PATH": "/b/apps:/usr/bin", "HOME": "/h", "PYOXIDIZER_APP": "/b/apps/myapp"}
    argv, env = command_line(("--help",), Path("/b/apps/myapp"), {"HOME": "/h"})
    assert argv == ["/b/apps/myapp", "--help"] and env == {"HOME": "/h"}  # app arguments


@pytest.mark.parametrize("text", ["", "   ", "sh 'unclosed"])
def test_an_empty_or_unsplittable_command_is_refused(text: str) -> None:
    with pytest.raises(TrimError):
        parse_command(text)
