"""The stdlib extension-module rules: which of the distribution's extension modules to embed.

With a host interpreter, modules compiled into libpython (``sys.builtin_module_names``) are
always present; the others live in ``lib-dynload`` and are embedded as shared objects
loaded from memory. With a standalone distribution every module is a builtin: the ones the
rules select (in the variant they select) are linked into the launcher, with the modules
the interpreter requires (``linked_extensions``); nothing is loaded from memory.
"""

from __future__ import annotations

from pyoxidizer.collect.resources import ExtensionModule, ResourceCollector
from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.config.rules import (
    StdlibExtensionPolicy,
    StdlibExtensionsExplicitExcludes,
    StdlibExtensionsExplicitIncludes,
    StdlibExtensionVariant,
)
from pyoxidizer.errors import RuleError, quote
from pyoxidizer.pythondist import Distribution
from pyoxidizer.pythondist.licenses import ExtensionLicense, extension_licenses
from pyoxidizer.pythondist.pythonjson import ExtensionVariant


def available_extensions(dist: Distribution) -> dict[str, ExtensionModule]:
    """Every extension module of the distribution, built-in or in lib-dynload."""
    if dist.standalone is not None:
        parts = dist.standalone
        return {
            name: ExtensionModule(name, None, None, variant=variants[0].variant)
            for name in sorted(parts.info.extensions)
            if (variants := parts.linkable_variants(name))
        }
    found: dict[str, ExtensionModule] = {
        name: ExtensionModule(name, None, None) for name in dist.builtin_modules
    }
    if dist.dynload_dir.is_dir():
        for path in sorted(dist.dynload_dir.iterdir()):
            if path.name.endswith(dist.ext_suffix):
                name = path.name[: -len(dist.ext_suffix)]
                found.setdefault(name, ExtensionModule(name, None, path))
    return found


def _load(ext: ExtensionModule, compress: bool) -> ExtensionModule:
    if ext.origin is None:
        return ext
    return ExtensionModule(ext.name, ext.origin.read_bytes(), ext.origin, compress=compress)


def _add(
    names: list[str],
    dist: Distribution,
    collector: ResourceCollector,
    label: str,
    compress: bool | None = None,
) -> int:
    """Add extension modules; ``compress`` None keeps what an earlier rule chose (the
    policy's ``compression``), else compresses."""
    available = available_extensions(dist)
    for name in names:
        earlier = collector.extensions.get(name)
        chosen = compress if compress is not None else earlier is None or earlier.compress
        collector.add(_load(available[name], chosen), label)
    return len(names)


def apply_policy(rule: StdlibExtensionPolicy, ctx: RuleContext, label: str) -> int:
    dist, collector = ctx.dist, ctx.collector
    policy = rule.policy
    compress = rule.compression == "zstd"
    available = available_extensions(dist)
    if dist.standalone is not None:
        for name, problem in sorted(dist.standalone.unlinkable.items()):
            collector.skip("extension", name, label, f"cannot be linked in: {problem}")
    if policy == "minimal":
        builtin = sorted(dist.builtin_modules & available.keys())
        return _add(builtin, dist, collector, label, compress)
    if policy == "all":
        return _add(sorted(available), dist, collector, label, compress)
    licenses = extension_licenses(dist)
    keep: list[str] = []
    for name in sorted(available):
        reason = _policy_refusal(policy, licenses.get(name))
        if reason is None:
            keep.append(name)
        else:
            collector.skip("extension", name, label, reason)
    return _add(keep, dist, collector, label)


# Licenses known not to be GPL-family (spec 7.3.5: an explicit allow list, so a new GPL
# variant cannot slip through). Names as Debian copyright files and python-build-standalone
# spell them, compared case-insensitively.
NON_GPL_LICENSES = frozenset(
    name.lower()
    for name in (
        "Apache-2.0",
        "BSD",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSD-4-Clause",
        "BSD-variant",
        "bzip2-1.0.6",
        "Expat",
        "ISC",
        "MIT",
        "MIT/X11",
        "OpenSSL",
        "PD",
        "PSF-2.0",
        "Public Domain",  # python-build-standalone's license_public_domain
        "public-domain",
        "Sleepycat",
        "SSLeay",
        "X11",
        "Zlib",
    )
)


def _policy_refusal(policy: str, info: ExtensionLicense | None) -> str | None:
    """Why ``policy`` leaves an extension module out, or None to keep it.

    System libraries (parts of the C library such as libm or libdl) are not "additional
    libraries" and carry no licence of their own to check.
    """
    libraries = () if info is None else info.own_libraries
    if policy == "no-libraries":
        if libraries:
            return "links " + ", ".join(lib.name for lib in libraries)
        return None
    if not libraries:
        return None  # only CPython's own code, under the PSF license
    if info is None or info.licenses is None:
        return "unknown license of " + ", ".join(lib.name for lib in libraries)
    not_allowed = sorted(n for n in info.licenses if n.lower() not in NON_GPL_LICENSES)
    if not_allowed:
        return "license not known to be free of the GPL: " + ", ".join(not_allowed)
    return None


def _check_known(names: list[str], dist: Distribution, label: str) -> None:
    unlinkable = dist.standalone.unlinkable if dist.standalone is not None else {}
    for name in names:
        if name in unlinkable:
            raise RuleError(
                f"{label}: extension module {name} of {dist.source} cannot be linked in: "
                f"{unlinkable[name]}"
            )
    unknown = sorted(set(names) - available_extensions(dist).keys())
    if unknown:
        raise RuleError(
            f"{label}: the distribution has no extension module named "
            + ", ".join(quote(name) for name in unknown)
        )


def apply_includes(rule: StdlibExtensionsExplicitIncludes, ctx: RuleContext, label: str) -> int:
    dist, collector = ctx.dist, ctx.collector
    names = list(rule.includes)
    _check_known(names, dist, label)
    return _add(names, dist, collector, label)


def apply_excludes(rule: StdlibExtensionsExplicitExcludes, ctx: RuleContext, label: str) -> int:
    dist, collector = ctx.dist, ctx.collector
    excludes = set(rule.excludes)
    _check_known(sorted(excludes), dist, label)
    keep = sorted(n for n in available_extensions(dist) if n not in excludes)
    for name in sorted(excludes):
        collector.remove("extension", name, label, "listed in excludes")
    return _add(keep, dist, collector, label)


def apply_variant(rule: StdlibExtensionVariant, ctx: RuleContext, label: str) -> int:
    """Include ``extension`` in the variant ``variant`` (spec 7.3.5)."""
    dist = ctx.dist
    if dist.standalone is None:
        raise RuleError(
            f"{label}: extension {rule.extension!r} has no variant {rule.variant!r}: the host "
            f"distribution {dist.python_exe} offers no extension-module variants "
            "(available variants: none)"
        )
    _check_known([rule.extension], dist, label)
    offered = dist.standalone.linkable_variants(rule.extension)
    if rule.variant not in (v.variant for v in offered):
        names = ", ".join(v.variant for v in offered)
        raise RuleError(
            f"{label}: extension {rule.extension!r} has no variant {rule.variant!r} in "
            f"{dist.source} (available variants: {names})"
        )
    module = ExtensionModule(rule.extension, None, None, variant=rule.variant)
    ctx.collector.add(module, label)
    return 1


def linked_extensions(dist: Distribution, collector: ResourceCollector) -> list[ExtensionVariant]:
    """The variants a standalone distribution's launcher links as builtins: what the rules
    selected, plus what the interpreter needs (``required`` or in the core objects).
    Empty for a host interpreter, whose builtins are fixed."""
    if dist.standalone is None:
        return []
    parts = dist.standalone
    chosen: list[ExtensionVariant] = []
    for name in sorted(parts.info.extensions):
        variants = parts.linkable_variants(name)
        selected = collector.extensions.get(name)
        if selected is not None and selected.data is None:
            wanted = [v for v in variants if v.variant == selected.variant] or variants[:1]
            chosen += wanted
        elif variants and (variants[0].required or variants[0].in_core):
            chosen.append(variants[0])
    return chosen
