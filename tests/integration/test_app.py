"""Apps built from package-root sources: run modes, imports, exit codes, tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import Project, config_text, run_exe

APP_RULE = """
[[packaging_rule]]
type = "package-root"
path = "src"
packages = ["myapp", "single"]
{extra}
"""


def _write_app(project: Project, run: str, extra: str = "", embedded: str = "") -> None:
    project.write(
        "src/myapp/__init__.py",
        """
        from .util import greet
        VERSION = "1.0"
        """,
    )
    project.write("src/myapp/util.py", "def greet(who):\n    return f'hello {who}'\n")
    project.write(
        "src/myapp/__main__.py",
        """
        import sys
        from myapp import greet
        from myapp.sub import deep
        print(greet(sys.argv[1] if len(sys.argv) > 1 else "world"))
        print(__name__, __package__, __spec__.name, deep.where())
        if "--exit" in sys.argv:
            sys.exit(int(sys.argv[-1]))
        if "--fail" in sys.argv:
            deep.explode()
        """,
    )
    project.write("src/myapp/sub/__init__.py", "")
    project.write(
        "src/myapp/sub/deep.py",
        """
        from .. import util
        def where():
            return __name__ + ":" + util.__name__
        def explode():
            raise RuntimeError("deliberate failure")  # shown in traceback
        """,
    )
    project.write("src/single.py", "ANSWER = 42\n")
    project.write("src/notpackaged/__init__.py", "")
    project.write(
        "pyoxidizer.toml",
        config_text(run=run, rules=APP_RULE.format(extra=extra), embedded=embedded),
    )


def test_module_mode_runs_package_main(project: Project) -> None:
    _write_app(project, 'mode = "module"\nmodule = "myapp"')
    exe = project.build()
    proc = run_exe(exe, "oxidizer")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "hello oxidizer",
        "__main__ myapp myapp.__main__ myapp.sub.deep:myapp.util",
    ]


def test_exit_code_and_traceback_with_source(project: Project) -> None:
    _write_app(project, 'mode = "module"\nmodule = "myapp"')
    exe = project.build()
    assert run_exe(exe, "--exit", "7").returncode == 7
    failed = run_exe(exe, "--fail")
    assert failed.returncode == 1
    assert "RuntimeError: deliberate failure" in failed.stderr
    assert '<oxidized>/myapp/sub/deep.py", line 6, in explode' in failed.stderr
    assert 'raise RuntimeError("deliberate failure")  # shown in traceback' in failed.stderr


def test_include_source_false_drops_source(project: Project) -> None:
    _write_app(project, 'mode = "module"\nmodule = "myapp"', extra="include_source = false")
    exe = project.build()
    failed = run_exe(exe, "--fail")
    assert "RuntimeError: deliberate failure" in failed.stderr
    assert "# shown in traceback" not in failed.stderr


def test_excludes_and_unlisted_packages_are_not_packaged(project: Project) -> None:
    code = (
        "import importlib.util as u, single;"
        "print(single.ANSWER, u.find_spec('notpackaged'), u.find_spec('myapp.sub'))"
    )
    _write_app(project, f'mode = "eval"\ncode = "{code}"', extra='excludes = ["myapp.sub"]')
    proc = run_exe(project.build())
    assert proc.stdout.strip() == "42 None None", proc.stderr


def test_optimize_level_strips_asserts_and_docstrings(project: Project) -> None:
    project.write(
        "src/opt.py",
        '"""doc"""\ntry:\n    assert False\n    R = "kept"\nexcept AssertionError:\n    R = "raised"\n',
    )
    rules = APP_RULE.replace('["myapp", "single"]', '["opt"]').format(extra="optimize_level = 2")
    project.write(
        "pyoxidizer.toml",
        config_text(
            run='mode = "eval"\ncode = "import opt; print(opt.R, opt.__doc__)"', rules=rules
        ),
    )
    assert run_exe(project.build()).stdout.strip() == "kept None"


def test_app_relative_install_location(project: Project) -> None:
    _write_app(
        project,
        'mode = "eval"\ncode = "import myapp, single; print(myapp.__file__, single.ANSWER)"',
        extra='install_location = "app-relative:lib"',
        embedded='sys_paths = ["$ORIGIN/lib"]',
    )
    exe = project.build()
    lib = exe.parent / "lib"
    assert (lib / "myapp/__init__.py").is_file()
    assert (lib / "myapp/sub/deep.py").is_file()
    pycs = list((lib / "myapp/__pycache__").glob("__init__.cpython-*.pyc"))
    assert len(pycs) == 1
    proc = run_exe(exe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{lib}/myapp/__init__.py 42"


def test_noop_and_repl_modes(project: Project) -> None:
    project.write("pyoxidizer.toml", config_text(run='mode = "noop"'))
    assert run_exe(project.build()).stdout == ""
    project.write("pyoxidizer.toml", config_text(run='mode = "repl"'))
    proc = run_exe(project.build(), input="import sys\nprint(6 * 7, sys.oxidized)\n")
    assert proc.returncode == 0, proc.stderr
    assert "42 True" in proc.stdout


REPL_SCRIPT = """\
import sys
x = 6 * 7
x
for i in range(2):
    print(i)
print(x, sys.oxidized if hasattr(sys, "oxidized") else True)
raise SystemExit(3)
"""


def test_repl_mode_with_piped_stdin_runs_it_as_a_script_like_python(project: Project) -> None:
    """python with stdin not a terminal: no prompts, no echoed values, a block needs no
    blank line after it, and SystemExit ends the process with its status."""
    project.write("pyoxidizer.toml", config_text(run='mode = "repl"'))
    proc = run_exe(project.build(), input=REPL_SCRIPT)
    reference = subprocess.run(
        [sys.executable, "-I", "-S"], input=REPL_SCRIPT, capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "0\n1\n42 True\n", "")
    assert (reference.returncode, reference.stdout, reference.stderr) == (3, proc.stdout, "")


def test_run_passes_args_and_exit_code(project: Project) -> None:
    _write_app(project, 'mode = "module"\nmodule = "myapp"')
    proc = project.cli("run", "--", "you", "--exit", "5", check=False)
    assert proc.returncode == 5
    assert proc.stdout.splitlines()[0] == "hello you"


def test_app_path_prints_the_app_directory(project: Project) -> None:
    project.write("pyoxidizer.toml", config_text(name="pathapp"))
    out = project.cli("app-path").stdout.strip()
    assert Path(out) == project.root / "build/apps/pathapp/x86_64-unknown-linux-gnu/debug"
    out = project.cli("app-path", "--release").stdout.strip()
    assert out.endswith("/release")


def test_warnings_and_logging_name_the_module_and_show_the_line(project: Project) -> None:
    project.write(
        "src/noisy.py",
        "import logging, warnings\n"
        "def run():\n"
        "    warnings.warn('careful now')\n"
        "    logging.basicConfig(format='%(filename)s:%(lineno)d %(module)s %(message)s')\n"
        "    logging.warning('logged')\n",
    )
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["noisy"]\n'
    project.write(
        "pyoxidizer.toml",
        config_text(run='mode = "eval"\ncode = "import noisy; noisy.run()"', rules=rules),
    )
    err = run_exe(project.build()).stderr.splitlines()
    assert err == [
        "<oxidized>/noisy.py:3: UserWarning: careful now",
        "  warnings.warn('careful now')",
        "noisy.py:5 noisy logged",
    ]
