"""Checks a valid config gets from the target interpreter and the machine before a build.

The target interpreter here is the one running the tests, asked through the real runner.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pyoxidizer import _fs
from pyoxidizer._proc import run
from pyoxidizer.collect.rules import filter as filter_rule
from pyoxidizer.config.loader import load_config
from pyoxidizer.errors import ConfigError
from pyoxidizer.preflight import check_config
from pyoxidizer.pythondist import Distribution

LINUX = "x86_64-unknown-linux-gnu"
HEAD = '[[build]]\napplication_name = "app"\n\n[[packaging_rule]]\ntype = "stdlib"\n\n'


def _distribution() -> Distribution:
    version = sys.version_info
    here = Path(sys.executable)
    return Distribution(
        python_exe=here,
        version=(version.major, version.minor, version.micro),
        cache_tag=sys.implementation.cache_tag,
        stdlib_dir=here,
        dynload_dir=here,
        include_dir=here,
        static_lib=here,
        link_libs=(),
        cc=("false",),
        ext_suffix=".so",
        builtin_modules=frozenset(),
    )


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(HEAD + text)
    config = load_config(path, LINUX)
    with pytest.raises(ConfigError) as info:
        check_config(config, _distribution(), run)
    return info.value.problems


def only_problem(tmp_path: Path, text: str) -> str:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path / 'pyoxidizer.toml'}: [[")
    return found[0]


def test_a_good_config_passes(tmp_path: Path) -> None:
    (tmp_path / "allow").write_text("json\n")
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(
        HEAD
        + '[[embedded_python_config]]\nstdio_encoding = "latin1:strict"\n\n'
        + '[[packaging_rule]]\ntype = "filter-include"\nfiles = ["allow"]\n\n'
        + '[[embedded_python_run]]\nmode = "eval"\ncode = "import sys\\nprint(sys.argv)"\n'
    )
    check_config(load_config(path, LINUX), _distribution(), run)


def test_the_specs_own_example_encoding_is_refused_with_a_hint(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path, '[[embedded_python_config]]\nstdio_encoding = "latin1-strict"\n'
    )
    assert (
        "[[embedded_python_config]]: key 'stdio_encoding' names the encoding 'latin1-strict'"
        in message
    )
    assert f"which {sys.executable} does not know; did you mean 'latin1:strict'?" in message


def test_unknown_and_bytes_codecs_are_refused(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path, '[[embedded_python_config]]\nstdio_encoding = "no-such-codec"\n'
    )
    assert "names the encoding 'no-such-codec', which" in message
    message = only_problem(
        tmp_path, '[[embedded_python_config]]\nstdio_encoding = "rot13:strict"\n'
    )
    assert "names 'rot13', which is not a text encoding" in message


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("print(", "SyntaxError: '(' was never closed (line 1, column 6)"),
        ("x = 1\\nif x:\\nprint(x)", "IndentationError: expected an indented block"),
        ("(" * 10000 + ")" * 10000, "too many nested parentheses"),
        ("return 1", "SyntaxError: 'return' outside function (line 1, column 1)"),
    ],
    ids=["unclosed", "indentation", "deep", "return"],
)
def test_eval_code_that_does_not_compile(tmp_path: Path, code: str, expected: str) -> None:
    message = only_problem(tmp_path, f'[[embedded_python_run]]\nmode = "eval"\ncode = "{code}"\n')
    assert "[[embedded_python_run]]: key 'code' does not compile with " in message
    assert expected in message
    assert len(message) < 600


def test_code_of_another_mode_is_not_compiled(tmp_path: Path) -> None:
    path = tmp_path / "pyoxidizer.toml"
    path.write_text(HEAD + '[[embedded_python_run]]\nmode = "module"\nmodule = "app"\n')
    check_config(load_config(path, LINUX), _distribution(), run)


def test_filter_files_must_be_regular_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    found = problems(
        tmp_path,
        '[[packaging_rule]]\ntype = "filter-include"\n'
        'files = ["/dev/zero", "fifo", "dir", "missing"]\nglob_files = ["di*"]\n',
    )
    rule = "[[packaging_rule]] #2 (type = 'filter-include')"
    assert [line.split(f"{rule}: ", 1)[1] for line in found] == [
        "key 'files': filter file '/dev/zero' is a character device, not a regular file",
        f"key 'files': filter file {str(tmp_path / 'fifo')!r} is a named pipe, not a regular file",
        f"key 'files': filter file {str(tmp_path / 'dir')!r} is a directory, not a regular file",
        f"key 'files': filter file {str(tmp_path / 'missing')!r} cannot be read: No such file "
        "or directory",
        f"key 'glob_files': filter file {str(tmp_path / 'dir')!r} is a directory, not a regular "
        "file",
    ]


def test_requirements_files_must_be_regular_files(tmp_path: Path) -> None:
    """pip read /dev/zero until memory ran out; the rule said a directory "does not exist"."""
    os.mkfifo(tmp_path / "fifo")
    rules = "".join(
        f'[[packaging_rule]]\ntype = "pip-requirements-file"\nrequirements_path = "{path}"\n'
        for path in ("/dev/zero", "fifo", "/tmp")
    )
    found = problems(tmp_path, rules)
    assert [line.split(": ", 1)[1] for line in found] == [
        f"[[packaging_rule]] #{n} (type = 'pip-requirements-file'): key 'requirements_path': "
        f"requirements file {path!r} is {kind}, not a regular file"
        for n, path, kind in (
            (2, "/dev/zero", "a character device"),
            (3, str(tmp_path / "fifo"), "a named pipe"),
            (4, "/tmp", "a directory"),
        )
    ]


def test_filter_files_have_a_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pyoxidizer.preflight.FILTER_FILE_LIMIT", 10)
    (tmp_path / "big").write_text("x" * 11)
    message = only_problem(
        tmp_path, '[[packaging_rule]]\ntype = "filter-include"\nfiles = ["big"]\n'
    )
    assert "filter file" in message
    assert "is 11 bytes, more than the 10 bytes allowed" in message


def test_build_path_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    message = only_problem(tmp_path, '[[build]]\nbuild_path = "afile/build"\n')
    assert (
        f"[[build]]: key 'build_path' is {str(tmp_path / 'afile/build')!r}, but "
        f"{str(tmp_path / 'afile')!r} exists and is not a directory"
    ) in message


def test_every_problem_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '[[build]]\nbuild_path = "/dev/null"\n'
        '[[embedded_python_config]]\nstdio_encoding = "nope"\n'
        '[[embedded_python_run]]\nmode = "eval"\ncode = "1 +"\n',
    )
    assert len(found) == 3


# --- reading files that may not be files -----------------------------------------------------


def test_read_regular_file_refuses_devices_and_pipes_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")  # opening it for reading would block without O_NONBLOCK
    for path in (Path("/dev/zero"), tmp_path / "fifo", tmp_path):
        with pytest.raises(_fs.Refused):
            _fs.read_regular_file(path, 1 << 20)


def test_read_regular_file_stops_at_the_limit(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"12345")
    assert _fs.read_regular_file(tmp_path / "f", 5) == b"12345"
    with pytest.raises(_fs.Refused, match="more than the 4 bytes allowed"):
        _fs.read_regular_file(tmp_path / "f", 4)


def test_the_filter_rule_reads_through_the_limit(tmp_path: Path) -> None:
    from pyoxidizer.errors import RuleError

    with pytest.raises(RuleError, match="is a character device, not a regular file"):
        filter_rule.read_names(Path("/dev/zero"), "rule")
