"""Packaging rules: each turns a ``[[packaging_rule]]`` into resources, in file order."""

from __future__ import annotations

from typing import NoReturn

from pyoxidizer.collect.rules.context import RuleContext
from pyoxidizer.collect.rules.extensions import (
    apply_excludes,
    apply_includes,
    apply_policy,
    apply_variant,
)
from pyoxidizer.collect.rules.filter import apply_filter_include
from pyoxidizer.collect.rules.install import (
    apply_pip_install_simple,
    apply_pip_requirements_file,
    apply_setup_py_install,
    apply_virtualenv,
)
from pyoxidizer.collect.rules.licenses import apply_write_license_files
from pyoxidizer.collect.rules.package_root import apply_package_root
from pyoxidizer.collect.rules.relocate import apply_file_based_packages
from pyoxidizer.collect.rules.stdlib import apply_stdlib
from pyoxidizer.config import rules as r
from pyoxidizer.config.rules import PackagingRule

__all__ = ["RuleContext", "apply_rule"]


def apply_rule(rule: PackagingRule, ctx: RuleContext) -> int:
    """Apply one rule; return how many resources it added.

    One branch per member of ``config.rules.RuleOptions``: mypy checks that none is missing.
    """
    options, label = rule.options, rule.label
    if isinstance(options, r.Stdlib):
        return apply_stdlib(options, ctx, label)
    if isinstance(options, r.PackageRoot):
        return apply_package_root(options, ctx, label)
    if isinstance(options, r.StdlibExtensionPolicy):
        return apply_policy(options, ctx, label)
    if isinstance(options, r.StdlibExtensionsExplicitIncludes):
        return apply_includes(options, ctx, label)
    if isinstance(options, r.StdlibExtensionsExplicitExcludes):
        return apply_excludes(options, ctx, label)
    if isinstance(options, r.StdlibExtensionVariant):
        return apply_variant(options, ctx, label)
    if isinstance(options, r.PipInstallSimple):
        return apply_pip_install_simple(options, ctx, label)
    if isinstance(options, r.PipRequirementsFile):
        return apply_pip_requirements_file(options, ctx, label)
    if isinstance(options, r.SetupPyInstall):
        return apply_setup_py_install(options, ctx, label)
    if isinstance(options, r.Virtualenv):
        return apply_virtualenv(options, ctx, label)
    if isinstance(options, r.FilterInclude):
        return apply_filter_include(options, ctx, label)
    if isinstance(options, r.WriteLicenseFiles):
        return apply_write_license_files(options, ctx, label)
    if isinstance(options, r.FileBasedPackages):
        return apply_file_based_packages(options, ctx, label)
    _unknown(options)


def _unknown(options: NoReturn) -> NoReturn:
    raise AssertionError(f"no packaging rule applies {options!r}")
