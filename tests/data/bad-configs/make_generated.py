"""Writes the corpus cases too large or too odd to write by hand; run it from this directory.

python make_generated.py
"""

from pathlib import Path

HEAD = '[[build]]\napplication_name = "app"\n\n[[packaging_rule]]\ntype = "stdlib"\n\n'
RUN = '[[embedded_python_run]]\nmode = "eval"\n'


def write(name: str, what: str, expects: list[str], body: bytes) -> None:
    header = f"# {what}\n" + "".join(f"# expect: {e}\n" for e in expects)
    Path(f"{name}.toml").write_bytes(header.encode() + body)


write(
    "deep-arrays",
    "arrays nested 20,000 deep (RecursionError in the TOML parser)",
    ["line 11 | [[embedded_python_run]] | key 'code' nests arrays or inline tables 20000 levels"],
    (HEAD + RUN + "code = " + "[" * 20000 + "]" * 20000 + "\n").encode(),
)
write(
    "deep-inline-tables",
    "inline tables nested 5,000 deep",
    ["line 11 | [[embedded_python_run]] | key 'code' nests arrays or inline tables 5000 levels"],
    (HEAD + RUN + "code = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n").encode(),
)
write(
    "build-name-64k",
    "an application_name of 64 KiB: the error quotes 200 characters of it",
    [
        "[[build]] #1 | key 'application_name' must be a file name of at most 255 bytes | (65536 characters)"
    ],
    b'[[build]]\napplication_name = "'
    + b"n" * 65536
    + b'"\n\n[[packaging_rule]]\ntype = "stdlib"\n',
)
write(
    "not-utf8",
    "a config that is not UTF-8 text",
    ["not valid UTF-8 text (byte"],
    b'[[build]]\napplication_name = "caf\xe9"\n',
)
write(
    "python-executable-64k",
    "a python_executable of 64 KiB, longer than any path",
    ["[[python_distribution]] #1 | key 'python_executable' must be a path of at most 4096 bytes"],
    HEAD.encode() + b'[[python_distribution]]\npython_executable = "/' + b"p" * 65535 + b'"\n',
)
write(
    "build-path-64k",
    "a build_path of 64 KiB",
    ["[[build]] #2 | key 'build_path' must be a path of at most 4096 bytes"],
    HEAD.encode() + b'[[build]]\nbuild_path = "' + b"b" * 65536 + b'"\n',
)
