"""``python/PYTHON.json`` of a python-build-standalone archive, read by its documented schema.

The schema is python-build-standalone's ``docs/distributions.rst`` (format versions 5 to 8;
version 5 introduced ``target_triple``, ``python_paths`` and the PEP 425 tags, 6 the
sysconfig data, 7 the Apple SDK keys, 8 ``build_options``). ``parse_python_json`` is pure:
it turns the decoded JSON into a ``PythonJson`` value or raises one ``DistributionError``
listing every problem with its key path. Where the documentation and the archives that
project publishes disagree, both spellings are read (see docs/standalone-distributions.md):

- ``inittab_object``/``inittab_source``/``inittab_cflags`` are documented under
  ``build_info.core`` but written directly under ``build_info``;
- an extension's licence files are documented as ``license_path`` and written as
  ``license_paths``;
- ``init_fn`` is ``"NULL"`` (a string) for the inittab entries without an initialisation
  function (``builtins``, ``sys``); ``null`` is accepted too;
- an extension without ``licenses`` is "unknown" by the documentation, but the archives leave
  the key out for every extension that links no library of its own: an extension whose
  links are all parts of the C library (libm, libdl, ...) has no library licence to know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyoxidizer.errors import DistributionError

FORMAT_VERSIONS = (5, 6, 7, 8)

# System libraries that are parts of the C library (glibc or musl): linking them adds no
# library, and no licence, beyond the C library's. Other system libraries (libuuid, ...)
# are libraries of their own.
C_LIBRARY_PARTS = frozenset({"c", "m", "dl", "pthread", "rt", "util", "crypt", "resolv"})


@dataclass(frozen=True)
class LinkEntry:
    """One entry of a ``links`` array: a library an extension module (or the core) needs."""

    name: str
    path_static: str | None = None  # relative to python/
    path_dynamic: str | None = None
    system: bool = False
    framework: bool = False


@dataclass(frozen=True)
class ExtensionVariant:
    """One candidate providing an extension module (``build_info.extensions.<name>[i]``)."""

    module: str
    variant: str
    init_fn: str | None  # None: the inittab entry has no initialisation function
    in_core: bool  # its code is in the core objects
    required: bool  # the interpreter cannot initialise without it
    objs: tuple[str, ...] = ()
    links: tuple[LinkEntry, ...] = ()
    static_lib: str | None = None
    shared_lib: str | None = None
    licenses: tuple[str, ...] | None = None  # SPDX ids of its libraries; None: unknown
    license_paths: tuple[str, ...] = ()
    license_public_domain: bool = False

    @property
    def libraries(self) -> tuple[LinkEntry, ...]:
        """The links beyond the C library (and macOS's frameworks)."""
        return tuple(
            link
            for link in self.links
            if not (link.framework or (link.system and link.name in C_LIBRARY_PARTS))
        )


@dataclass(frozen=True)
class PythonJson:
    """What a consumer of the archive needs from PYTHON.json, typed."""

    format_version: int
    target_triple: str
    build_options: str  # ``build_options`` (8), else ``optimizations``
    python_version: str
    version: tuple[int, int, int]
    cache_tag: str
    python_exe: str  # relative to python/
    paths: Mapping[str, str]  # sysconfig name -> path relative to python/
    suffixes: Mapping[str, tuple[str, ...]]
    bytecode_magic: str
    link_mode: str  # libpython_link_mode
    extension_loading: tuple[str, ...]
    crt_features: tuple[str, ...]
    core_objs: tuple[str, ...]
    core_links: tuple[LinkEntry, ...]
    core_static_lib: str | None
    inittab_object: str | None
    inittab_source: str | None
    inittab_cflags: tuple[str, ...]
    object_file_format: str
    extensions: Mapping[str, tuple[ExtensionVariant, ...]]
    licenses: tuple[str, ...] | None
    license_path: str | None
    stdlib_test_packages: tuple[str, ...] = ()
    config_vars: Mapping[str, str] = field(default_factory=dict)  # version 6 and later

    @property
    def stdlib(self) -> str:
        return self.paths["stdlib"]

    @property
    def include(self) -> str:
        return self.paths["include"]

    @property
    def ext_suffix(self) -> str:
        return self.suffixes["extension"][0]

    @property
    def static_crt(self) -> bool:
        """The C library is linked statically (musl): nothing can be loaded at run time."""
        return "static" in self.crt_features

    @property
    def glibc_floor(self) -> tuple[int, int] | None:
        """The newest glibc symbol version the archive's binaries use (``crt_features``)."""
        for feature in self.crt_features:
            if feature.startswith("glibc-max-symbol-version:"):
                major, _, minor = feature.split(":", 1)[1].partition(".")
                if major.isdigit() and minor.isdigit():
                    return int(major), int(minor)
        return None

    def default_variant(self, module: str) -> ExtensionVariant:
        return self.extensions[module][0]

    def variant(self, module: str, name: str | None) -> ExtensionVariant | None:
        """The variant ``name`` of ``module`` (the first one when ``name`` is None)."""
        for candidate in self.extensions.get(module, ()):
            if name is None or candidate.variant == name:
                return candidate
        return None


class _Reader:
    """Typed access to a JSON object that records a problem (with its key path) per bad key."""

    def __init__(self, obj: Mapping[str, Any], where: str, problems: list[str]) -> None:
        self.obj, self.where, self.problems = obj, where, problems

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _bad(self, key: str, what: str) -> None:
        self.problems.append(f"{self._path(key)} {what}")

    def has(self, key: str) -> bool:
        return key in self.obj

    def string(self, key: str, default: str | None = None) -> str:
        value = self.obj.get(key, default)
        if isinstance(value, str):
            return value
        self._bad(key, "is missing" if key not in self.obj else "must be a string")
        return ""

    def optional_string(self, key: str) -> str | None:
        value = self.obj.get(key)
        if value is None or isinstance(value, str):
            return value
        self._bad(key, "must be a string")
        return None

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self.obj.get(key, default)
        if isinstance(value, bool):
            return value
        self._bad(key, "is missing" if key not in self.obj else "must be true or false")
        return False

    def strings(self, key: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self.obj.get(key)
        if value is None and default is not None and key not in self.obj:
            return default
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        self._bad(key, "is missing" if key not in self.obj else "must be a list of strings")
        return ()

    def optional_strings(self, key: str) -> tuple[str, ...] | None:
        return self.strings(key) if self.obj.get(key) is not None else None

    def mapping(self, key: str, default: Mapping[str, Any] | None = None) -> _Reader:
        value = self.obj.get(key)
        if value is None and default is not None and key not in self.obj:
            value = default
        if not isinstance(value, dict):
            self._bad(key, "is missing" if key not in self.obj else "must be an object")
            value = {}
        return _Reader(value, self._path(key), self.problems)

    def items(self) -> list[tuple[str, Any]]:
        return sorted(self.obj.items())


def parse_python_json(doc: object, where: str) -> PythonJson:
    """The typed content of a decoded PYTHON.json; ``where`` names it in errors."""
    if not isinstance(doc, dict):
        raise DistributionError(f"{where} does not hold a JSON object")
    version = _format_version(doc, where)
    problems: list[str] = []
    top = _Reader(doc, "", problems)
    build_info = top.mapping("build_info")
    core = build_info.mapping("core")
    # Documented under build_info.core, written under build_info: read either.
    inittab = build_info if build_info.has("inittab_object") else core
    info = PythonJson(
        format_version=version,
        target_triple=top.string("target_triple"),
        build_options=top.string("build_options" if version >= 8 else "optimizations"),
        python_version=top.string("python_version"),
        version=_python_version(top),
        cache_tag=top.string("python_implementation_cache_tag"),
        python_exe=top.string("python_exe"),
        paths=_string_map(top.mapping("python_paths")),
        suffixes=_suffixes(top.mapping("python_suffixes")),
        bytecode_magic=top.string("python_bytecode_magic_number"),
        link_mode=top.string("libpython_link_mode"),
        extension_loading=top.strings("python_extension_module_loading"),
        crt_features=top.strings("crt_features"),
        core_objs=core.strings("objs"),
        core_links=_links(core, "links"),
        core_static_lib=core.optional_string("static_lib"),
        inittab_object=inittab.optional_string("inittab_object"),
        inittab_source=inittab.optional_string("inittab_source"),
        inittab_cflags=inittab.strings("inittab_cflags", default=()),
        object_file_format=build_info.string("object_file_format"),
        extensions=_extensions(build_info.mapping("extensions")),
        licenses=top.optional_strings("licenses"),
        license_path=top.optional_string("license_path"),
        stdlib_test_packages=top.strings("python_stdlib_test_packages", default=()),
        config_vars=_config_vars(top) if version >= 6 else {},
    )
    for key in ("stdlib", "include"):
        if key not in info.paths and not any(p.startswith("python_paths ") for p in problems):
            problems.append(f"python_paths.{key} is missing")
    if not info.suffixes.get("extension"):
        problems.append("python_suffixes.extension is missing or empty")
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        raise DistributionError(
            f"{where} does not follow the PYTHON.json schema (format version {version}):\n{listed}"
        )
    return info


def _format_version(doc: Mapping[str, Any], where: str) -> int:
    raw = doc.get("version")
    text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not text.isdigit():
        raise DistributionError(f"{where} has no format 'version'; is it a PYTHON.json?")
    version = int(text)
    if version not in FORMAT_VERSIONS:
        supported = ", ".join(map(str, FORMAT_VERSIONS))
        older = " (it predates target_triple, python_paths and the PEP 425 tags)"
        raise DistributionError(
            f"{where} is PYTHON.json format version {version}; supported versions are "
            f"{supported}{older if version < FORMAT_VERSIONS[0] else ''}"
        )
    return version


def _python_version(top: _Reader) -> tuple[int, int, int]:
    text = top.string("python_version")
    parts = text.split(".")
    digits = [int("".join(c for c in p if c.isdigit()) or -1) for p in parts[:3]]
    if len(digits) == 3 and all(d >= 0 for d in digits):
        return digits[0], digits[1], digits[2]
    if text:
        top.problems.append(f"python_version {text!r} is not X.Y.Z")
    return (0, 0, 0)


def _string_map(reader: _Reader) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in reader.items():
        if isinstance(value, str):
            out[key] = value
        else:
            reader.problems.append(f"{reader._path(key)} must be a string")
    return out


def _config_vars(top: _Reader) -> dict[str, str]:
    # Documented as strings; values are kept as text whatever their JSON type.
    value = top.obj.get("python_config_vars")
    if not isinstance(value, dict):
        top.problems.append("python_config_vars is missing or not an object (format 6 and later)")
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _suffixes(reader: _Reader) -> dict[str, tuple[str, ...]]:
    return {key: reader.strings(key) for key, _ in reader.items()}


def _links(reader: _Reader, key: str) -> tuple[LinkEntry, ...]:
    value = reader.obj.get(key, [])
    if not isinstance(value, list):
        reader.problems.append(f"{reader._path(key)} must be a list")
        return ()
    links = []
    for i, item in enumerate(value):
        where = f"{reader._path(key)}[{i}]"
        if not isinstance(item, dict):
            reader.problems.append(f"{where} must be an object")
            continue
        entry = _Reader(item, where, reader.problems)
        links.append(
            LinkEntry(
                name=entry.string("name"),
                path_static=entry.optional_string("path_static"),
                path_dynamic=entry.optional_string("path_dynamic"),
                system=entry.boolean("system", default=False),
                framework=entry.boolean("framework", default=False),
            )
        )
    return tuple(links)


def _extensions(reader: _Reader) -> dict[str, tuple[ExtensionVariant, ...]]:
    out: dict[str, tuple[ExtensionVariant, ...]] = {}
    for module, candidates in reader.items():
        where = reader._path(module)
        if not isinstance(candidates, list) or not candidates:
            reader.problems.append(f"{where} must be a non-empty list of candidates")
            continue
        variants = []
        for i, candidate in enumerate(candidates):
            if not isinstance(candidate, dict):
                reader.problems.append(f"{where}[{i}] must be an object")
                continue
            variants.append(_variant(module, _Reader(candidate, f"{where}[{i}]", reader.problems)))
        out[module] = tuple(variants)
    return out


def _variant(module: str, entry: _Reader) -> ExtensionVariant:
    init_fn = entry.optional_string("init_fn")
    paths_key = "license_paths" if entry.has("license_paths") else "license_path"
    license_paths = entry.obj.get(paths_key)
    return ExtensionVariant(
        module=module,
        variant=entry.string("variant", default="default"),
        init_fn=None if init_fn in (None, "NULL") else init_fn,
        in_core=entry.boolean("in_core"),
        required=entry.boolean("required", default=False),
        objs=entry.strings("objs", default=()),
        links=_links(entry, "links"),
        static_lib=entry.optional_string("static_lib"),
        shared_lib=entry.optional_string("shared_lib"),
        licenses=entry.optional_strings("licenses"),
        license_paths=(license_paths,)
        if isinstance(license_paths, str)
        else entry.strings(paths_key, default=()),
        license_public_domain=bool(entry.obj.get("license_public_domain") or False),
    )
