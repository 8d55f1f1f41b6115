"""Resources, metadata and pkgutil for embedded packages, compared with the same package
imported from disk by this interpreter.

A small package with data files and a dist-info directory is written to disk; a payload is
built from it with the real pipeline pieces; the same probe then runs in two fresh
interpreters, one importing from disk and one from the payload, and their answers must agree.
"""

from __future__ import annotations

import json
import marshal
import subprocess
from pathlib import Path

import pytest

from pyoxidizer.assemble.materialise import materialise
from pyoxidizer.collect.resources import ResourceCollector
from pyoxidizer.collect.rules.common import FileRuleOptions, add_found
from pyoxidizer.collect.rules.scan import scan_root
from pyoxidizer.collect.stage import _add_runtime_services
from pyoxidizer.compile.bytecode import BytecodeCompiler, CompileJob
from pyoxidizer.payload.writer import PayloadHeader, write_payload
from pyoxidizer.pythondist import probe_host_distribution
from tests.helpers import SUPPORTED, find_python

FILES = {
    "svcpkg/__init__.py": "VERSION = '1.2'\n",
    "svcpkg/mod.py": "class Thing:\n    '''A documented class.'''\n    value = 7\n",
    "svcpkg/plugin.py": "def hook():\n    return 'plugged'\n",
    "svcpkg/VERSION.txt": "1.2\n",
    "svcpkg/data/a.txt": "alpha text\n",
    "svcpkg/data/nested/b.bin": "\x00\x01binary",
    "svcpkg/sub/__init__.py": "",
    "svcpkg/sub/leaf.py": "LEAF = True\n",
    "nsdemo/one/x.py": "X = 1\n",
    "svc_dist-1.2.dist-info/METADATA": "Metadata-Version: 2.1\nName: svc-dist\nVersion: 1.2\nRequires-Dist: pyflakes>=2\nRequires-Dist: rich; extra == 'fancy'\n",
    "svc_dist-1.2.dist-info/top_level.txt": "svcpkg\n",
    "svc_dist-1.2.dist-info/entry_points.txt": "[console_scripts]\nsvc = svcpkg.mod:main\n\n[svc.plugins]\nfirst = svcpkg.plugin:hook\n",
    "svc_dist-1.2.dist-info/RECORD": "svcpkg/__init__.py,,\nsvcpkg/data/a.txt,,\nsvcpkg/mod.py,,\nsvc_dist-1.2.dist-info/METADATA,,\n",
}

PROBE = r"""
import importlib.metadata as md, importlib.resources as r, inspect, json, pkgutil, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)
import svcpkg, svcpkg.mod
f = r.files("svcpkg")
out = {}
out["iterdir"] = sorted(p.name for p in f.iterdir() if p.name != "__pycache__")
out["data_dir"] = sorted(p.name for p in (f / "data").iterdir())
out["read_text"] = (f / "data" / "a.txt").read_text()
out["read_bytes"] = (f / "data" / "nested" / "b.bin").read_bytes().hex()
out["joinpath"] = f.joinpath("data", "nested", "b.bin").read_bytes().hex()
out["kinds"] = [(f / "data").is_dir(), (f / "data").is_file(), (f / "data" / "a.txt").is_file(),
                (f / "missing").is_file(), (f / "missing").is_dir()]
with (f / "data" / "a.txt").open("rb") as h:
    out["open_rb"] = h.read().decode()
with (f / "data" / "a.txt").open() as h:
    out["open_r"] = h.read()
with r.as_file(f / "data" / "a.txt") as p:
    out["as_file"] = [open(p).read(), p.exists()]
out["as_file_gone"] = p.exists() if "site" not in str(p) else False
out["legacy"] = [r.read_text("svcpkg", "VERSION.txt"), r.open_binary("svcpkg", "VERSION.txt").read().decode(),
                 r.is_resource("svcpkg", "VERSION.txt"), r.is_resource("svcpkg", "data"),
                 sorted(x for x in r.contents("svcpkg") if x != "__pycache__")]
out["version"] = md.version("svc-dist")
out["metadata"] = md.metadata("svc_dist")["Name"]
out["requires"] = md.requires("svc-dist")
out["files"] = sorted(str(p) for p in md.files("svc-dist"))
out["file_read"] = [p.read_text() for p in md.files("svc-dist") if str(p) == "svcpkg/data/a.txt"]
eps = md.entry_points()
out["console"] = sorted(ep.name + "=" + ep.value for ep in eps.select(group="console_scripts") if ep.name == "svc")
out["plugins"] = [ep.load()() for ep in eps.select(group="svc.plugins")]
out["in_distributions"] = "svc-dist" in [d.metadata["Name"] for d in md.distributions()]
out["packages_distributions"] = md.packages_distributions().get("svcpkg")
out["iter_modules"] = sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(svcpkg.__path__))
out["walk_packages"] = sorted(m.name for m in pkgutil.walk_packages(svcpkg.__path__, "svcpkg."))
import nsdemo.one.x
out["namespace"] = nsdemo.one.x.X
out["pkgutil_get_data"] = (pkgutil.get_data("svcpkg", "data/a.txt") or b"").decode() or None
out["has_file"] = hasattr(svcpkg.mod, "__file__")
try:
    out["getsource_class"] = inspect.getsource(svcpkg.mod.Thing).splitlines()[0]
except (TypeError, OSError) as exc:
    out["getsource_class"] = type(exc).__name__
out["getsource_function"] = inspect.getsource(svcpkg.plugin.hook if hasattr(svcpkg, "plugin") else __import__("svcpkg.plugin").plugin.hook).splitlines()[0]
print(json.dumps(out))
"""

RUN_EMBEDDED = r"""
import sys
sys.path[:] = [p for p in sys.path if p]  # nothing of the package on sys.path
from pyoxidizer.payload.reader import InMemoryServices
from pyoxidizer.runtime import importer
payload = importer.Payload(InMemoryServices(open(sys.argv[1], "rb").read()))
finder = importer.OxidizedFinder(payload, "/virtual/app", virtual_files=sys.argv[2] == "1")
sys.meta_path.insert(2, finder)
sys.path_hooks.insert(0, finder.path_hook)
exec(compile(sys.argv[3], "<probe>", "exec"))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture(scope="module", params=SUPPORTED)
def python(request: pytest.FixtureRequest) -> str:
    found = find_python(request.param)
    if found is None:
        pytest.skip(f"CPython {request.param} is not installed here")
    return found


@pytest.fixture(scope="module")
def payload_file(site: Path, python: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = probe_host_distribution(python)
    collector = ResourceCollector()
    add_found(scan_root(site, (dist.ext_suffix,)), FileRuleOptions(), collector, "test")
    collector.add_missing_parents()
    _add_runtime_services(collector)
    compiler = BytecodeCompiler(dist.python_exe, None)
    modules = sorted(collector.modules.values(), key=lambda m: m.name)
    codes = compiler.compile(
        [CompileJob(m.name, m.source, f"<oxidized>/{m.name}.py", 0) for m in modules]
    )
    assert compiler.magic is not None
    mat = materialise(
        collector,
        {m.name: c or b"" for m, c in zip(modules, codes, strict=True)},
        compiler.magic,
        dist,
        None,
    )
    payload, _ = write_payload(PayloadHeader(0, 0, marshal.dumps({}), b""), mat.entries)
    out = tmp_path_factory.mktemp("payload") / "payload.bin"
    out.write_bytes(payload)
    return out


def _probe(cmd: list[str], cwd: Path) -> dict[str, object]:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def _from_disk(python: str, site: Path) -> dict[str, object]:
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n" + PROBE
    return _probe([python, "-I", "-c", code], site)


def _embedded(python: str, payload_file: Path, virtual: bool, cwd: Path) -> dict[str, object]:
    repo = Path(__file__).resolve().parents[2] / "src"
    code = f"import sys; sys.path.insert(0, {str(repo)!r})\n" + RUN_EMBEDDED
    return _probe(
        [python, "-I", "-c", code, str(payload_file), "1" if virtual else "0", PROBE], cwd
    )


# Keys whose embedded answer differs from disk by design, with the embedded value.
NO_FILE_DIFFERENCES = {
    "pkgutil_get_data": None,  # pkgutil.get_data needs __file__
    "has_file": False,  # embedded modules are not files (docs/user-guide.md)
    "getsource_class": "TypeError",  # inspect needs __file__ to find a class's module file
}


def test_embedded_matches_disk_except_where_documented(
    python: str, site: Path, payload_file: Path, tmp_path: Path
) -> None:
    disk = _from_disk(python, site)
    embedded = _embedded(python, payload_file, virtual=False, cwd=tmp_path)
    assert disk["pkgutil_get_data"] == "alpha text\n" and disk["getsource_class"] == "class Thing:"
    for key, value in NO_FILE_DIFFERENCES.items():
        assert embedded.pop(key) == value, key
        disk.pop(key)
    assert embedded == disk


def test_virtual_files_make_file_based_apis_work(
    python: str, site: Path, payload_file: Path, tmp_path: Path
) -> None:
    disk = _from_disk(python, site)
    assert _embedded(python, payload_file, virtual=True, cwd=tmp_path) == disk
