"""The in-memory importer that runs inside every built executable.

This module is executed by the launcher before the standard library can be imported, so
at module level it may only import builtin or frozen modules (a test enforces the list):

    sys, _imp, posix, _thread    builtin in every CPython build
    _frozen_importlib            frozen: importlib._bootstrap, present from phase-1 init
    _pyoxidizer_contract         runtime/contract.py, which the launcher executes first

Every read of the payload goes through the launcher's ``_pyoxidizer`` builtin module
(``Services`` below): names are looked up in C over the sorted index, blobs are read from
the executable with ``pread``, verified and decoded in C, and shared objects reach their
memfd and ``dlopen`` in C, so loading never imports a Python module. Outside an executable
(tests) a stand-in with the same functions is passed instead, and ``contract`` is
imported from the package. Annotations name typing-only types as strings: ``typing`` is
not importable here.
"""

import _frozen_importlib
import _imp
import _thread
import posix
import sys

try:
    import _pyoxidizer_contract as contract
except ImportError:  # imported as pyoxidizer.runtime.importer, outside an executable
    from pyoxidizer.runtime import contract  # type: ignore[no-redef]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _frozen_importlib import ModuleSpec
    from collections.abc import Iterable
    from types import CodeType, FrameType, ModuleType
    from typing import Protocol

    from _pyoxidizer_resources import Tree

    class Services(Protocol):
        """What the launcher's ``_pyoxidizer`` module provides (launcher/launcher.c)."""

        @property
        def index(self) -> "memoryview | bytes": ...
        def find(self, kind: int, name: str, /) -> int: ...
        def read(self, number: int, part: int, /) -> bytes: ...
        def code(self, number: int, /) -> CodeType: ...
        def memfd(self, number: int, name: str, /) -> "tuple[int, str]": ...
        def load_libraries(self, paths: "list[str]", /) -> None: ...


# The payload layout, bound once: these names are read on every import.
PAYLOAD_MAGIC = contract.PAYLOAD_MAGIC
FORMAT_VERSION = contract.FORMAT_VERSION
HEADER_SIZE = contract.HEADER_SIZE
RECORD_WORDS = contract.RECORD_WORDS
KIND_MODULE = contract.KIND_MODULE
KIND_EXTENSION = contract.KIND_EXTENSION
KIND_SHARED_LIBRARY = contract.KIND_SHARED_LIBRARY
FLAG_PACKAGE = contract.FLAG_PACKAGE
FLAG_HAS_SOURCE = contract.FLAG_HAS_SOURCE
ORIGIN_PREFIX = contract.ORIGIN_PREFIX
DATA = 0  # parts of a record, as Services.read() numbers them
SOURCE = 1


# --- lazy module loading (opt-in: lazy_module_loading, docs/runtime.md) ------------------

if TYPE_CHECKING:
    _ModuleType = ModuleType
else:
    _ModuleType = type(sys)
_module_getattribute = _ModuleType.__getattribute__
_module_setattr = _ModuleType.__setattr__
_module_delattr = _ModuleType.__delattr__
# What the import system sets on a module before its code runs, and reads on every
# ``import`` statement naming it (or of a submodule), plus the registry the warnings module
# keeps in the globals of code that warned (none before the code runs): reading, setting or
# deleting these does not run the module's code, so code that walks sys.modules touching
# them (test runners, reloaders) does not import more while it walks.
_IMPORT_ATTRIBUTES = frozenset(
    ("__spec__", "__name__", "__loader__", "__package__", "__path__", "__file__", "__cached__")
    + ("__class__", "__warningregistry__")
)


# Frames of the import system between an ``import`` statement and exec_module.
_IMPORT_MACHINERY: "tuple[str, ...]" = ("<frozen importlib._bootstrap>", contract.IMPORTER_FILENAME)


def _in_handler_range(table: bytes, offset: int) -> bool:
    """Whether the bytecode at ``offset`` is covered by an entry of a code object's
    exception table (CPython 3.11+, Objects/exception_handling_notes.txt): inside a
    ``try`` or ``with`` block. Entries are varints of 6-bit groups (bit 6: more follows):
    start, length, target and depth, the first two in 2-byte code units."""
    i, n = 0, len(table)

    def varint() -> int:
        nonlocal i
        byte = table[i]
        i += 1
        value = byte & 63
        while byte & 64:
            byte = table[i]
            i += 1
            value = (value << 6) | (byte & 63)
        return value

    while i < n:
        start = varint() * 2
        end = start + varint() * 2
        varint()  # target
        varint()  # depth and lasti
        if start <= offset < end:
            return True
    return False


def _statement_may_defer() -> bool:
    """Whether the import being executed is a statement at the top level of a module's code
    and outside any ``try`` or ``with`` block: the imports lazy loading defers. An import in
    a function (importlib.import_module, test helpers) or one guarded by ``except
    ImportError`` runs the module at once, as the code around it expects."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename in _IMPORT_MACHINERY:
        frame = frame.f_back
    if frame is None or frame.f_code.co_name != "<module>":
        return False
    table = getattr(frame.f_code, "co_exceptiontable", b"")  # 3.10 has none: no check
    return not _in_handler_range(table, frame.f_lasti)


# This file's own frames too (its name is the one above inside an executable, and its path
# where the tests import it).
_IMPORT_MACHINERY += (_statement_may_defer.__code__.co_filename,)


class _Deferred:
    """The spec's loader_state of a module whose code has not run yet."""

    __slots__ = ("finder", "number", "lock", "owner")

    def __init__(self, finder: "OxidizedFinder", number: int) -> None:
        self.finder = finder
        self.number = number
        self.lock = _thread.allocate_lock()
        self.owner = 0  # the thread running the module's code, while it runs


class _LazyModule(_ModuleType):
    """A module whose code runs when one of its attributes is first read, set or deleted.

    Everything happens in __getattribute__, so an error in the module's code has one frame
    of the importer's between the app's line and the module's in its traceback.
    """

    def __getattribute__(self, attr: str) -> object:
        if attr in _IMPORT_ATTRIBUTES:
            return _module_getattribute(self, attr)
        namespace = _module_getattribute(self, "__dict__")
        spec = namespace.get("__spec__")
        deferred = getattr(spec, "loader_state", None)
        if type(deferred) is not _Deferred:  # its __spec__ was replaced: nothing left to run
            _module_setattr(self, "__class__", _ModuleType)
        elif deferred.owner != _thread.get_ident():  # not the module's own code reading it
            parent = sys.modules.get(spec.name.rpartition(".")[0])
            if type(parent) is _LazyModule:  # a package's code runs before its modules'
                _LazyModule.__getattribute__(parent, "__dict__")
            with deferred.lock:  # another thread may be running it: wait for it
                if spec.loader_state is deferred:  # not done meanwhile
                    deferred.owner = _thread.get_ident()
                    try:
                        exec(deferred.finder._payload.code(deferred.number), namespace)
                    except BaseException:
                        # As a failed import does: the module leaves sys.modules.
                        if sys.modules.get(spec.name) is self:
                            del sys.modules[spec.name]
                        raise
                    finally:
                        deferred.owner = 0
                        spec.loader_state = deferred.number
                        _module_setattr(self, "__class__", _ModuleType)
                    deferred.finder._executed(spec.name, self)
                    replacement = sys.modules.get(spec.name)
                    if replacement is not None and replacement is not self:
                        # The code put another object in sys.modules, which an eager import
                        # would have returned: the names bound to this module use it.
                        namespace[_REPLACED] = replacement
                        _module_setattr(self, "__class__", _ReplacedModule)
        if _replaced(self):
            return getattr(namespace[_REPLACED], attr)
        return _module_getattribute(self, attr)

    def __setattr__(self, attr: str, value: object) -> None:
        name = _module_getattribute(self, "__dict__").get("__name__")
        if attr not in _IMPORT_ATTRIBUTES and not (
            isinstance(name, str) and sys.modules.get(name + "." + attr) is value
        ):
            # Anything but the import system binding a submodule to its package runs the
            # module's code first.
            _LazyModule.__getattribute__(self, "__dict__")
        if _replaced(self):
            _ReplacedModule.__setattr__(self, attr, value)  # type: ignore[arg-type]
        else:
            _module_setattr(self, attr, value)

    def __delattr__(self, attr: str) -> None:
        if attr not in _IMPORT_ATTRIBUTES:
            _LazyModule.__getattribute__(self, "__dict__")
        if _replaced(self):
            _ReplacedModule.__delattr__(self, attr)  # type: ignore[arg-type]
        else:
            _module_delattr(self, attr)


_REPLACED = "\0pyoxidizer: the object the module put in sys.modules"


class _ReplacedModule(_ModuleType):
    """A deferred module whose code replaced it in sys.modules: every attribute is the
    replacement's, as if the import had returned the replacement."""

    def __getattribute__(self, attr: str) -> object:
        return getattr(_module_getattribute(self, "__dict__")[_REPLACED], attr)

    def __setattr__(self, attr: str, value: object) -> None:
        setattr(_module_getattribute(self, "__dict__")[_REPLACED], attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(_module_getattribute(self, "__dict__")[_REPLACED], attr)


def _replaced(module: object) -> bool:
    return type(module) is _ReplacedModule


class PayloadCorrupt(ImportError):
    """The payload's index is not one this importer can read: the executable was damaged."""


class Payload:
    """The payload, as the launcher serves it.

    Names are looked up with ``services.find`` (a binary search in C), so nothing is built
    at start-up; the name -> record dicts that the resource services need are built per
    kind on first use, from the records of that kind only.
    """

    def __init__(self, services: "Services") -> None:
        index = memoryview(services.index)
        if bytes(index[0:8]) != PAYLOAD_MAGIC:
            raise PayloadCorrupt("embedded payload header is invalid")
        words = index[8:HEADER_SIZE].cast("I")
        if words[0] != FORMAT_VERSION:
            raise PayloadCorrupt(
                f"embedded payload has format version {words[0]}; this importer reads "
                f"version {FORMAT_VERSION}"
            )
        self.services = services
        self.find = services.find
        self.code = services.code
        self._count = count = words[1]
        records_end = HEADER_SIZE + count * RECORD_WORDS * 4
        self.records = index[HEADER_SIZE:records_end].cast("I")
        self._names = index[records_end : records_end + words[2]]
        self._by_kind: dict[int, dict[str, int]] = {}

    def flags(self, number: int) -> int:
        return self.records[number * RECORD_WORDS] >> 16

    def kind(self, number: int) -> int:
        return self.records[number * RECORD_WORDS] & 0xFFFF

    def data(self, number: int) -> bytes:
        return self.services.read(number, DATA)

    def source(self, number: int) -> "bytes | None":
        if not self.flags(number) & FLAG_HAS_SOURCE:
            return None
        return self.services.read(number, SOURCE)

    def _kind_range(self, kind: int) -> "tuple[int, int]":
        """[first, end) record numbers of a kind: records are sorted by (kind, name)."""
        lo, hi = 0, self._count
        while lo < hi:  # first record whose kind is >= kind
            mid = (lo + hi) // 2
            if self.kind(mid) < kind:
                lo = mid + 1
            else:
                hi = mid
        end = lo
        while end < self._count and self.kind(end) == kind:
            end += 1
        return lo, end

    def names(self, kind: int) -> "dict[str, int]":
        """{name: record number} of every entry of a kind (built on first use)."""
        table = self._by_kind.get(kind)
        if table is not None:
            return table
        first, end = self._kind_range(kind)
        records = self.records
        name_sizes = records[1 : self._count * RECORD_WORDS : RECORD_WORDS]
        pos = sum(name_sizes[:first])
        names = bytes(self._names)
        table = {}
        for number in range(first, end):
            size = name_sizes[number]
            table[str(names[pos : pos + size], "utf-8")] = number
            pos += size
        self._by_kind[kind] = table
        return table


class OxidizedFinder:
    """Meta path finder and loader for modules embedded in the payload."""

    def __init__(self, payload: Payload, origin: str, virtual_files: bool = False) -> None:
        self._payload = payload
        self._find = payload.find
        # Opt-in: give embedded modules a __file__ below the executable's path. No file
        # exists there; loader.get_data() serves those paths from memory.
        self._virtual_files = virtual_files
        self._origin = origin  # the executable path; package paths hang below it
        # record number -> the path its shared object was loaded from. The memfd behind it
        # is closed once loaded; the dynamic loader (and CPython's extension cache) still
        # recognise the object by that path when the module is imported again.
        self._loaded: dict[int, str] = {}
        self._linecache: dict[str, object] | None = None  # linecache.cache, once imported
        self._aliases: dict[str, str] = {}  # "__main__" -> the module run as __main__
        self._tree: Tree | None = None  # built on first use by the resource services
        self._libraries: set[str] = set()  # names of the shared libraries loaded so far
        # Lazy loading (opt-in): off until the bootstrap hands over to the app.
        self._lazy = False
        self._eager: tuple[str, ...] = ()

    def defer_module_code(self, eager: "tuple[str, ...]") -> None:
        """From now on, run an embedded module's code when the module is first used, not
        when it is imported; modules named in ``eager`` (and their submodules) excepted."""
        self._lazy = True
        self._eager = eager

    def _may_defer(self, name: str, module: "ModuleType") -> bool:
        if type(module) is not _ModuleType or "__builtins__" in module.__dict__:
            return False  # a module of another class, or one executed before (a reload)
        if any(name == e or name.startswith(e + ".") for e in self._eager):
            return False
        return _statement_may_defer()

    def alias(self, name: str, target: str) -> None:
        """Let ``name`` (e.g. "__main__") answer loader queries for ``target``."""
        self._aliases[name] = target

    # -- finder --
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> "ModuleSpec | None":
        number = self._find(KIND_MODULE, fullname)
        if number >= 0:
            is_package = bool(self._payload.flags(number) & FLAG_PACKAGE)
        elif self._find(KIND_EXTENSION, fullname) >= 0:
            is_package = False
        else:
            return None
        # A loader in all but name; loader_state saves exec_module a second lookup.
        spec = _frozen_importlib.ModuleSpec(
            fullname,
            self,  # type: ignore[arg-type]
            is_package=is_package,
            loader_state=number if number >= 0 else None,
        )
        if is_package:
            spec.submodule_search_locations = [self._package_path(fullname)]
        if self._virtual_files and number >= 0:
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
        number = self._find(KIND_EXTENSION, spec.name)
        if number < 0:
            return None
        if number not in self._loaded:
            self._load_shared_libraries(number)
        return self._load_extension(spec, number)

    def exec_module(self, module: "ModuleType") -> None:
        spec = module.__spec__
        assert spec is not None  # the import system sets it before exec_module
        name = spec.name
        number = spec.loader_state
        if not isinstance(number, int):
            number = self._find(KIND_MODULE, name)
        if number < 0:  # an extension module: create_module made it
            _imp.exec_dynamic(module)
            return
        if self._lazy and self._may_defer(name, module):
            spec.loader_state = _Deferred(self, number)
            _module_setattr(module, "__class__", _LazyModule)
            if self._linecache is not None:
                self._register_lines(name)
            return
        code = self._payload.code(number)
        _frozen_importlib._call_with_frames_removed(exec, code, module.__dict__)  # type: ignore[attr-defined]
        self._executed(name, module)

    def _executed(self, name: str, module: "ModuleType") -> None:
        """After a module's code ran: what linecache needs to know."""
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
        number = self._find(KIND_MODULE, name)
        if cache is None or number < 0 or not self._payload.flags(number) & FLAG_HAS_SOURCE:
            return
        is_package = self._payload.flags(number) & FLAG_PACKAGE
        filename = (
            ORIGIN_PREFIX + name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        )
        if filename not in cache:
            cache[filename] = (lambda: self.get_source(name),)

    def _load_extension(self, spec: "ModuleSpec", number: int) -> "ModuleType":
        """Load an extension module from a memfd holding its verified bytes.

        The memfd is closed as soon as the object is loaded (dlopen keeps its own mapping),
        so an app may import any number of extension modules with few descriptors free.
        """
        path = self._loaded.get(number)
        fd = -1
        if path is None:
            fd, path = self._payload.services.memfd(number, spec.name)
        try:
            memory_spec = _frozen_importlib.ModuleSpec(spec.name, self, origin=path)  # type: ignore[arg-type]
            module: ModuleType = _imp.create_dynamic(memory_spec)
        except ImportError as exc:
            if _proc_is_mounted():
                raise
            raise ImportError(
                f"cannot load '{spec.name}' from memory: /proc is not mounted, and the "
                f"dynamic loader reads the in-memory copy through {path}",
                name=spec.name,
            ) from exc
        finally:
            if fd >= 0:
                posix.close(fd)
        self._loaded[number] = path
        return module

    def _load_shared_libraries(self, number: int) -> None:
        """Load the embedded libraries an extension module needs (a wheel's ``pkg.libs/``),
        as the build listed them in its record (blob B), before the module itself.

        The ones not loaded yet are loaded together, in one dlopen() by the launcher, so
        libraries that need each other find each other; afterwards the dynamic loader
        matches the module's DT_NEEDED entries against their sonames, so the RPATHs
        pointing next to the original files are not needed. No Python module is imported
        (ctypes would import struct, which may itself be the module being imported).
        """
        needs = self._payload.services.read(number, SOURCE)
        names = [n for n in str(needs, "utf-8").split("\0") if n and n not in self._libraries]
        if not names:
            return
        services = self._payload.services
        fds: list[int] = []
        try:
            paths = []
            for name in names:
                library = self._find(KIND_SHARED_LIBRARY, name)
                if library < 0:
                    raise ImportError(f"embedded shared library {name!r} is missing")
                fd, path = services.memfd(library, name)
                fds.append(fd)
                paths.append(path)
            services.load_libraries(paths)
        finally:
            for fd in fds:
                posix.close(fd)
        self._libraries.update(names)

    # -- InspectLoader --
    def _lookup(self, fullname: str) -> "int | None":
        """(record number or None for an extension module); ImportError if unknown."""
        fullname = self._aliases.get(fullname, fullname)
        number = self._find(KIND_MODULE, fullname)
        if number >= 0:
            return number
        if self._find(KIND_EXTENSION, fullname) < 0:
            raise ImportError(f"no embedded module named {fullname!r}", name=fullname)
        return None

    def get_code(self, fullname: str) -> "CodeType | None":
        number = self._lookup(fullname)
        return None if number is None else self._payload.code(number)

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
        if self._find(KIND_MODULE, fullname) < 0:
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
        payload = self._payload
        return sorted([*payload.names(KIND_MODULE), *payload.names(KIND_EXTENSION)])


def _proc_is_mounted() -> bool:
    try:
        posix.stat("/proc/self/fd")
    except OSError:
        return False
    return True
