"""Render an ``Analysis`` as text for people or as JSON for programs (pure functions)."""

from __future__ import annotations

import dataclasses
import json

from pyoxidizer.commands.analyze import Analysis, AppFileInfo
from pyoxidizer.commands.analyze.compat import library_note, version_key
from pyoxidizer.commands.analyze.contents import PayloadSummary
from pyoxidizer.commands.analyze.embedded import EmbeddedNeeds

APP_FILES_SHOWN = 20
_UNITS = ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"))


def human_bytes(n: int) -> str:
    for scale, unit in _UNITS:
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def to_json(analysis: Analysis) -> str:
    return json.dumps(dataclasses.asdict(analysis), indent=2, default=str) + "\n"


def render_text(a: Analysis) -> str:
    lines = [a.file, *_elf_lines(a), "", *_distribution_lines(a)]
    if a.payload_error is not None:
        lines += ["", f"pyoxidizer payload: present but damaged: {a.payload_error}"]
    if a.payload is not None:
        lines += ["", *_payload_lines(a)]
    if a.embedded_needs is not None:
        lines += ["", *_embedded_needs_lines(a.embedded_needs, a.glibc_required)]
    if a.app_files is not None:
        lines += ["", *_app_file_lines(a.app_files)]
    return "\n".join(lines) + "\n"


def _elf_lines(a: Analysis) -> list[str]:
    e = a.elf
    lines = [
        f"  format:       ELF {e.bits}-bit {e.endianness}-endian, {e.machine}, {e.kind}",
        f"  size:         {human_bytes(a.size)} ({a.size} bytes)",
        f"  interpreter:  {e.interpreter or '(none)'}",
        f"  C library:    {_libc_text(a)}",
        f"  libstdc++:    {_glibcxx_text(a)}",
        "  libraries (DT_NEEDED):" if e.needed else "  libraries (DT_NEEDED): none",
    ]
    width = max((len(n) for n in e.needed), default=0)
    for name in e.needed:
        note = library_note(name) or "must be installed on the target"
        lines.append(f"    {name:<{width}}  {note}")
    if e.runpath:
        lines.append(f"  run path:     {':'.join(e.runpath)}")
    return lines


def _glibcxx_text(a: Analysis) -> str:
    if a.glibcxx_required is None:
        return "no GLIBCXX_* symbol versions needed"
    return f"newest symbol version needed: GLIBCXX_{a.glibcxx_required} (not judged per release)"


def _libc_text(a: Analysis) -> str:
    if a.libc == "static":
        linked = "links no libraries" if a.elf.kind == "shared library" else "statically linked"
        return f"none ({linked})"
    if a.libc == "musl":
        return "musl"
    newest = f"GLIBC_{a.glibc_required}" if a.glibc_required else "no versioned symbols"
    return f"glibc, newest symbol version needed: {newest}"


def _distribution_lines(a: Analysis) -> list[str]:
    lines = [
        f"Linux distributions that can run it ({a.elf.machine}; judged by the C library only,",
        "libraries marked 'must be installed' are also needed):",
    ]
    width = max(len(f"{v.distro} {v.release}") for v in a.distributions)
    for v in a.distributions:
        label = f"{v.distro} {v.release}"
        lines.append(f"  {'yes' if v.runs else 'no ':<3}  {label:<{width}}  {v.reason}")
    return lines


def _payload_lines(a: Analysis) -> list[str]:
    p = a.payload
    assert p is not None
    version = (
        f"CPython {a.python_version.version} (from {a.python_version.evidence})"
        if a.python_version
        else "unknown (no Py_Version symbol and no unambiguous version string)"
    )
    return [
        "Embedded Python (pyoxidizer payload)",
        f"  Python:             {version}",
        f"  run mode:           {_run_text(p)}",
        f"  interpreter flags:  {', '.join(p.interpreter_flags) or '(none)'}",
        f"  optimize level:     {p.optimize_level}",
        f"  stdio encoding:     {p.stdio_encoding or '(default)'}",
        *_config_lines(p),
        f"  launcher:           {human_bytes(p.launcher_bytes)}",
        f"  payload:            {human_bytes(p.payload_bytes)}",
        *_kind_lines(p),
        "  largest top-level packages:",
        *(
            f"    {human_bytes(s.bytes):>9}  {s.name} ({_entries(s.entries)})"
            for s in p.largest_packages
        ),
    ]


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _run_text(p: PayloadSummary) -> str:
    config = p.runtime_config
    if p.run_mode == "eval":
        return f"eval: {config.get('code')!r}"
    if p.run_mode == "module":
        return f"module: {config.get('module')}"
    return p.run_mode


def _config_lines(p: PayloadSummary) -> list[str]:
    skipped = {"mode", "code", "module"}
    items = [(k, v) for k, v in sorted(p.runtime_config.items()) if k not in skipped]
    return ["  run-time config:", *(f"    {key} = {value!r}" for key, value in items)]


def _kind_lines(p: PayloadSummary) -> list[str]:
    lines = []
    for total in p.kinds:
        line = f"  {total.kind + ':':<19} {total.count:>6}  {human_bytes(total.bytes):>9}"
        if total.stored_bytes != total.bytes:
            line += f" ({human_bytes(total.stored_bytes)} stored)"
        if total.kind == "modules":
            line += (
                f"  ({p.packages} packages; bytecode {human_bytes(p.bytecode_bytes)}, "
                f"source of {p.modules_with_source} modules {human_bytes(p.source_bytes)})"
            )
        lines.append(line)
    return lines


def _embedded_needs_lines(needs: EmbeddedNeeds, launcher_glibc: str | None) -> list[str]:
    lines = ["Needed when embedded extension modules are imported (not to start the executable):"]
    if needs.glibc_required is None:
        lines.append("  glibc: no versioned symbols")
    else:
        newer = launcher_glibc is None or (
            version_key(needs.glibc_required) > version_key(launcher_glibc)
        )
        note = "newer than the executable's own need" if newer else "no newer than the executable's"
        by = _first(needs.glibc_required_by)
        lines.append(f"  glibc: GLIBC_{needs.glibc_required} ({note}; by {by})")
    if needs.libraries:
        lines.append("  libraries that must be installed on the target:")
        width = max(len(lib) for lib in needs.libraries)
        lines += [f"    {lib:<{width}}  {_first(users)}" for lib, users in needs.libraries.items()]
    else:
        lines.append("  libraries: none beyond glibc")
    if needs.unreadable:
        lines.append(f"  not readable as ELF: {_first(needs.unreadable)}")
    return lines


def _first(names: tuple[str, ...], shown: int = 4) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _app_file_lines(files: tuple[AppFileInfo, ...]) -> list[str]:
    total = sum(f.bytes for f in files)
    lines = [f"App-relative files next to the executable: {len(files)} ({human_bytes(total)})"]
    lines += [f"  {human_bytes(f.bytes):>9}  {f.path}" for f in files[:APP_FILES_SHOWN]]
    if len(files) > APP_FILES_SHOWN:
        lines.append(f"  ... and {len(files) - APP_FILES_SHOWN} more")
    return lines
