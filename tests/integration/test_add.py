"""``pyoxidizer add``: a config for an existing project, read without running its code."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyoxidizer.commands.add import entry_point_code, scripts_from_setup_py
from pyoxidizer.config import load_config
from pyoxidizer.config.rules import PipInstallSimple
from tests.helpers import Project, run_exe

TARGET = "x86_64-unknown-linux-gnu"

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "hello-cli"
version = "1.0"

[project.scripts]
hello = "hello_cli.main:run"
hello-admin = "hello_cli.admin:main"
"""

SETUP_PY = """\
from setuptools import setup

setup(
    name="hello-cli",
    version="1.0",
    packages=["hello_cli"],
    entry_points={"console_scripts": ["hello = hello_cli.main:run"]},
)
"""

MAIN = "def run():\n    print('hello from the console script')\n"


def _project(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _rule_and_run(root: Path) -> tuple[PipInstallSimple, tuple[str, str | None, str | None]]:
    config = load_config(root / "pyoxidizer.toml", TARGET)
    rule = config.rules[-1].options
    assert isinstance(rule, PipInstallSimple)
    return rule, (config.run.mode, config.run.code, config.run.module)


def test_pyproject_scripts(project: Project) -> None:
    root = _project(
        project.root / "app", {"pyproject.toml": PYPROJECT, "hello_cli/__init__.py": ""}
    )
    proc = project.cli("add", str(root))
    assert f"wrote {root}/pyoxidizer.toml" in proc.stdout
    assert "console script 'hello' (hello_cli.main:run)" in proc.stdout
    assert "pip-install-simple" in proc.stdout
    options, run = _rule_and_run(root)
    assert options.package == "."
    assert run == ("eval", "import sys; from hello_cli.main import run; sys.exit(run())", None)
    config = load_config(root / "pyoxidizer.toml", TARGET)
    assert config.build.application_name == "hello"
    assert [r.type for r in config.rules] == [
        "stdlib-extension-policy",
        "stdlib",
        "pip-install-simple",
    ]


def test_setup_py_entry_points(project: Project) -> None:
    root = _project(project.root / "app", {"setup.py": SETUP_PY})
    project.cli("add", str(root))
    _, run = _rule_and_run(root)
    assert run == ("eval", "import sys; from hello_cli.main import run; sys.exit(run())", None)


def test_setup_cfg_metadata_when_setup_py_is_not_literal(project: Project) -> None:
    setup_cfg = "[metadata]\nname = tool\n\n[options.entry_points]\nconsole_scripts =\n    tool = tool.cli:main\n"
    root = _project(
        project.root / "app",
        {"setup.py": "import setuptools\nsetuptools.setup(name=NAME)\n", "setup.cfg": setup_cfg},
    )
    project.cli("add", str(root))
    _, run = _rule_and_run(root)
    assert run == ("eval", "import sys; from tool.cli import main; sys.exit(main())", None)


def test_module_mode_when_only_main_exists(project: Project) -> None:
    pyproject = '[project]\nname = "My-Tool"\nversion = "1"\n'
    files = {
        "pyproject.toml": pyproject,
        "src/other/__init__.py": "",
        "src/other/__main__.py": "",
        "src/my_tool/__init__.py": "",
        "src/my_tool/__main__.py": "print('main')\n",
    }
    root = _project(project.root / "app", files)
    out = project.cli("add", str(root)).stdout
    assert "python -m my_tool" in out
    _, run = _rule_and_run(root)
    assert run == ("module", None, "my_tool")


def test_never_overwrites(project: Project) -> None:
    root = _project(project.root / "app", {"setup.py": SETUP_PY, "pyoxidizer.toml": "# mine\n"})
    proc = project.cli("add", str(root), check=False)
    assert proc.returncode == 1 and "already exists; refusing to overwrite it" in proc.stderr
    assert (root / "pyoxidizer.toml").read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param({"README": "x"}, "has no pyproject.toml or setup.py", id="not-a-project"),
        pytest.param(
            {"pyproject.toml": '[project]\nname = "x"\n'},
            "declares no console script",
            id="nothing-to-run",
        ),
        pytest.param(
            {"setup.py": "import setuptools\nsetuptools.setup(**kw)\n"},
            "cannot find the project's name",
            id="no-name",
        ),
        pytest.param({"pyproject.toml": "[project\n"}, "is not valid TOML", id="bad-toml"),
        pytest.param({"setup.py": "setup(\n"}, "cannot be parsed", id="bad-setup-py"),
    ],
)
def test_errors(project: Project, files: dict[str, str], message: str) -> None:
    root = _project(project.root / "app", files)
    proc = project.cli("add", str(root), check=False)
    assert proc.returncode == 1 and message in proc.stderr and proc.stderr.count("\n") == 1
    assert not (root / "pyoxidizer.toml").exists()


def test_setup_py_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"open({str(marker)!r}, 'w').close()\nfrom setuptools import setup\nsetup(name='x')\n"
    assert scripts_from_setup_py(text, "setup.py") == ("x", [])
    assert not marker.exists()


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("pkg.cli:main", ("pkg.cli", "import sys; from pkg.cli import main; sys.exit(main())")),
        ("pkg:App.run [extra]", ("pkg", "import sys; from pkg import App; sys.exit(App.run())")),
        ("no_attribute", None),
        ("bad name:x", None),
    ],
)
def test_entry_point_code(reference: str, expected: tuple[str, str] | None) -> None:
    assert entry_point_code(reference) == expected


@pytest.mark.network  # pip builds the project with setuptools from the index
@pytest.mark.parametrize("kind", ["setup.py", "pyproject.toml"])
def test_added_project_builds(project: Project, kind: str) -> None:
    files = {"hello_cli/__init__.py": "", "hello_cli/main.py": MAIN}
    files[kind] = SETUP_PY if kind == "setup.py" else PYPROJECT
    root = _project(project.root / "app", files)
    project.cli("add", str(root))
    proc = project.cli("build", str(root), check=False)
    assert proc.returncode == 0, proc.stderr
    exe = Path(project.cli("app-path", str(root)).stdout.strip()) / "hello"
    out = run_exe(exe)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello from the console script\n"
