# runtime/contract.py, as the launcher registers it inside the executable.
from pyoxidizer.runtime.contract import *  # noqa: F403
from pyoxidizer.runtime.contract import RuntimeSettings as RuntimeSettings
from pyoxidizer.runtime.contract import SettingsError as SettingsError
