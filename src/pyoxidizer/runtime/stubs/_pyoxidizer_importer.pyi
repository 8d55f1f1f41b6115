# runtime/importer.py, as the launcher registers it inside the executable.
from pyoxidizer.runtime.importer import *  # noqa: F403
from pyoxidizer.runtime.importer import OxidizedFinder as OxidizedFinder
from pyoxidizer.runtime.importer import Payload as Payload
from pyoxidizer.runtime.importer import PayloadCorrupt as PayloadCorrupt
