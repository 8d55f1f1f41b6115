"""Process behaviour of a built executable, compared with ``python`` running the same code.

One app is built for the module; its entry module does one thing per first argument. Where
python's behaviour is the reference (exit codes, SIGINT, broken pipes), the test runs the
same source file with the interpreter that built the app and compares.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import Project, config_text, run_exe

APP = r"""
import atexit, faulthandler, os, signal, subprocess, sys, threading, time


def main(what, args):
    if what == "exit":
        atexit.register(print, "atexit ran", flush=True)
        sys.exit(int(args[0]))
    if what == "raise":
        raise RuntimeError("boom")
    if what == "sleep":
        print("ready", flush=True)
        time.sleep(60)
    if what == "spam":
        for i in range(200_000):
            print("line", i)
    if what == "argv":
        print(ascii([os.fsencode(a) for a in args]))
        print(sys.executable == os.path.realpath(sys.executable), sys.executable)
    if what == "threads":
        total, lock = [0], threading.Lock()

        def work(n):
            for _ in range(1000):
                with lock:
                    total[0] += n

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("threads", total[0], threading.active_count())
    if what == "signals":
        seen = []
        signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(42))
        os.kill(os.getpid(), signal.SIGUSR1)
        print("handled", seen == [signal.SIGUSR1], flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    if what == "faulthandler":
        faulthandler.enable()
        faulthandler._sigsegv()
    if what == "subprocess":
        child = subprocess.run([sys.executable, "argv", "from-child"], capture_output=True)
        print("child", child.returncode, child.stdout.decode().splitlines()[0])
    if what == "import-json":
        import json
        print(type(json.__spec__.loader).__name__, getattr(json, "PLANTED", False))
    if what == "reexec-as-python":
        child = subprocess.run([sys.executable, "-B", "-c", "print('python?')"], capture_output=True, text=True)
        print("child", child.returncode, "python?" in child.stdout, child.stderr.strip())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> tuple[Path, Path]:
    """(executable, the app's source file for python to run)."""
    project = Project(tmp_path_factory.mktemp("process"), cache_dir)
    source = project.write("src/procapp.py", APP)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["procapp"]\n'
    run = 'mode = "module"\nmodule = "procapp"'
    project.write("pyoxidizer.toml", config_text(rules=rules, run=run))
    return project.build(), source


def _python(source: Path, *args: str) -> list[str]:
    return [sys.executable, "-I", str(source), *args]


def test_sys_exit_code_and_atexit(app: tuple[Path, Path]) -> None:
    proc = run_exe(app[0], "exit", "7")
    assert (proc.returncode, proc.stdout, proc.stderr) == (7, "atexit ran\n", "")


def test_uncaught_exception_prints_traceback_and_exits_1(app: tuple[Path, Path]) -> None:
    exe, source = app
    proc = run_exe(exe, "raise")
    reference = subprocess.run(_python(source, "raise"), capture_output=True, text=True)
    assert proc.returncode == reference.returncode == 1
    assert proc.stderr.splitlines()[0] == "Traceback (most recent call last):"
    assert proc.stderr.splitlines()[-1] == reference.stderr.splitlines()[-1]
    assert "RuntimeError: boom" in proc.stderr and 'raise RuntimeError("boom")' in proc.stderr


def _default_sigint() -> None:
    """Children inherit an ignored SIGINT (pytest run in the background); python keeps it so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_sigint_raises_keyboard_interrupt_and_dies_of_sigint_like_python(
    app: tuple[Path, Path],
) -> None:
    exe, source = app
    proc = _interrupt([str(exe), "sleep"])
    reference = _interrupt(_python(source, "sleep"))
    assert proc.returncode == reference.returncode == -signal.SIGINT  # a shell shows 130
    assert proc.stderr.splitlines()[-1] == reference.stderr.splitlines()[-1] == "KeyboardInterrupt"
    # Job control on: a non-interactive shell would start the job with SIGINT ignored.
    shell = subprocess.run(
        ["bash", "-c", f"set -m; {exe} sleep & sleep 1; kill -INT $!; wait $!; echo $?"],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=_default_sigint,
    )
    assert shell.stdout.splitlines()[-1] == "130"


def _into_head(cmd: list[str]) -> tuple[int, str, str]:
    """Run ``cmd | head -1``; return (cmd's exit status, head's output, cmd's stderr)."""
    quoted = " ".join(f"'{c}'" for c in cmd)
    script = f"{quoted} 2>err | head -1; echo ${{PIPESTATUS[0]}} >status"
    cwd = Path(os.environ.get("TMPDIR", "/tmp"))
    work = Path(subprocess.check_output(["mktemp", "-d", f"{cwd}/pipe.XXXX"], text=True).strip())
    out = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True).stdout
    return int((work / "status").read_text()), out, (work / "err").read_text()


def test_broken_pipe_on_stdout_is_handled_like_python(app: tuple[Path, Path]) -> None:
    exe, source = app
    status, out, err = _into_head([str(exe), "spam"])
    ref_status, ref_out, ref_err = _into_head(_python(source, "spam"))
    assert out == ref_out == "line 0\n"
    assert status == ref_status  # 1 (or 120 when only the final flush fails), never SIGPIPE
    assert err.count("BrokenPipeError") == ref_err.count("BrokenPipeError") <= 2
    assert err.count("Traceback") == ref_err.count("Traceback") <= 1


def test_argv_keeps_undecodable_bytes_and_executable_is_the_binary(
    app: tuple[Path, Path],
) -> None:
    exe = app[0]
    raw = [str(exe).encode(), b"argv", b"caf\xc3\xa9", b"\xff\xfe-not-utf8", b""]
    proc = subprocess.run(raw, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == ascii([b"caf\xc3\xa9", b"\xff\xfe-not-utf8", b""])
    assert lines[1] == f"True {exe}"


def test_threads(app: tuple[Path, Path]) -> None:
    proc = run_exe(app[0], "threads")
    assert (proc.returncode, proc.stdout) == (0, f"threads {1000 * sum(range(8))} 1\n")


def test_signal_handlers(app: tuple[Path, Path]) -> None:
    proc = run_exe(app[0], "signals")
    assert (proc.returncode, proc.stdout) == (42, "handled True\n")


def test_faulthandler_dumps_the_python_stack(app: tuple[Path, Path]) -> None:
    proc = run_exe(app[0], "faulthandler")
    assert proc.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in proc.stderr
    assert '<oxidized>/procapp.py", line' in proc.stderr


def test_subprocess_of_sys_executable_runs_the_same_app(app: tuple[Path, Path]) -> None:
    proc = run_exe(app[0], "subprocess")
    assert (proc.returncode, proc.stdout) == (0, "child 0 [b'from-child']\n")


def test_reexec_as_python_is_refused_not_repeated(app: tuple[Path, Path]) -> None:
    exe = app[0]
    proc = run_exe(exe, "reexec-as-python")
    assert proc.returncode == 0, proc.stderr
    status, ran_code, message = proc.stdout.rstrip("\n").split(" ", 3)[1:]
    assert (status, ran_code) == ("2", "False")
    assert message.endswith(
        "it is not a Python interpreter, and running the application "
        "again could repeat without end, so it stops here"
    )
    # Started by anything else, the same arguments are the application's own.
    direct = run_exe(exe, "argv", "-c", "x")
    assert direct.stdout.splitlines()[0] == "[b'-c', b'x']"


def test_environment_and_working_directory_cannot_inject_modules(
    app: tuple[Path, Path], tmp_path: Path
) -> None:
    """Defaults: ignore_environment and no filesystem_importer (spec 7.3.3)."""
    (tmp_path / "json.py").write_text("PLANTED = True\n")
    (tmp_path / "startup.py").write_text("print('startup ran')\n")
    env = dict(
        os.environ,
        PYTHONPATH=str(tmp_path),
        PYTHONHOME="/nonexistent",
        PYTHONSTARTUP=str(tmp_path / "startup.py"),
        PYTHONINSPECT="1",
    )
    proc = run_exe(app[0], "import-json", cwd=tmp_path, env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "OxidizedFinder False\n", "")


def test_sigint_during_start_up_is_not_lost(app: tuple[Path, Path]) -> None:
    """A SIGINT that arrives while the app sleeps right after start still ends it."""
    exe = app[0]
    proc = subprocess.Popen(
        [str(exe), "sleep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,
    )
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGINT
