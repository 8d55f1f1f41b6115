"""The command line: init, errors as one clear message, nothing half-written."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import Project, config_text, find_python, run_exe


def test_init_then_run_prints_eval_output(project: Project) -> None:
    target = project.root / "newapp"
    out = project.cli("init", str(target), "--python-code", "import sys; print('hi', sys.argv[1:])")
    assert "pyoxidizer.toml" in out.stdout
    text = (target / "pyoxidizer.toml").read_text()
    assert 'application_name = "newapp"' in text
    proc = project.cli("run", str(target), "--", "a")
    assert proc.stdout == "hi ['a']\n"


def test_init_default_is_a_repl_and_refuses_to_overwrite(project: Project) -> None:
    target = project.root / "repl"
    project.cli("init", str(target))
    exe = project.build(str(target))
    proc = run_exe(exe, input="print(2 ** 10)\n")
    assert "1024" in proc.stdout
    before = (target / "pyoxidizer.toml").read_text()
    again = project.cli("init", str(target), "--python-code", "print(1)", check=False)
    assert again.returncode == 1
    assert "already exists" in again.stderr or "exists" in again.stderr
    assert (target / "pyoxidizer.toml").read_text() == before


def test_init_suggests_a_command_that_survives_copy_and_paste(project: Project) -> None:
    out = project.cli("init", "my app").stdout
    assert "build and run it with: pyoxidizer run 'my app'\n" in out
    assert (project.root / "my app" / "pyoxidizer.toml").is_file()


def _assert_clean_error(proc: object, *needles: str) -> None:
    assert proc.returncode == 1  # type: ignore[attr-defined]
    err = proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


def test_config_errors_name_file_section_and_key(project: Project) -> None:
    text = config_text().replace(
        "[[embedded_python_config]]\n", "[[embedded_python_config]]\noptimise_level = 1\n"
    )
    project.write("pyoxidizer.toml", text)
    proc = project.cli("build", check=False)
    _assert_clean_error(
        proc, "pyoxidizer.toml", "[[embedded_python_config]] #1", "optimise_level", "optimize_level"
    )
    assert not (project.root / "build").exists()


def test_missing_config_and_bad_target(project: Project) -> None:
    _assert_clean_error(project.cli("build", check=False), "pyoxidizer.toml")
    project.write("pyoxidizer.toml", config_text())
    _assert_clean_error(
        project.cli("build", "--target", "aarch64-apple-darwin", check=False),
        "aarch64-apple-darwin",
    )


def test_package_root_errors_name_the_rule(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "nowhere"\npackages = ["x"]\n'
    project.write("pyoxidizer.toml", config_text(rules=rules))
    _assert_clean_error(
        project.cli("build", check=False), "[[packaging_rule]] #3", "package-root", "nowhere"
    )
    (project.root / "src").mkdir()
    project.write("pyoxidizer.toml", config_text(rules=rules.replace("nowhere", "src")))
    _assert_clean_error(project.cli("build", check=False), "package 'x' not found")


def test_syntax_error_in_app_code_fails_the_build(project: Project) -> None:
    project.write("src/broken.py", "def oops(:\n")
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["broken"]\n'
    project.write("pyoxidizer.toml", config_text(rules=rules))
    _assert_clean_error(project.cli("build", check=False), "'broken'", "broken.py", "line 1")
    assert not (project.root / "build/apps").exists()


def test_failed_rebuild_keeps_the_previous_app(project: Project) -> None:
    project.write("src/mod.py", "print('good')\n")
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["mod"]\n'
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run='mode = "module"\nmodule = "mod"')
    )
    exe = project.build()
    project.write("src/mod.py", "print('bad'\n")
    assert project.cli("build", check=False).returncode == 1
    assert run_exe(exe).stdout == "good\n"
    leftovers = [p.name for p in exe.parent.parent.iterdir() if "staging" in p.name]
    assert leftovers == []


def test_unsupported_or_unusable_interpreters_are_refused(project: Project, tmp_path: Path) -> None:
    old = find_python("3.9")
    fake = tmp_path / "python-fake"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    for python, needle in ((str(fake), "failed to start"), ("/nonexistent/python", "cannot run")):
        project.write("pyoxidizer.toml", config_text(python=python))
        _assert_clean_error(project.cli("build", check=False), needle)
    if old is not None:
        project.write("pyoxidizer.toml", config_text(python=old))
        _assert_clean_error(project.cli("build", check=False), "3.9", "supported versions are 3.10")


def test_distribution_archive_problems_are_one_line_errors(project: Project) -> None:
    archive = 'local_path = "cpython.tar.zst"\nsha256 = "' + "0" * 64 + '"\n'
    project.write("pyoxidizer.toml", "[[python_distribution]]\n" + archive + config_text())
    _assert_clean_error(project.cli("build", check=False), "cpython.tar.zst does not exist")
    (project.root / "cpython.tar.zst").write_bytes(b"not the archive")
    _assert_clean_error(
        project.cli("build", check=False),
        "cpython.tar.zst has SHA-256 ",
        "but the config's sha256 is " + "0" * 64,
    )
    project.write("pyoxidizer.toml", config_text())
    _assert_clean_error(
        project.cli("build", "--target", "x86_64-unknown-linux-musl", check=False),
        "target x86_64-unknown-linux-musl needs a python-build-standalone distribution",
    )
    _assert_clean_error(
        project.cli("build", "--target", "aarch64-unknown-linux-gnu", check=False),
        "cannot build for target 'aarch64-unknown-linux-gnu'",
    )


def test_pyoxidizer_config_env_and_upward_search(project: Project) -> None:
    project.write("pyoxidizer.toml", config_text(name="found"))
    nested = project.root / "a" / "b"
    nested.mkdir(parents=True)
    proc = project.cli("app-path", str(nested))
    assert "/apps/found/" in proc.stdout
