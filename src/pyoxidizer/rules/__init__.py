"""Packaging rules: each turns a ``[[packaging_rule]]`` into resources, in file order."""

from __future__ import annotations

from collections.abc import Callable

from pyoxidizer.config.schema import PackagingRule
from pyoxidizer.rules.context import RuleContext
from pyoxidizer.rules.extensions import apply_excludes, apply_includes, apply_policy, apply_variant
from pyoxidizer.rules.filter import apply_filter_include
from pyoxidizer.rules.install import (
    apply_pip_install_simple,
    apply_pip_requirements_file,
    apply_setup_py_install,
    apply_virtualenv,
)
from pyoxidizer.rules.licenses import apply_write_license_files
from pyoxidizer.rules.package_root import apply_package_root
from pyoxidizer.rules.relocate import apply_file_based_packages
from pyoxidizer.rules.stdlib import apply_stdlib

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
