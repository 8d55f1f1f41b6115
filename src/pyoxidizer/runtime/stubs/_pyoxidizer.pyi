# The launcher's builtin module (launcher/launcher.c, pyox_module_init), for mypy.
payload: memoryview
executable: str
raw_allocator: str

def crc32(data: bytes | memoryview, /) -> int: ...
