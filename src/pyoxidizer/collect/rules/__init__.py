"""Packaging rules: each turns a ``[[packaging_rule]]`` into resources, in file order."""

from __future__ import annotations

from collections.abc import Callable

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
from pyoxidizer.config.schema import PackagingRule

__all__ = ["RULES", "RuleContext", "apply_rule"]

RuleFunction = Callable[[PackagingRule, RuleContext], int]

RULES: dict[str, RuleFunction] = {
    "stdlib": apply_stdlib,
    "package-root": apply_package_root,
    "stdlib-extension-policy": apply_policy,
    "stdlib-extensions-explicit-includes": apply_includes,
    "stdlib-extensions-explicit-excludes": apply_excludes,
    "stdlib-extension-variant": apply_variant,
    "pip-install-simple": apply_pip_install_simple,
    "pip-requirements-file": apply_pip_requirements_file,
    "setup-py-install": apply_setup_py_install,
    "virtualenv": apply_virtualenv,
    "filter-include": apply_filter_include,
    "write-license-files": apply_write_license_files,
    "file-based-packages": apply_file_based_packages,
}


def apply_rule(rule: PackagingRule, ctx: RuleContext) -> int:
    """Apply one rule; return how many resources it added."""
    return RULES[rule.type](rule, ctx)
