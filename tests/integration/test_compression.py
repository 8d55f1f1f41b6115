"""The ``compression`` key, observed in built executables: what is stored as zstd frames,
what is stored as it is, and that both read back the same at run time."""

from __future__ import annotations

from pathlib import Path

from pyoxidizer.payload.format import EntryFlag, Kind
from pyoxidizer.payload.reader import EntryInfo, locate_payload, read_payload
from tests.helpers import Project, config_text, run_exe, write_native_package

CODE = (
    "import importlib.resources as r, oxnative, plainpkg, json;"
    "print(oxnative.answer(), plainpkg.VALUE, (r.files('plainpkg') / 'data.txt').read_text().splitlines()[0],"
    " (r.files('oxnative') / 'data.txt').read_text().splitlines()[0])"
)


def _entries(exe: Path) -> dict[tuple[Kind, str], EntryInfo]:
    contents = read_payload(locate_payload(exe.read_bytes())[0])
    return {(e.kind, e.name): e for e in contents.entries}


def _zstd(entry: EntryInfo) -> bool:
    return bool(entry.flags & EntryFlag.DATA_ZSTD)


def test_defaults_and_compression_none_per_rule(project: Project) -> None:
    write_native_package(project.root)
    (project.root / "src" / "oxnative" / "data.txt").write_text("compressed data\n" * 20)
    project.write(
        "src/oxnative/helpers.py", "".join(f"def f{i}(): return {i}\n" for i in range(50))
    )
    project.write("src/plainpkg/__init__.py", "VALUE = 'plain'\n" + "# padding\n" * 50)
    project.write("src/plainpkg/data.txt", "stored as it is\n" * 20)
    rules = (
        '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["oxnative"]\n'
        '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["plainpkg"]\n'
        'compression = "none"\n'
    )
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run=f'mode = "eval"\ncode = "{CODE}"')
    )
    exe = project.build()
    assert run_exe(exe).stdout == "42 plain stored as it is compressed data\n"
    entries = _entries(exe)
    # Default: the standard library compressed (with dictionaries), extension modules too;
    # a package rule compresses what is read on demand (sources, resource files), not what
    # its imports read (bytecode, extension modules, libraries).
    assert _zstd(entries[(Kind.MODULE, "json")]) and entries[(Kind.MODULE, "json")].flags & (
        EntryFlag.SOURCE_ZSTD
    )
    assert not _zstd(entries[(Kind.MODULE, "oxnative.helpers")])
    assert entries[(Kind.MODULE, "oxnative.helpers")].flags & EntryFlag.SOURCE_ZSTD
    assert _zstd(entries[(Kind.RESOURCE, "oxnative\0data.txt")])
    assert _zstd(entries[(Kind.EXTENSION, "_decimal")])
    assert not _zstd(entries[(Kind.EXTENSION, "oxnative._native")])
    assert not any(_zstd(e) for (kind, _), e in entries.items() if kind == Kind.SHARED_LIBRARY)
    assert {name for kind, name in entries if kind == Kind.DICTIONARY} == {"bytecode", "source"}
    # compression = "none": stored as it is, every blob of the rule.
    plain = entries[(Kind.MODULE, "plainpkg")]
    assert not plain.flags & (EntryFlag.DATA_ZSTD | EntryFlag.SOURCE_ZSTD)
    assert not _zstd(entries[(Kind.RESOURCE, "plainpkg\0data.txt")])


def test_compression_zstd_and_none_on_the_standard_library(project: Project) -> None:
    write_native_package(project.root)
    project.write(
        "src/oxnative/helpers.py", "".join(f"def f{i}(): return {i}\n" for i in range(50))
    )
    rules = (
        '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["oxnative"]\n'
        'compression = "zstd"\n'
    )
    config = config_text(
        rules=rules,
        run='mode = "eval"\ncode = "import _decimal, json, oxnative; print(oxnative.answer())"',
        extensions='policy = "all"\ncompression = "none"',
    ).replace('type = "stdlib"\n', 'type = "stdlib"\ncompression = "none"\n')
    project.write("pyoxidizer.toml", config)
    exe = project.build()
    assert run_exe(exe).stdout == "42\n"
    entries = _entries(exe)
    assert not _zstd(entries[(Kind.MODULE, "json")])
    assert not _zstd(entries[(Kind.EXTENSION, "_decimal")])
    # compression = "zstd" on a package rule compresses its bytecode and shared objects too.
    assert _zstd(entries[(Kind.MODULE, "oxnative.helpers")])
    assert _zstd(entries[(Kind.EXTENSION, "oxnative._native")])
    assert all(_zstd(e) for (kind, _), e in entries.items() if kind == Kind.SHARED_LIBRARY)
    assert not any(kind == Kind.DICTIONARY for kind, _ in entries)


def test_unknown_compression_is_one_error_line(project: Project) -> None:
    project.write(
        "pyoxidizer.toml",
        config_text().replace('type = "stdlib"\n', 'type = "stdlib"\ncompression = "lz4"\n'),
    )
    proc = project.cli("build", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "compression" in proc.stderr and "'zstd' or 'none'" in proc.stderr
