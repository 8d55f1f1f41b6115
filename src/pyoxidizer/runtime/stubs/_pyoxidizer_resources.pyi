# runtime/resources.py, as it is embedded in every executable.
from pyoxidizer.runtime.resources import *  # noqa: F403
