"""Seeded fuzzing of a built executable's trailer, index and blobs: no crash, no hang.

One app (the standard library, compressed, and an extension module with two bundled
libraries that need each other, uncompressed) is built once. Each case
copies it, damages one region in one way, runs it and classifies the outcome. Damage must
end as the app's normal output, one ``error:`` line, or an ``ImportError`` naming the damaged
entry; never a signal, a dynamic loader assertion, a ``Fatal Python error`` or a hang.

``PYOXIDIZER_FUZZ_CASES`` (default 2000) and ``PYOXIDIZER_FUZZ_SEED`` (default 13) choose
the run; the figures in docs/reliability.md come from ``PYOXIDIZER_FUZZ_CASES=10000``.
"""

from __future__ import annotations

import collections
import errno
import os
import random
import struct
import subprocess
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyoxidizer.payload.format import HEADER, RECORD, TRAILER, Kind
from pyoxidizer.payload.reader import locate_payload, read_payload
from tests.helpers import Project, config_text, run_exe, stored_blob, write_native_package

CASES = int(os.environ.get("PYOXIDIZER_FUZZ_CASES", "2000"))
SEED = int(os.environ.get("PYOXIDIZER_FUZZ_SEED", "13"))
CODE = "import json, _decimal, oxnative; print(json.dumps([oxnative.answer()]), _decimal.Decimal(5) / 2)"
EXPECTED = "[42] 2.5\n"
CRASH_MARKERS = ("Fatal Python error", "Inconsistency detected by ld.so", "Segmentation fault")


@dataclass(frozen=True)
class Region:
    name: str
    start: int  # file offsets
    end: int
    in_index: bool = False


@dataclass(frozen=True)
class Target:
    image: bytes
    regions: tuple[Region, ...]
    payload_start: int
    index_end: int


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Target:
    """The app as a release build: the whole standard library, compressed with its
    dictionaries, and the native package's uncompressed extension module and libraries."""
    root = tmp_path_factory.mktemp("fuzz") / "proj"
    root.mkdir()
    project = Project(root, cache_dir)
    write_native_package(root)
    rules = '[[packaging_rule]]\ntype = "package-root"\npath = "src"\npackages = ["oxnative"]\n'
    project.write(
        "pyoxidizer.toml", config_text(rules=rules, run=f'mode = "eval"\ncode = "{CODE}"')
    )
    image = project.build("--release").read_bytes()
    assert run_exe(project.exe("--release")).stdout == EXPECTED
    return Target(image, *_regions(image))


# The modules whose bytecode the run reads (CODE's imports and what CPython imports).
USED_MODULES = ("encodings", "encodings.aliases", "encodings.utf_8", "json", "json.decoder")


def _regions(image: bytes) -> tuple[tuple[Region, ...], int, int]:
    payload, index_end = locate_payload(image)
    start = len(image) - TRAILER.size - len(payload)
    fields = HEADER.unpack_from(payload, 0)
    count, names_size = fields[2], fields[3]
    records_end = start + HEADER.size + RECORD.size * count
    regions = [
        Region("trailer", len(image) - TRAILER.size, len(image)),
        Region("header", start, start + HEADER.size, in_index=True),
        Region("records", start + HEADER.size, records_end, in_index=True),
        Region("names", records_end, records_end + names_size, in_index=True),
        Region("settings", start + fields[6], start + fields[6] + fields[7]),
        Region("bootstrap", start + fields[9], start + fields[9] + fields[10]),
        Region("main code", start + fields[15], start + fields[15] + fields[16]),
    ]
    contents = read_payload(payload)
    wanted = {Kind.MODULE: USED_MODULES, Kind.EXTENSION: ("_decimal", "oxnative._native")}
    for entry in contents.entries:
        if entry.kind in (Kind.SHARED_LIBRARY, Kind.DICTIONARY) or entry.name in wanted.get(
            entry.kind, ()
        ):
            at, length = stored_blob(image, entry.kind, entry.name)
            regions.append(Region(f"{entry.kind.name.lower()} {entry.name}", at, at + length))
    return tuple(r for r in regions if r.end > r.start), start, start + index_end


def _mutate(target: Target, rng: random.Random) -> tuple[str, bytes]:
    """(description, damaged image) for one case."""
    data = bytearray(target.image)
    region = rng.choice(target.regions)
    operator = rng.choice(["flip", "byte", "field", "zeros", "truncate", "append"])
    at = rng.randrange(region.start, region.end)
    if operator == "flip":
        data[at] ^= 1 << rng.randrange(8)
    elif operator == "byte":
        data[at] = rng.randrange(256)
    elif operator == "field":
        at -= (at - region.start) % 4
        width = 8 if region.name == "trailer" and at - region.start >= 16 else 4
        at = min(at, region.end - width)
        interesting = [0, 1, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, len(data), len(data) - 40]
        if width == 8:
            interesting += [2**63, 2**64 - 1, 2**64 - 4096, 2**64 - len(data)]
        value = rng.choice(interesting + [rng.randrange(2 ** (8 * width))]) % 2 ** (8 * width)
        data[at : at + width] = value.to_bytes(width, "little")
    elif operator == "zeros":
        span = rng.randrange(1, 65)
        data[at : at + span] = bytes(len(data[at : at + span]))
    elif operator == "truncate":
        del data[at:]
    else:
        data += rng.randbytes(rng.randrange(1, 200))
    fixed = ""
    if region.in_index and operator not in ("truncate", "append") and rng.random() < 0.5:
        # Damage that keeps the index checksum valid: the parsers' bounds checks, not
        # the checksum, must stop it.
        crc_at = len(data) - TRAILER.size + TRAILER.offsets["index_crc"]
        data[crc_at : crc_at + 4] = struct.pack(
            "<I", zlib.crc32(data[target.payload_start : target.index_end])
        )
        fixed = ", index checksum fixed up"
    return f"{operator} in {region.name} at {at - region.start}{fixed}", bytes(data)


def _classify(proc: subprocess.CompletedProcess[str] | None) -> str:
    if proc is None:
        return "hang"
    if proc.returncode < 0 or any(marker in proc.stderr for marker in CRASH_MARKERS):
        return "crash"
    if proc.returncode == 0:
        return "ran normally" if proc.stdout == EXPECTED else "ran, other output"
    lines = proc.stderr.strip().splitlines()
    if len(lines) == 1 and ": error: " in lines[0]:
        return "one error line"
    if lines and lines[-1].startswith("ImportError: embedded payload is corrupt"):
        return "ImportError naming the damage"
    return "other error exit"


def _run(path: Path) -> subprocess.CompletedProcess[str] | None:
    """Run a case; None if it hangs."""
    for _ in range(50):
        try:
            return subprocess.run(
                [str(path)], capture_output=True, text=True, timeout=30, errors="replace"
            )
        except subprocess.TimeoutExpired:
            return None
        except OSError as exc:
            # Another thread's child, between its fork and its exec, still holds the
            # descriptor this file was written through.
            if exc.errno != errno.ETXTBSY:
                raise
            time.sleep(0.01)
    raise AssertionError(f"{path} stayed busy")


def _run_case(target: Target, number: int, directory: Path) -> tuple[str, str, str]:
    rng = random.Random(SEED * 1_000_003 + number)
    what, image = _mutate(target, rng)
    path = directory / f"case-{number}"
    path.write_bytes(image)
    path.chmod(0o755)
    try:
        proc = _run(path)
    finally:
        path.unlink()
    return _classify(proc), what, "" if proc is None else proc.stderr[-400:]


def test_damaged_payloads_never_crash_or_hang(target: Target) -> None:
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=scratch) as tmp, ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: _run_case(target, n, Path(tmp)), range(CASES)))
    counts = collections.Counter(outcome for outcome, _, _ in results)
    by_region = collections.Counter(
        (what.split(" in ")[1].split(" at ")[0].split(" ")[0], outcome)
        for outcome, what, _ in results
    )
    print(f"\n{CASES} cases, seed {SEED}: {dict(sorted(counts.items()))}")
    for (region, outcome), n in sorted(by_region.items()):
        print(f"  {region:10} {outcome:30} {n}")
    if os.environ.get("PYOXIDIZER_FUZZ_SHOW"):
        for outcome, what, stderr in results:
            if outcome == os.environ["PYOXIDIZER_FUZZ_SHOW"]:
                print(f"--- {what}\n{stderr}")
    bad = [(what, stderr) for outcome, what, stderr in results if outcome in ("crash", "hang")]
    assert bad == []
    # Damage, as opposed to an index crafted to pass its checksum, always ends cleanly.
    clean = ("ran normally", "one error line", "ImportError naming the damage")
    unclean = [(o, w, e) for o, w, e in results if "fixed up" not in w and o not in clean]
    assert unclean == []
    # The campaign must reach the loader's every outcome, or it tests nothing.
    assert counts["one error line"] and counts["ImportError naming the damage"]
