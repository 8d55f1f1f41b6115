"""The stdlib extension-module rules decide which extension modules the binary can import."""

from __future__ import annotations

from tests.helpers import Project, config_text, run_exe

PROBE = (
    "import importlib;"
    "print([n for n in ('math', '_json', '_sqlite3', '_decimal') "
    "if not __import__('importlib.util').util.find_spec(n) is None])"
)
RUN = f'mode = "eval"\ncode = "{PROBE}"'


def _seen(project: Project, rules: str, extensions: str) -> str:
    project.write("pyoxidizer.toml", config_text(run=RUN, rules=rules, extensions=extensions))
    proc = run_exe(project.build())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_minimal_plus_explicit_includes(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "stdlib-extensions-explicit-includes"\nincludes = ["math", "_json"]\n'
    assert _seen(project, rules, 'policy = "minimal"') == "['math', '_json']"
    assert _seen(project, "", 'policy = "minimal"') == "[]"


def test_explicit_excludes_keep_everything_else(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "stdlib-extensions-explicit-excludes"\nexcludes = ["_sqlite3"]\n'
    assert _seen(project, rules, 'policy = "minimal"') == "['math', '_json', '_decimal']"


def test_unknown_extension_names_are_errors(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "stdlib-extensions-explicit-includes"\nincludes = ["nosuchmod"]\n'
    project.write("pyoxidizer.toml", config_text(rules=rules))
    proc = project.cli("build", check=False)
    assert proc.returncode == 1 and "nosuchmod" in proc.stderr and "#3" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_variant_rule_names_available_variants(project: Project) -> None:
    rules = '[[packaging_rule]]\ntype = "stdlib-extension-variant"\nextension = "readline"\nvariant = "libedit"\n'
    project.write("pyoxidizer.toml", config_text(rules=rules))
    proc = project.cli("build", check=False)
    assert proc.returncode == 1 and "available variants: none" in proc.stderr


def _embedded_extensions(project: Project, policy: str) -> tuple[set[str], str]:
    project.write("pyoxidizer.toml", config_text(extensions=f'policy = "{policy}"'))
    err = project.cli("build", "--verbose").stderr
    from pyoxidizer.payload.format import Kind
    from pyoxidizer.payload.reader import locate_payload, read_payload

    contents = read_payload(locate_payload(project.exe().read_bytes())[0])
    return set(contents.by_kind(Kind.EXTENSION)), err


def test_no_libraries_policy_uses_each_modules_linked_libraries(project: Project) -> None:
    names, err = _embedded_extensions(project, "no-libraries")
    assert {"math", "_json", "_decimal", "array"} <= names
    assert not names & {"_ssl", "_hashlib", "zlib", "_sqlite3", "_ctypes", "readline"}
    assert "extension _ssl" in err and "links libssl.so.3" in err


def test_no_gpl_policy_keeps_permissive_libraries_only(project: Project) -> None:
    names, err = _embedded_extensions(project, "no-gpl")
    assert {"math", "zlib", "_ssl", "_sqlite3", "_ctypes"} <= names  # Zlib, Apache-2.0, PD, Expat
    assert "readline" not in names  # GNU readline is GPL-3+
    assert "license not known to be free of the GPL: GPL-3+" in err
    assert "_tkinter" not in names  # libtk's license is not known here: excluded, as the spec says


def test_build_names_left_out_extension_modules_the_app_imports(project: Project) -> None:
    """Issue 11, 9: the spec's minimal policy is kept, and the build says what will fail."""
    run = 'mode = "eval"\ncode = "import socket"'
    project.write("pyoxidizer.toml", config_text(run=run, extensions='policy = "minimal"'))
    err = project.cli("build").stderr
    assert (
        "warning: module socket imports _socket, a standard-library extension module that is "
        "not embedded ([[packaging_rule]] #1 (type = 'stdlib-extension-policy') leaves it out "
        "(policy = 'minimal')), so that import will fail at run time" in err
    )
    assert 'includes = ["_socket"]' in err and "module selectors imports select" in err
    failed = run_exe(project.exe())
    assert "No module named '_socket'" in failed.stderr  # what the warning announced
    rules = (
        '[[packaging_rule]]\ntype = "stdlib-extensions-explicit-includes"\n'
        'includes = ["_socket", "array", "math", "select"]\n'
    )
    project.write(
        "pyoxidizer.toml", config_text(run=run, rules=rules, extensions='policy = "minimal"')
    )
    assert "warning" not in project.cli("build").stderr
    assert run_exe(project.exe()).returncode == 0


def test_default_init_config_builds_without_warnings(project: Project) -> None:
    project.cli("init", "app")
    proc = project.cli("build", "app")
    assert "warning" not in proc.stderr, proc.stderr
