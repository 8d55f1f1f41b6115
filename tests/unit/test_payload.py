"""The payload writer and reader agree, and damage is detected."""

from __future__ import annotations

import marshal
import random
import re
import struct
from pathlib import Path

import pytest

from pyoxidizer.errors import PayloadError
from pyoxidizer.payload import format as fmt
from pyoxidizer.payload.compress import Compressor, decompress, train_dictionary
from pyoxidizer.payload.reader import InMemoryServices, locate_payload, read_payload
from pyoxidizer.payload.writer import PayloadEntry, PayloadHeader, write_payload, write_trailer

ROOT = Path(__file__).resolve().parents[2]


def _header(**config: object) -> PayloadHeader:
    return PayloadHeader(3, 1, marshal.dumps(config), b"boot", "utf-8:strict")


def _entries() -> list[PayloadEntry]:
    return [
        PayloadEntry(fmt.Kind.MODULE, "pkg", b"code-pkg", b"# pkg", is_package=True),
        PayloadEntry(fmt.Kind.MODULE, "pkg.mod", b"code-mod", None),
        PayloadEntry(fmt.Kind.MODULE, "caf\u00e9", b"code-cafe", b"x = 1"),
        PayloadEntry(fmt.Kind.RESOURCE, "pkg\0data/a.txt", b"A" * 100),
        PayloadEntry(fmt.Kind.EXTENSION, "_ext", b"\x7fELF..."),
    ]


def _image(entries: list[PayloadEntry], prefix: bytes = b"LAUNCHER") -> bytes:
    payload, index_len = write_payload(_header(mode="eval"), entries)
    return prefix + payload + write_trailer(len(prefix), payload, index_len)


def test_round_trip_preserves_every_entry() -> None:
    image = _image(_entries())
    payload, _ = locate_payload(image)
    contents = read_payload(payload)
    assert contents.config_flags == 3 and contents.optimize_level == 1
    assert contents.runtime_config == {"mode": "eval"}
    assert contents.stdio_encoding == "utf-8:strict"
    modules = contents.by_kind(fmt.Kind.MODULE)
    assert bytes(modules["pkg"].data) == b"code-pkg"
    assert modules["pkg"].flags & fmt.EntryFlag.PACKAGE
    assert bytes(modules["pkg"].source or b"") == b"# pkg"
    assert modules["pkg.mod"].source is None
    assert bytes(modules["caf\u00e9"].data) == b"code-cafe"
    assert bytes(contents.by_kind(fmt.Kind.RESOURCE)["pkg\0data/a.txt"].data) == b"A" * 100


def test_output_is_deterministic_whatever_the_input_order() -> None:
    entries = _entries()
    assert _image(entries) == _image(list(reversed(entries)))


def test_duplicate_names_are_rejected() -> None:
    entries = [PayloadEntry(fmt.Kind.MODULE, "a", b"1"), PayloadEntry(fmt.Kind.MODULE, "a", b"2")]
    with pytest.raises(PayloadError, match="named 'a'"):
        write_payload(_header(), entries)


def test_truncated_file_is_detected() -> None:
    image = _image(_entries())
    with pytest.raises(PayloadError):
        locate_payload(image[:-10])
    with pytest.raises(PayloadError, match="truncated"):
        locate_payload(image[:20] + image[40:])


def test_corrupted_index_is_detected() -> None:
    image = bytearray(_image(_entries()))
    image[len(b"LAUNCHER") + fmt.HEADER.size + 3] ^= 0xFF
    with pytest.raises(PayloadError, match="checksum"):
        locate_payload(bytes(image))


def test_corrupted_blob_is_detected() -> None:
    image = bytearray(_image(_entries()))
    image[image.index(b"A" * 100) + 5] ^= 0xFF
    payload, _ = locate_payload(bytes(image))
    with pytest.raises(PayloadError, match="checksum"):
        read_payload(payload)


def _c_defines(source: str) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+) (.+)$", source, re.MULTILINE))


@pytest.mark.parametrize(
    ("prefix", "layout"), [("TRAILER", fmt.TRAILER), ("HEADER", fmt.HEADER), ("RECORD", fmt.RECORD)]
)
def test_c_header_offsets_find_each_field(prefix: str, layout: fmt.Layout) -> None:
    """Pack each layout with a distinct value per field, then read every field back at the
    offset the launcher's header gives for it."""
    defines = _c_defines(fmt.c_header())
    values: list[object] = []
    expected: dict[str, bytes] = {}
    for number, (name, code) in enumerate(layout.fields, start=1):
        size = struct.calcsize("<" + code)
        value: object = (
            bytes([0x40 + number]) * size
            if code.endswith("s")
            else number * 0x01010101 % (1 << (8 * size))
        )
        values.append(value)
        expected[name] = value if isinstance(value, bytes) else struct.pack("<" + code, value)
    packed = layout.pack(*values)
    assert int(defines[f"PYOX_{prefix}_SIZE"]) == len(packed)
    for name, want in expected.items():
        at = int(defines[f"PYOX_{prefix}_{name.upper()}_AT"])
        assert packed[at : at + len(want)] == want, name


def test_c_header_constants() -> None:
    defines = _c_defines(fmt.c_header())
    assert defines["PYOX_TRAILER_MAGIC"] == f'"{fmt.TRAILER_MAGIC.decode()}"'
    assert defines["PYOX_PAYLOAD_MAGIC"] == f'"{fmt.PAYLOAD_MAGIC.decode()}"'
    assert int(defines["PYOX_FORMAT_VERSION"]) == fmt.FORMAT_VERSION
    for flag in fmt.ConfigFlag:
        shift = int(defines["PYOX_CFG_" + str(flag.name)].strip("()").split("<<")[1])
        assert 1 << shift == flag.value, flag.name


def test_launcher_has_no_layout_of_its_own() -> None:
    """Every layout constant reaches the launcher's C files through the generated header."""
    launcher = ROOT / "src/pyoxidizer/launcher"
    assert '#include "pyoxidizer_format.h"' in (launcher / "launcher.h").read_text()
    source = "".join(p.read_text() for p in sorted([*launcher.glob("*.c"), *launcher.glob("*.h")]))
    assert all('#include "launcher.h"' in p.read_text() for p in launcher.glob("*.c"))
    generated = _c_defines(fmt.c_header())
    assert not set(_c_defines(source)) & set(generated)
    assert fmt.TRAILER_MAGIC.decode() not in source and fmt.PAYLOAD_MAGIC.decode() not in source
    # Fields are read at named offsets, never at bare numbers.
    assert not re.search(r"pyox_u(32|64)\([th] \+ \d", source)


@pytest.mark.parametrize("version", [1, 3])
def test_other_versions_are_refused_naming_the_version(version: int) -> None:
    image = bytearray(_image(_entries()))
    at = len(image) - fmt.TRAILER.size + fmt.TRAILER.offsets["version"]
    image[at : at + 4] = struct.pack("<I", version)
    with pytest.raises(PayloadError, match=f"format version {version} is not supported"):
        locate_payload(bytes(image))


def test_trailer_sizes_are_checked_without_wrapping() -> None:
    image = bytearray(_image(_entries()))
    size = len(image)
    image[size - 24 : size - 8] = struct.pack("<QQ", 2**64 - 4096, (size - 40) + 4096)
    with pytest.raises(PayloadError, match="truncated"):
        locate_payload(bytes(image))


def test_extension_records_carry_the_libraries_they_need() -> None:
    entries = [
        *_entries(),
        PayloadEntry(fmt.Kind.EXTENSION, "pkg._native", b"\x7fELF", needs=("liba.so", "libb.so")),
        PayloadEntry(fmt.Kind.SHARED_LIBRARY, "liba.so", b"\x7fELF a"),
        PayloadEntry(fmt.Kind.SHARED_LIBRARY, "libb.so", b"\x7fELF b"),
    ]
    contents = read_payload(locate_payload(_image(entries))[0])
    extensions = contents.by_kind(fmt.Kind.EXTENSION)
    assert extensions["pkg._native"].needs == ("liba.so", "libb.so")
    assert extensions["_ext"].needs == ()


def test_in_memory_services_answer_as_the_launcher_does() -> None:
    code = compile("X = 1", "<oxidized>/m.py", "exec")
    entries = [*_entries(), PayloadEntry(fmt.Kind.MODULE, "m", marshal.dumps(code), b"X = 1")]
    payload, _ = write_payload(_header(), entries)
    services = InMemoryServices(payload)
    number = services.find(int(fmt.Kind.MODULE), "m")
    assert number >= 0 and services.find(int(fmt.Kind.MODULE), "nope") == -1
    assert services.find(int(fmt.Kind.RESOURCE), "m") == -1
    assert services.code(number) == code
    assert services.read(number, 1) == b"X = 1"
    damaged = bytearray(payload)
    damaged[damaged.index(b"X = 1")] ^= 1
    with pytest.raises(ImportError, match="the source of 'm' fails its checksum"):
        InMemoryServices(bytes(damaged)).read(number, 1)


def _modules(count: int = 90) -> list[PayloadEntry]:
    """Modules with bytecode and source that look alike (as a library's do), ~2.5 MB."""
    out = []
    for i in range(count):
        source = "".join(f"def f{i}_{j}(x):\n    return x * {j} + {i}\n" for j in range(700))
        code = compile(source, f"<oxidized>/m{i}.py", "exec")
        out.append(
            PayloadEntry(
                fmt.Kind.MODULE,
                f"m{i}",
                marshal.dumps(code),
                source.encode(),
                compress=True,
                compress_source=True,
                train=True,
            )
        )
    return out


def test_compressed_entries_round_trip_with_trained_dictionaries() -> None:
    random_bytes = random.Random(1).randbytes(300)
    entries = [
        *_modules(),
        PayloadEntry(fmt.Kind.RESOURCE, "pkg\0a.txt", b"text " * 1000, compress=True),
        PayloadEntry(fmt.Kind.RESOURCE, "pkg\0keep.txt", b"text " * 1000),
        PayloadEntry(fmt.Kind.RESOURCE, "pkg\0noise.bin", random_bytes[:300], compress=True),
        PayloadEntry(fmt.Kind.EXTENSION, "_ext", b"\x7fELF" + b"\0" * 5000, compress=True),
    ]
    payload, _ = write_payload(_header(), entries, Compressor(3))
    again, _ = write_payload(_header(), reversed(entries), Compressor(3))
    assert payload == again  # deterministic
    contents = read_payload(memoryview(payload))
    by_name = {(e.kind, e.name): e for e in contents.entries}
    assert sorted(contents.by_kind(fmt.Kind.DICTIONARY)) == ["bytecode", "source"]
    for entry in entries:
        read = by_name[(entry.kind, entry.name)]
        assert bytes(read.data) == entry.data
        if entry.kind == fmt.Kind.MODULE:
            assert bytes(read.source or b"") == entry.source
            assert read.flags & fmt.EntryFlag.DATA_ZSTD and read.flags & fmt.EntryFlag.SOURCE_ZSTD
    assert by_name[(fmt.Kind.RESOURCE, "pkg\0a.txt")].flags & fmt.EntryFlag.DATA_ZSTD
    assert not by_name[(fmt.Kind.RESOURCE, "pkg\0keep.txt")].flags & fmt.EntryFlag.DATA_ZSTD
    # Stored as it is when a frame would not be smaller.
    assert not by_name[(fmt.Kind.RESOURCE, "pkg\0noise.bin")].flags & fmt.EntryFlag.DATA_ZSTD
    raw = sum(len(e.data) + len(e.source or b"") for e in contents.entries)
    assert sum(e.stored for e in contents.entries) * 4 < raw
    services = InMemoryServices(payload)
    number = services.find(int(fmt.Kind.MODULE), "m7")
    assert services.read(number, 1) == entries[7].source
    assert services.code(number).co_filename == "<oxidized>/m7.py"


def test_a_dictionary_needs_enough_samples_and_frames_name_it() -> None:
    assert train_dictionary([b"x" * 100] * 10) == b""
    few = [e.__class__(**{**e.__dict__, "train": False}) for e in _modules(10)]
    payload, _ = write_payload(_header(), few, Compressor(3))
    contents = read_payload(memoryview(payload))
    assert contents.by_kind(fmt.Kind.DICTIONARY) == {}  # nothing to train on: plain frames
    assert all(e.flags & fmt.EntryFlag.DATA_ZSTD for e in contents.entries)


def test_compression_cache_is_used_and_keyed_by_level_dictionary_and_hotness() -> None:
    cache: dict[bytes, bytes] = {}
    first = Compressor(3, cache)
    frames = first.compress([(b"abc" * 100, b"", False), (b"abc" * 100, b"", False)])
    assert first.added == 1 and len(cache) == 1 and frames[0] == frames[1]
    second = Compressor(3, cache)
    assert second.compress([(b"abc" * 100, b"", False)]) == frames[:1] and second.added == 0
    assert Compressor(19, cache).compress([(b"abc" * 100, b"", False)]) and len(cache) == 2
    assert Compressor(19, cache).compress([(b"abc" * 100, b"", True)]) and len(cache) == 3


def test_frames_read_at_start_up_use_longer_matches() -> None:
    # Five-byte words between random pairs of bytes: only matches shorter than six bytes
    # find the repeats, so a frame written for fast decoding is larger, and both decode.
    rng = random.Random(7)
    words = [bytes(rng.randrange(256) for _ in range(5)) for _ in range(8)]
    data = b"".join(rng.choice(words) + rng.randbytes(2) for _ in range(4000))
    cold, hot = Compressor(19).compress([(data, b"", False), (data, b"", True)])
    assert len(hot) > len(cold) * 1.1
    assert decompress(hot, {}) == decompress(cold, {}) == data
