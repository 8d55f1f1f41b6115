"""pyoxidizer.toml: find it, read it, validate it into frozen values (spec chapter 7)."""

from .loader import (
    CONFIG_FILE_NAME,
    ENV_VAR,
    find_config_file,
    load_config,
    read_config_file,
    validate_config,
)
from .schema import (
    APP_RELATIVE_PREFIX,
    EMBEDDED,
    BuildConfig,
    Config,
    DistributionSection,
    EmbeddedPythonConfig,
    PackagingRule,
    PythonDistributionConfig,
    RunConfig,
)

__all__ = [
    "APP_RELATIVE_PREFIX",
    "CONFIG_FILE_NAME",
    "EMBEDDED",
    "ENV_VAR",
    "BuildConfig",
    "Config",
    "DistributionSection",
    "EmbeddedPythonConfig",
    "PackagingRule",
    "PythonDistributionConfig",
    "RunConfig",
    "find_config_file",
    "load_config",
    "read_config_file",
    "validate_config",
]
