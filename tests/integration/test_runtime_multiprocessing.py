"""multiprocessing and ProcessPoolExecutor in a packaged app, without freeze_support().

multiprocessing starts its children (spawn workers, the forkserver, the resource tracker)
by running sys.executable with python's command line; the executable recognises exactly
those command lines. The first tests drive the recogniser directly; the others build an
app and run pools of 4 workers over 1,000 tasks with every start method.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from pyoxidizer.launcher.allocators import available_allocators
from pyoxidizer.runtime import contract
from tests.helpers import Project, config_text, run_exe

BOOTSTRAP = Path(__file__).resolve().parents[2] / "src/pyoxidizer/runtime/bootstrap.py"


@pytest.fixture(scope="module")
def bootstrap() -> types.ModuleType:
    """runtime/bootstrap.py imported outside an executable, with stand-in launcher modules."""
    launcher = types.ModuleType("_pyoxidizer")
    launcher.executable = "/opt/app/app"  # type: ignore[attr-defined]
    names = ("_pyoxidizer", "_pyoxidizer_importer", "_pyoxidizer_contract")
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules["_pyoxidizer"] = launcher
    sys.modules["_pyoxidizer_importer"] = types.ModuleType("_pyoxidizer_importer")
    sys.modules["_pyoxidizer_contract"] = contract
    try:
        spec = importlib.util.spec_from_file_location("bootstrap_under_test", BOOTSTRAP)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
    return module


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["-B", "-s", "-S", "-E", "-P", "-c", "code", "--multiprocessing-fork"],
            ("c", "code", ["--multiprocessing-fork"]),
        ),
        (
            ["-BsE", "-Wignore", "-W", "error", "-X", "dev", "-Xutf8", "-c", "code"],
            ("c", "code", []),
        ),
        (["-Ic", "code", "a"], ("c", "code", ["a"])),
        (["-OO", "-m", "pkg", "a"], ("m", "pkg", ["a"])),
        (["--check-hash-based-pycs", "never", "-ccode"], ("c", "code", [])),
        (["-v"], None),  # flags alone: an app's own option
        (["-B", "-c"], None),
        (["-z", "-c", "code"], None),  # not one of python's options
        (["--verbose", "-c", "code"], None),
        (["config.toml", "-c", "code"], None),
    ],
)
def test_interpreter_command_lines_are_parsed_like_python(
    bootstrap: types.ModuleType, argv: list[str], expected: object
) -> None:
    assert bootstrap._interpreter_command(["app", *argv]) == expected


SPAWN = "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)"
FORKSERVER = (
    "from multiprocessing.forkserver import main; main(3, 4, ['__main__'], **{'sys_path': ['/x']})"
)
TRACKER = "from multiprocessing.resource_tracker import main;main(6)"


def test_multiprocessing_child_commands_are_recognised(bootstrap: types.ModuleType) -> None:
    child = bootstrap._multiprocessing_child
    assert child(["app", "-B", "-s", "-c", SPAWN, "--multiprocessing-fork"]) == (
        ("multiprocessing.spawn", "spawn_main"),
        [],
        {"tracker_fd": 5, "pipe_handle": 7},
        ["-c", "--multiprocessing-fork"],
    )
    assert child(["app", "-c", FORKSERVER])[1:3] == ([3, 4, ["__main__"]], {"sys_path": ["/x"]})
    assert child(["app", "-E", "-c", TRACKER])[:3] == (
        ("multiprocessing.resource_tracker", "main"),
        [6],
        {},
    )
    # The sys.frozen form of spawn.get_command_line().
    frozen = ["app", "--multiprocessing-fork", "tracker_fd=5", "pipe_handle=7"]
    assert child(frozen)[2] == {"tracker_fd": 5, "pipe_handle": 7}


@pytest.mark.parametrize(
    "code",
    [
        SPAWN + "; import os",
        "import os; os.system('id')",
        "from multiprocessing.spawn import spawn_main; spawn_main(__import__('os').getpid())",
        "from multiprocessing.spawn import spawn_main as run; run(pipe_handle=7)",
        "from multiprocessing.util import main; main(1)",
        "from multiprocessing.resource_tracker import main; print(6)",
        "from multiprocessing.resource_tracker import main; main(*range(3))",
        "from multiprocessing.resource_tracker import main; main(",
        "from multiprocessing.resource_tracker import main; main(**[1])",
        "from multiprocessing.resource_tracker import main; main(**{1: 2})",
        "from multiprocessing.resource_tracker import main; main(" + "[" * 5000 + "]" * 5000 + ")",
    ],
)
def test_nothing_else_is_run_from_the_command_line(bootstrap: types.ModuleType, code: str) -> None:
    assert bootstrap._multiprocessing_child(["app", "-c", code]) is None


@pytest.mark.parametrize(
    "args", [["a=b"], [], ["tracker_fd=5"], ["pipe_handle=7", "evil=1"], ["pipe_handle=None"]]
)
def test_only_spawn_mains_arguments_pass_in_the_frozen_form(
    bootstrap: types.ModuleType, args: list[str]
) -> None:
    assert bootstrap._multiprocessing_child(["app", "--multiprocessing-fork", *args]) is None


APP = r"""
import json, multiprocessing, os, sys
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def pid(_):
    return os.getpid()


def main(method):
    if method == "executor":
        with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
            total = sum(pool.map(square, range(1000), chunksize=25))
            pids = set(pool.map(pid, range(100)))
    else:
        with multiprocessing.get_context(method).Pool(4) as pool:
            total = sum(pool.map(square, range(1000), chunksize=25))
            pids = set(pool.map(pid, range(100)))
    from multiprocessing import resource_tracker
    tracker = resource_tracker._resource_tracker
    print(json.dumps({
        "total": total,
        "workers": len(pids),
        "parent_is_worker": os.getpid() in pids,
        "tracker_alive": tracker._fd is not None and tracker._check_alive(),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
"""


def _build(project: Project, embedded: str = "") -> Path:
    project.write("src/mpapp.py", APP)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["mpapp"]\n'
    run = 'mode = "module"\nmodule = "mpapp"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run, embedded=embedded))
    return project.build()


# The demanding case: jemalloc must survive fork() too (it is the spec's default allocator).
ALLOCATOR = 'raw_allocator = "jemalloc"' if available_allocators(("cc",)) else ""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    return _build(Project(tmp_path_factory.mktemp("mp"), cache_dir), ALLOCATOR)


def _run_pool(exe: Path, method: str) -> dict[str, object]:
    proc = run_exe(exe, method)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no resource-tracker warnings, no stray tracebacks
    seen: dict[str, object] = json.loads(proc.stdout)
    assert seen["total"] == sum(x * x for x in range(1000))
    assert 1 <= int(str(seen["workers"])) <= 4 and seen["parent_is_worker"] is False
    return seen


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver", "executor"])
def test_pool_of_4_workers_over_1000_tasks(app: Path, method: str) -> None:
    seen = _run_pool(app, method)
    if method != "fork":
        # Its semaphores are registered with the resource tracker: a recognised child too.
        assert seen["tracker_alive"] is True


def test_spawn_with_sys_frozen_uses_the_frozen_command_line(project: Project) -> None:
    _run_pool(_build(project, "sys_frozen = true"), "spawn")


REEXEC = """
import multiprocessing, multiprocessing.spawn, sys

with open(sys.argv[1], "a") as fh:
    fh.write("started\\n")
# A multiprocessing whose child command line the executable does not know.
real = multiprocessing.spawn.get_command_line
multiprocessing.spawn.get_command_line = lambda **kw: [
    a.replace("import spawn_main; spawn_main(", "import spawn_main as entry; entry(")
    if isinstance(a, str) else a
    for a in real(**kw)
]
child = multiprocessing.get_context("spawn").Process(target=print)
child.start()
child.join()
print("child exit code", child.exitcode)
"""


def test_unrecognised_self_reexec_stops_at_once(project: Project, tmp_path: Path) -> None:
    """The child is refused instead of running the app again (which would repeat)."""
    project.write("src/reexec.py", REEXEC)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["reexec"]\n'
    run = 'mode = "module"\nmodule = "reexec"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    counter = tmp_path / "starts"
    proc = run_exe(project.build(), str(counter))
    assert proc.stdout == "child exit code 2\n", proc.stderr
    assert "it is not a Python interpreter" in proc.stderr
    assert counter.read_text() == "started\n"  # the app ran once: no chain of starts


class _Marker:
    """Unpickling this runs a shell command that creates a file: the exploit's payload."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return os.system, (f"echo pwned > {self.path}",)


@pytest.fixture(scope="module")
def default_app(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    """An app that never uses multiprocessing, with the defaults `pyoxidizer init` writes."""
    project = Project(tmp_path_factory.mktemp("mp-default"), cache_dir)
    project.write("pyoxidizer.toml", config_text(run='mode = "eval"\ncode = "print(42)"'))
    return project.build()


@pytest.mark.parametrize(
    "argv",
    [
        ["--multiprocessing-fork", "pipe_handle=0"],
        ["-c", "from multiprocessing.spawn import spawn_main; spawn_main(pipe_handle=0)"],
        [
            "-c",
            "from multiprocessing.spawn import spawn_main; spawn_main(pipe_handle=0)",
            "--multiprocessing-fork",
        ],
    ],
    ids=["frozen-form", "c-form", "c-form-with-flag"],
)
@pytest.mark.parametrize("through", ["direct", "shell", "forged-env"])
def test_a_pickle_on_stdin_is_never_run(
    default_app: Path, tmp_path: Path, argv: list[str], through: str
) -> None:
    """Whoever controls an app's arguments and stdin gets an error, not code execution."""
    import os
    import pickle

    marker = tmp_path / "marker"
    evil = tmp_path / "evil.pickle"
    evil.write_bytes(pickle.dumps(_Marker(marker)))
    env = dict(os.environ)
    command = [str(default_app), *argv]
    if through == "shell":
        command = ["sh", "-c", '"$0" "$@"; exit $?', *command]
    if through == "forged-env":
        # What every instance tells its children: an attacker can set it too.
        env["PYOXIDIZER_PARENT_EXECUTABLE"] = str(default_app)
    with evil.open("rb") as stdin:
        proc = subprocess.run(
            command, stdin=stdin, capture_output=True, text=True, timeout=60, env=env
        )
    assert not marker.exists(), "the pickle on stdin was executed"
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "refusing the multiprocessing child command line" in proc.stderr
    assert "Traceback" not in proc.stderr
