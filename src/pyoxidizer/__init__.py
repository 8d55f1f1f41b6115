"""Build single-file executables that embed CPython and import from memory."""

__version__ = "0.1.0"
