"""The in-memory importer that runs inside every built executable.

This module is executed by the launcher before the standard library can be imported, so
at module level it may only import builtin or frozen modules (a test enforces the list):

    sys, _imp, marshal, posix    builtin in every CPython build
    _frozen_importlib            frozen: importlib._bootstrap, present from phase-1 init
    _pyoxidizer_contract         runtime/contract.py, which the launcher executes first

It is also importable in an ordinary interpreter, where tests hand it a payload built in
memory and ``zlib.crc32`` as the checksum function; ``contract`` is then imported from the
package. Annotations name typing-only types as strings: ``typing`` is not importable here.
"""

import _frozen_importlib
import _imp
import marshal
import posix
import sys

try:
    import _pyoxidizer_contract as contract
except ImportError:  # imported as pyoxidizer.runtime.importer, outside an executable
    from pyoxidizer.runtime import contract  # type: ignore[no-redef]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _frozen_importlib import ModuleSpec
    from collections.abc import Callable, Iterable
    from types import CodeType, ModuleType

    from _pyoxidizer_resources import Tree

# The payload layout, bound once: these names are read on every import.
PAYLOAD_MAGIC = contract.PAYLOAD_MAGIC
TRAILER_MAGIC = contract.TRAILER_MAGIC
FORMAT_VERSION = contract.FORMAT_VERSION
HEADER_SIZE = contract.HEADER_SIZE
TRAILER_SIZE = contract.TRAILER_SIZE
RECORD_WORDS = contract.RECORD_WORDS
KIND_MODULE = contract.KIND_MODULE
KIND_EXTENSION = contract.KIND_EXTENSION
KIND_SHARED_LIBRARY = contract.KIND_SHARED_LIBRARY
FLAG_PACKAGE = contract.FLAG_PACKAGE
FLAG_HAS_SOURCE = contract.FLAG_HAS_SOURCE
ORIGIN_PREFIX = contract.ORIGIN_PREFIX

_MFD_CLOEXEC = 1


class PayloadCorrupt(ImportError):
    """A blob of the payload failed its checksum: the executable was damaged."""


class Payload:
    """Read-only view of a payload: the index as dicts, blobs as memoryview slices."""

    def __init__(self, view: memoryview, crc32: "Callable[[memoryview], int]") -> None:
        if bytes(view[0:8]) != PAYLOAD_MAGIC:
            raise PayloadCorrupt("embedded payload header is invalid")
        words = view[8:HEADER_SIZE].cast("I")
        if words[0] != FORMAT_VERSION:
            raise PayloadCorrupt("embedded payload has an unsupported format version")
        self.view = view
        self._crc32 = crc32
        count = words[1]
        names_len = words[2]
        self.config_flags = words[3]
        self.optimize_level = words[4]
        self.runtime_config_ref = (words[5], words[6], words[7])
        records_end = HEADER_SIZE + count * RECORD_WORDS * 4
        self.records = view[HEADER_SIZE:records_end].cast("I")
        names = bytes(view[records_end : records_end + names_len])
        self.index: dict[int, dict[str, int]] = {}  # kind -> {name: record number}
        self._build_index(count, names)

    def _build_index(self, count: int, names: bytes) -> None:
        records = self.records
        index = self.index
        # Lengths are in bytes: slicing the decoded text is only right when it is ASCII.
        text = names.decode("ascii") if names.isascii() else None
        pos = 0
        for i in range(count):
            base = i * RECORD_WORDS
            kind = records[base] & 0xFFFF
            end = pos + records[base + 1]
            table = index.get(kind)
            if table is None:
                table = index[kind] = {}
            name = text[pos:end] if text is not None else str(names[pos:end], "utf-8")
            table[name] = i
            pos = end

    def flags(self, number: int) -> int:
        return self.records[number * RECORD_WORDS] >> 16

    def blob(self, offset: int, length: int, crc: int) -> memoryview:
        data = self.view[offset : offset + length]
        if len(data) != length or self._crc32(data) != crc:
            raise PayloadCorrupt("embedded payload is corrupt (blob checksum mismatch)")
        return data

    def data(self, number: int) -> memoryview:
        base = number * RECORD_WORDS + 2
        r = self.records
        return self.blob(r[base], r[base + 1], r[base + 2])

    def data_range(self, number: int) -> "tuple[int, int]":
        """(offset in the payload, length) of an entry's data, unverified."""
        base = number * RECORD_WORDS + 2
        return self.records[base], self.records[base + 1]

    def source(self, number: int) -> "memoryview | None":
        base = number * RECORD_WORDS + 5
        r = self.records
        if not r[base + 1] and not (self.flags(number) & FLAG_HAS_SOURCE):
            return None
        return self.blob(r[base], r[base + 1], r[base + 2])

    def names(self, kind: int) -> "dict[str, int]":
        return self.index.get(kind, {})


def _dlopen_function() -> "Callable[[str], object]":
    """dlopen(path): the launcher's when it has one, else ctypes' (an embedded extension)."""
    launcher = sys.modules.get("_pyoxidizer")
    if launcher is not None and hasattr(launcher, "dlopen"):
        dlopen: Callable[[str], object] = launcher.dlopen
        return dlopen
    import ctypes

    return ctypes.CDLL


class OxidizedFinder:
    """Meta path finder and loader for modules embedded in the payload."""

    def __init__(self, payload: Payload, origin: str, virtual_files: bool = False) -> None:
        self._payload = payload
        # Opt-in: give embedded modules a __file__ below the executable's path. No file
        # exists there; loader.get_data() serves those paths from memory.
        self._virtual_files = virtual_files
        self._modules = payload.names(KIND_MODULE)
        self._extensions = payload.names(KIND_EXTENSION)
        self._origin = origin  # the executable path; package paths hang below it
        self._memfds: list[int] = []  # kept open: dlopen identifies objects by path name
        self._memfd_paths: dict[int, str] = {}  # record number -> /proc/self/fd/N
        # (fd, payload offset) of the executable; False if it is not one, None: not asked yet
        self._file: tuple[int, int] | bool | None = None
        self._linecache: dict[str, object] | None = None  # linecache.cache, once imported
        self._aliases: dict[str, str] = {}  # "__main__" -> the module run as __main__
        self._tree: Tree | None = None  # built on first use by the resource services
        self._libraries_pending = bool(payload.names(KIND_SHARED_LIBRARY))

    def alias(self, name: str, target: str) -> None:
        """Let ``name`` (e.g. "__main__") answer loader queries for ``target``."""
        self._aliases[name] = target

    # -- finder --
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> "ModuleSpec | None":
        number = self._modules.get(fullname)
        if number is not None:
            is_package = bool(self._payload.flags(number) & FLAG_PACKAGE)
        elif fullname in self._extensions:
            is_package = False
        else:
            return None
        # A loader in all but name: importlib.abc cannot be imported this early.
        spec = _frozen_importlib.ModuleSpec(fullname, self, is_package=is_package)  # type: ignore[arg-type]
        if is_package:
            spec.submodule_search_locations = [self._package_path(fullname)]
        if self._virtual_files and number is not None:
            base = self._package_path(fullname)
            spec.origin = base + "/__init__.py" if is_package else base + ".py"
            spec.has_location = True
        return spec

    def invalidate_caches(self) -> None:
        pass

    def _package_path(self, fullname: str) -> str:
        return self._origin + "/" + fullname.replace(".", "/")

    # -- loader --
    def create_module(self, spec: "ModuleSpec") -> "ModuleType | None":
        number = self._extensions.get(spec.name)
        if number is None:
            return None
        if self._libraries_pending:
            self._load_shared_libraries()
        return self._load_extension(spec, number)

    def exec_module(self, module: "ModuleType") -> None:
        spec = module.__spec__
        assert spec is not None  # the import system sets it before exec_module
        name = spec.name
        if name in self._extensions:
            _imp.exec_dynamic(module)
            return
        code = self.get_code(name)
        _frozen_importlib._call_with_frames_removed(exec, code, module.__dict__)  # type: ignore[attr-defined]
        if name == "linecache":
            self._linecache = module.cache
            for loaded in list(sys.modules):
                self._register_lines(loaded)
        elif self._linecache is not None:
            self._register_lines(name)

    def _register_lines(self, name: str) -> None:
        """Give linecache a lazy entry for a module's source (as it does for modules with
        a loader when it sees their globals), so warnings and traceback-less callers of
        linecache.getline() also find lines. Costs nothing until linecache is imported."""
        cache = self._linecache
        number = self._modules.get(name)
        if cache is None or number is None or not self._payload.flags(number) & FLAG_HAS_SOURCE:
            return
        is_package = self._payload.flags(number) & FLAG_PACKAGE
        filename = (
            ORIGIN_PREFIX + name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        )
        if filename not in cache:
            cache[filename] = (lambda: self.get_source(name),)

    def _memfd(self, name: str, number: int) -> str:
        """A path naming an entry's data through an anonymous in-memory file.

        Shared objects are not checksummed here (the dynamic loader validates what it
        maps, and summing tens of megabytes would dominate import time); when the payload
        is this executable's, the kernel copies the bytes straight from its page cache.
        """
        path = self._memfd_paths.get(number)
        if path is not None:
            return path
        fd = posix.memfd_create(name, _MFD_CLOEXEC)
        self._memfds.append(fd)
        offset, length = self._payload.data_range(number)
        if not self._sendfile(fd, offset, length):
            data = self._payload.view[offset : offset + length]
            written = 0
            while written < length:
                written += posix.write(fd, data[written:])
        path = self._memfd_paths[number] = f"/proc/self/fd/{fd}"
        return path

    def _sendfile(self, fd: int, offset: int, length: int) -> bool:
        source = self._own_file()
        if source is None:
            return False
        source_fd, base = source
        done = 0
        while done < length:
            sent = posix.sendfile(fd, source_fd, base + offset + done, length - done)
            if sent <= 0:
                return False
            done += sent
        return True

    def _own_file(self) -> "tuple[int, int] | None":
        """(fd, payload offset) of the executable holding this payload, if it is one."""
        if self._file is None:
            self._file = False
            try:
                fd = posix.open(self._origin, posix.O_RDONLY | posix.O_CLOEXEC)
            except OSError:
                return None
            size = posix.fstat(fd).st_size
            trailer = posix.pread(fd, TRAILER_SIZE, size - TRAILER_SIZE)
            length = int.from_bytes(trailer[24:32], "little")
            if trailer[:8] == TRAILER_MAGIC and length == len(self._payload.view):
                self._file = (fd, size - TRAILER_SIZE - length)
            else:
                posix.close(fd)
        return self._file if isinstance(self._file, tuple) else None

    def _load_extension(self, spec: "ModuleSpec", number: int) -> "ModuleType":
        memory_spec = _frozen_importlib.ModuleSpec(
            spec.name,
            self,  # type: ignore[arg-type]
            origin=self._memfd(spec.name, number),
        )
        return _imp.create_dynamic(memory_spec)

    def _load_shared_libraries(self) -> None:
        """Load the libraries extension modules need (a wheel's ``pkg.libs/``) first.

        Once loaded, the dynamic loader matches later DT_NEEDED entries against their
        sonames, so the RPATHs pointing next to the original files are not needed. A
        library whose own dependencies are not loaded yet is retried after the others.
        """
        self._libraries_pending = False
        dlopen = _dlopen_function()
        pending = sorted(self._payload.names(KIND_SHARED_LIBRARY).items())
        while pending:
            failed = []
            for name, number in pending:
                try:
                    dlopen(self._memfd(name, number))
                except OSError:
                    failed.append((name, number))
            if len(failed) == len(pending):
                names = ", ".join(name for name, _ in failed)
                raise ImportError(f"cannot load embedded shared libraries: {names}")
            pending = failed

    # -- InspectLoader --
    def _lookup(self, fullname: str) -> "int | None":
        """(record number or None for an extension module); ImportError if unknown."""
        fullname = self._aliases.get(fullname, fullname)
        number = self._modules.get(fullname)
        if number is None and fullname not in self._extensions:
            raise ImportError(f"no embedded module named {fullname!r}", name=fullname)
        return number

    def get_code(self, fullname: str) -> "CodeType | None":
        number = self._lookup(fullname)
        return None if number is None else marshal.loads(self._payload.data(number))

    def get_source(self, fullname: str) -> "str | None":
        number = self._lookup(fullname)
        source = None if number is None else self._payload.source(number)
        if source is None:
            return None
        decode = sys.modules["_frozen_importlib_external"].decode_source
        text: str = decode(bytes(source))
        return text

    def is_package(self, fullname: str) -> bool:
        number = self._lookup(fullname)
        return number is not None and bool(self._payload.flags(number) & FLAG_PACKAGE)

    # -- resources, metadata, iteration: served by _pyoxidizer_resources, loaded lazily --
    def _embedded_tree(self) -> "Tree":
        import _pyoxidizer_resources as services

        if self._tree is None:
            self._tree = services.Tree(self._payload)
        return self._tree

    def get_resource_reader(self, fullname: str) -> "object | None":
        fullname = self._aliases.get(fullname, fullname)
        if fullname not in self._modules:
            return None
        package = fullname if self.is_package(fullname) else fullname.rpartition(".")[0]
        import _pyoxidizer_resources as services

        return services.OxidizedResourceReader(self._embedded_tree(), package, self._origin)

    def get_data(self, path: str) -> bytes:
        """Bytes of an embedded file named by its virtual path below the executable."""
        prefix = self._origin + "/"
        if not path.startswith(prefix):
            raise FileNotFoundError(f"{path!r} is not inside {self._origin}")
        return self._embedded_tree().read(path[len(prefix) :])

    def find_distributions(self, context: object = None) -> "Iterable[object]":
        """importlib.metadata hook: the distributions whose metadata is embedded."""
        import _pyoxidizer_resources as services

        return services.find_distributions(self._embedded_tree(), self._origin, context)

    def path_hook(self, path: str) -> object:
        """sys.path_hooks entry for package __path__ entries below the executable."""
        if path != self._origin and not path.startswith(self._origin + "/"):
            raise ImportError("not an embedded package path", path=path)
        package = path[len(self._origin) + 1 :].replace("/", ".")
        import _pyoxidizer_resources as services

        return services.OxidizedPathEntryFinder(self, self._embedded_tree(), package)

    def module_names(self) -> "list[str]":
        """Names of every embedded module and extension module (for tools and tests)."""
        return sorted(list(self._modules) + list(self._extensions))
