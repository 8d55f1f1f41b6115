"""Resources, metadata and module iteration for embedded packages.

Shipped in every executable as the embedded module ``_pyoxidizer_resources`` and imported
only when a program first asks for one of these services, so it costs nothing at start-up.
It runs after initialisation, so the standard library is available; it is imported lazily
inside functions all the same, to keep this module cheap to import.

Everything is seen through one virtual tree, laid out the way an installed package is on
disk: ``pkg/__init__.py``, ``pkg/mod.py`` (module sources, when packaged), ``pkg/data.txt``
(resources) and ``name-1.0.dist-info/METADATA``. Paths in the tree are relative posix paths.
"""

import _imp

try:
    import _pyoxidizer_contract as contract
except ImportError:  # imported as pyoxidizer.runtime.resources, outside an executable
    from pyoxidizer.runtime import contract  # type: ignore[no-redef]

KIND_MODULE = contract.KIND_MODULE
KIND_RESOURCE = contract.KIND_RESOURCE
KIND_EXTENSION = contract.KIND_EXTENSION
KIND_DIST_INFO = contract.KIND_DIST_INFO
FLAG_PACKAGE = contract.FLAG_PACKAGE
SEPARATOR = contract.RESOURCE_SEPARATOR

TYPE_CHECKING = False
if TYPE_CHECKING:
    import io
    from collections.abc import Iterator
    from importlib.machinery import ModuleSpec
    from typing import Any

    from _pyoxidizer_importer import OxidizedFinder, Payload


class Tree:
    """The embedded files of one payload, by relative path."""

    def __init__(self, payload: "Payload") -> None:
        self._payload = payload
        self.files: dict[str, tuple[int, int]] = {}  # path -> (kind, record number)
        for name, number in payload.names(KIND_MODULE).items():
            is_package = payload.flags(number) & FLAG_PACKAGE
            path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
            self.files[path] = (KIND_MODULE, number)
        suffix = _imp.extension_suffixes()[0]
        for name, number in payload.names(KIND_EXTENSION).items():
            self.files[name.replace(".", "/") + suffix] = (KIND_EXTENSION, number)
        for kind in (KIND_RESOURCE, KIND_DIST_INFO):
            for name, number in payload.names(kind).items():
                owner, _, relative = name.partition(SEPARATOR)
                base = owner.replace(".", "/") if kind == KIND_RESOURCE else owner
                self.files[base + "/" + relative] = (kind, number)
        self.dirs: dict[str, set[str]] = {"": set()}  # path -> child names
        for path in self.files:
            self._register(path)

    def _register(self, path: str) -> None:
        parent, _, child = path.rpartition("/")
        children = self.dirs.get(parent)
        if children is None:
            children = self.dirs[parent] = set()
            self._register(parent)
        children.add(child)

    def read(self, path: str) -> bytes:
        """Bytes of an embedded file; FileNotFoundError if there is none."""
        entry = self.files.get(path)
        if entry is None:
            raise FileNotFoundError(f"no embedded file {path!r}")
        kind, number = entry
        if kind != KIND_MODULE:
            return bytes(self._payload.data(number))
        source = self._payload.source(number)
        if source is None:
            raise FileNotFoundError(f"the source of {path!r} was not packaged")
        return bytes(source)


class OxidizedTraversable:
    """importlib.resources.abc.Traversable over the embedded tree (no file is involved)."""

    def __init__(self, tree: Tree, path: str, root: str) -> None:
        self._tree = tree
        self._path = path  # relative to the tree root
        self._root = root  # shown in repr/str: the executable's path

    @property
    def name(self) -> str:
        return self._path.rpartition("/")[2]

    def __repr__(self) -> str:
        return f"OxidizedTraversable({str(self)!r})"

    def __str__(self) -> str:
        return self._root + "/" + self._path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OxidizedTraversable) and other._path == self._path

    def __hash__(self) -> int:
        return hash(self._path)

    def is_dir(self) -> bool:
        return self._path in self._tree.dirs

    def is_file(self) -> bool:
        return self._path in self._tree.files and self._readable()

    def _readable(self) -> bool:
        try:
            self._tree.read(self._path)
        except FileNotFoundError:
            return False
        return True

    def exists(self) -> bool:
        return self.is_dir() or self.is_file()

    def iterdir(self) -> "Iterator[OxidizedTraversable]":
        if not self.is_dir():
            raise NotADirectoryError(f"{self} is not a directory")
        for name in sorted(self._tree.dirs[self._path]):
            child = self._child(name)
            if child.exists():
                yield child

    def _child(self, name: str) -> "OxidizedTraversable":
        path = f"{self._path}/{name}" if self._path else name
        return OxidizedTraversable(self._tree, path, self._root)

    def joinpath(self, *descendants: object) -> "OxidizedTraversable":
        node = self
        for descendant in descendants:
            for part in str(descendant).replace("\\", "/").split("/"):
                if part in ("", "."):
                    continue
                if part == "..":
                    raise ValueError("'..' is not supported in embedded resource paths")
                node = node._child(part)
        return node

    __truediv__ = joinpath

    def read_bytes(self) -> bytes:
        if self.is_dir():
            raise IsADirectoryError(f"{self} is a directory")
        return self._tree.read(self._path)

    def read_text(self, encoding: "str | None" = None, errors: "str | None" = None) -> str:
        # UTF-8 unless told otherwise, as importlib.resources.read_text() does.
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def open(self, mode: str = "r", *args: "Any", **kwargs: "Any") -> "io.IOBase":
        import io

        if mode not in ("r", "rb"):
            raise ValueError(f"embedded resources are read-only (mode {mode!r})")
        stream = io.BytesIO(self.read_bytes())
        if mode == "rb":
            return stream
        if not args:
            kwargs.setdefault("encoding", "utf-8")
        return io.TextIOWrapper(stream, *args, **kwargs)


class OxidizedResourceReader:
    """What ``loader.get_resource_reader(package)`` returns (spec 5.2)."""

    def __init__(self, tree: Tree, package: str, root: str) -> None:
        self._files = OxidizedTraversable(tree, package.replace(".", "/"), root)

    def files(self) -> OxidizedTraversable:
        return self._files

    def open_resource(self, resource: str) -> "io.IOBase":
        return self._files.joinpath(resource).open("rb")

    def resource_path(self, resource: str) -> str:
        # There is no file to point at: callers fall back to as_file()/open_resource().
        raise FileNotFoundError(f"{resource!r} is embedded in the executable, not a file")

    def is_resource(self, path: str) -> bool:
        return self._files.joinpath(path).is_file()

    def contents(self) -> "list[str]":
        return [child.name for child in self._files.iterdir()]


# --- importlib.metadata -------------------------------------------------------------------

_distribution_class: "type | None" = None


def _normalize(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _make_distribution_class() -> type:
    import importlib.metadata as metadata

    class OxidizedDistribution(metadata.Distribution):
        """A distribution whose metadata directory is embedded in the executable."""

        def __init__(self, tree: Tree, directory: str, root: str) -> None:
            self._tree = tree
            self._directory = directory
            self._root = root

        def read_text(self, filename: str) -> "str | None":
            try:
                return self._tree.read(f"{self._directory}/{filename}").decode("utf-8")
            except FileNotFoundError:
                return None

        read_text.__doc__ = metadata.Distribution.read_text.__doc__

        def locate_file(self, path: object) -> OxidizedTraversable:  # type: ignore[override]
            return OxidizedTraversable(self._tree, str(path).replace("\\", "/"), self._root)

        @property
        def _normalized_name(self) -> str:
            return _normalize(self._directory.partition("-")[0])

    return OxidizedDistribution


def find_distributions(tree: Tree, root: str, context: object) -> "Iterator[object]":
    global _distribution_class
    if _distribution_class is None:
        _distribution_class = _make_distribution_class()
    wanted = getattr(context, "name", None)
    wanted = _normalize(wanted) if wanted else None
    for directory in sorted(tree.dirs[""]):
        if not directory.endswith((".dist-info", ".egg-info")):
            continue
        if wanted is None or _normalize(directory.partition("-")[0]) == wanted:
            yield _distribution_class(tree, directory, root)


# --- pkgutil ------------------------------------------------------------------------------


class OxidizedPathEntryFinder:
    """Path entry finder for package __path__ entries below the executable's path."""

    def __init__(self, finder: "OxidizedFinder", tree: Tree, package: str) -> None:
        self._finder = finder
        self._tree = tree
        self._package = package  # "" for the executable itself

    def find_spec(self, fullname: str, target: object = None) -> "ModuleSpec | None":
        parent = fullname.rpartition(".")[0]
        if parent != self._package:
            return None
        return self._finder.find_spec(fullname)

    def invalidate_caches(self) -> None:
        pass

    def iter_modules(self, prefix: str = "") -> "Iterator[tuple[str, bool]]":
        directory = self._package.replace(".", "/")
        children = self._tree.dirs.get(directory, ())
        base = self._package + "." if self._package else ""
        stems = sorted({name.partition(".")[0] for name in children})
        for stem in stems:
            if stem == "__init__" or not stem.isidentifier():
                continue
            spec = self._finder.find_spec(base + stem)
            if spec is not None:
                yield prefix + stem, spec.submodule_search_locations is not None
