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
    from pyoxidizer.runtime import contract

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

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

    def __init__(self, view, crc32):
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
        self.index = {}  # kind -> {name: record number}
        self._build_index(count, names)

    def _build_index(self, count, names):
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

    def flags(self, number):
        return self.records[number * RECORD_WORDS] >> 16

    def blob(self, offset, length, crc):
        data = self.view[offset : offset + length]
        if len(data) != length or self._crc32(data) != crc:
            raise PayloadCorrupt("embedded payload is corrupt (blob checksum mismatch)")
        return data

    def data(self, number):
        base = number * RECORD_WORDS + 2
        r = self.records
        return self.blob(r[base], r[base + 1], r[base + 2])

    def data_range(self, number):
        """(offset in the payload, length) of an entry's data, unverified."""
        base = number * RECORD_WORDS + 2
        return self.records[base], self.records[base + 1]

    def source(self, number):
        base = number * RECORD_WORDS + 5
        r = self.records
        if not r[base + 1] and not (self.flags(number) & FLAG_HAS_SOURCE):
            return None
        return self.blob(r[base], r[base + 1], r[base + 2])

    def names(self, kind):
        return self.index.get(kind, {})


def _dlopen_function():
    """dlopen(path): the launcher's when it has one, else ctypes' (an embedded extension)."""
    launcher = sys.modules.get("_pyoxidizer")
    if launcher is not None and hasattr(launcher, "dlopen"):
        return launcher.dlopen
    import ctypes

    return ctypes.CDLL


class OxidizedFinder:
    """Meta path finder and loader for modules embedded in the payload."""

    def __init__(self, payload, origin, virtual_files=False):
        self._payload = payload
        # Opt-in: give embedded modules a __file__ below the executable's path. No file
        # exists there; loader.get_data() serves those paths from memory.
        self._virtual_files = virtual_files
        self._modules = payload.names(KIND_MODULE)
        self._extensions = payload.names(KIND_EXTENSION)
        self._origin = origin  # the executable path; package paths hang below it
        self._memfds = []  # kept open: dlopen identifies objects by path name
        self._memfd_paths = {}  # record number -> /proc/self/fd/N
        self._file = None  # (fd, payload offset) of the executable, False if not one
        self._linecache = None  # linecache.cache, once linecache is imported
        self._aliases = {}  # "__main__" -> the module run as __main__
        self._tree = None  # built on first use by the resource/metadata services
        self._libraries_pending = bool(payload.names(KIND_SHARED_LIBRARY))

    def alias(self, name, target):
        """Let ``name`` (e.g. "__main__") answer loader queries for ``target``."""
        self._aliases[name] = target

    # -- finder --
    def find_spec(self, fullname, path=None, target=None):
        number = self._modules.get(fullname)
        if number is not None:
            is_package = bool(self._payload.flags(number) & FLAG_PACKAGE)
        elif fullname in self._extensions:
            is_package = False
        else:
            return None
        spec = _frozen_importlib.ModuleSpec(fullname, self, is_package=is_package)
        if is_package:
            spec.submodule_search_locations = [self._package_path(fullname)]
        if self._virtual_files and number is not None:
            base = self._package_path(fullname)
            spec.origin = base + "/__init__.py" if is_package else base + ".py"
            spec.has_location = True
        return spec

    def invalidate_caches(self):
        pass

    def _package_path(self, fullname):
        return self._origin + "/" + fullname.replace(".", "/")

    # -- loader --
    def create_module(self, spec):
        number = self._extensions.get(spec.name)
        if number is None:
            return None
        if self._libraries_pending:
            self._load_shared_libraries()
        return self._load_extension(spec, number)

    def exec_module(self, module):
        name = module.__spec__.name
        if name in self._extensions:
            _imp.exec_dynamic(module)
            return
        code = self.get_code(name)
        _frozen_importlib._call_with_frames_removed(exec, code, module.__dict__)
        if name == "linecache":
            self._linecache = module.cache
            for loaded in list(sys.modules):
                self._register_lines(loaded)
        elif self._linecache is not None:
            self._register_lines(name)

    def _register_lines(self, name):
        """Give linecache a lazy entry for a module's source (as it does for modules with
        a loader when it sees their globals), so warnings and traceback-less callers of
        linecache.getline() also find lines. Costs nothing until linecache is imported."""
        number = self._modules.get(name)
        if number is None or not self._payload.flags(number) & FLAG_HAS_SOURCE:
            return
        is_package = self._payload.flags(number) & FLAG_PACKAGE
        filename = (
            ORIGIN_PREFIX + name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        )
        if filename not in self._linecache:
            self._linecache[filename] = (lambda: self.get_source(name),)

    def _memfd(self, name, number):
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

    def _sendfile(self, fd, offset, length):
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

    def _own_file(self):
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
        return self._file or None

    def _load_extension(self, spec, number):
        memory_spec = _frozen_importlib.ModuleSpec(
            spec.name, self, origin=self._memfd(spec.name, number)
        )
        return _imp.create_dynamic(memory_spec)

    def _load_shared_libraries(self):
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
    def _lookup(self, fullname):
        """(record number or None for an extension module); ImportError if unknown."""
        fullname = self._aliases.get(fullname, fullname)
        number = self._modules.get(fullname)
        if number is None and fullname not in self._extensions:
            raise ImportError(f"no embedded module named {fullname!r}", name=fullname)
        return number

    def get_code(self, fullname):
        number = self._lookup(fullname)
        return None if number is None else marshal.loads(self._payload.data(number))

    def get_source(self, fullname):
        number = self._lookup(fullname)
        source = None if number is None else self._payload.source(number)
        if source is None:
            return None
        decode = sys.modules["_frozen_importlib_external"].decode_source
        return decode(bytes(source))

    def is_package(self, fullname):
        number = self._lookup(fullname)
        return number is not None and bool(self._payload.flags(number) & FLAG_PACKAGE)

    # -- resources, metadata, iteration: served by _pyoxidizer_resources, loaded lazily --
    def _services(self):
        import _pyoxidizer_resources as services

        if self._tree is None:
            self._tree = services.Tree(self._payload)
        return services, self._tree

    def get_resource_reader(self, fullname):
        fullname = self._aliases.get(fullname, fullname)
        if fullname not in self._modules:
            return None
        package = fullname if self.is_package(fullname) else fullname.rpartition(".")[0]
        services, tree = self._services()
        return services.OxidizedResourceReader(tree, package, self._origin)

    def get_data(self, path):
        """Bytes of an embedded file named by its virtual path below the executable."""
        prefix = self._origin + "/"
        if not path.startswith(prefix):
            raise FileNotFoundError(f"{path!r} is not inside {self._origin}")
        return self._services()[1].read(path[len(prefix) :])

    def find_distributions(self, context=None):
        """importlib.metadata hook: the distributions whose metadata is embedded."""
        services, tree = self._services()
        return services.find_distributions(tree, self._origin, context)

    def path_hook(self, path):
        """sys.path_hooks entry for package __path__ entries below the executable."""
        if path != self._origin and not path.startswith(self._origin + "/"):
            raise ImportError("not an embedded package path", path=path)
        package = path[len(self._origin) + 1 :].replace("/", ".")
        services, tree = self._services()
        return services.OxidizedPathEntryFinder(self, tree, package)

    def module_names(self):
        """Names of every embedded module and extension module (for tools and tests)."""
        return sorted(list(self._modules) + list(self._extensions))
