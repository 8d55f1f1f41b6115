"""Runs inside the *target* interpreter (as a script): compile sources to marshalled code.

Input on stdin: a marshalled list of (name, source, filename, optimize). Output on stdout:
a marshalled tuple (results, pyc magic, facts) where each result is ("ok", code bytes) or
("error", message), and each fact is the marshalled (source hash, imports) of a module that
compiled, else b"": the hash ``importlib.util.source_hash`` gives (hash-based .pyc files),
and the imports its bytecode performs (``imports_of``). Only the standard library is used:
the distribution's interpreter executes this file; the build imports only its constants.

marshal output depends on the history of the process that writes it: an object whose
reference count is above one gets a "may be referenced again" flag even when nothing in
the stream refers back to it. ``normalize`` keeps the flag only on objects that are
referred back to, so each module's bytes depend on its source alone.
"""

from __future__ import annotations

import ast
import importlib.util
import marshal
import opcode
import sys
from types import CodeType

FLAG_REF = 0x80
_NO_PAYLOAD = set(b"0NFTS.")
_FIXED = {ord("i"): 4, ord("I"): 8, ord("g"): 8, ord("y"): 16}
_SIZED32 = set(b"stuaA")
_SIZED8 = set(b"zZ")
_SEQUENCE32 = set(b"([<>")
if sys.version_info >= (3, 11):
    _CODE_INTS, _CODE_OBJECTS, _CODE_TAIL = 5, 8, 2
else:
    _CODE_INTS, _CODE_OBJECTS, _CODE_TAIL = 6, 8, 1


class _Walker:
    """Walks one marshal stream; with ``keep`` given, writes it back with refs renumbered."""

    def __init__(self, data: bytes, keep: set[int] | None) -> None:
        self.data = data
        self.pos = 0
        self.keep = keep
        self.used: set[int] = set()
        self.flagged = 0
        self.renumber: dict[int, int] = {}
        self.out = bytearray()

    def _copy(self, n: int) -> None:
        self.out += self.data[self.pos : self.pos + n]
        self.pos += n

    def _u32(self) -> int:
        return int.from_bytes(self.data[self.pos : self.pos + 4], "little", signed=True)

    def _type_byte(self) -> int:
        byte = self.data[self.pos]
        self.pos += 1
        if byte & FLAG_REF:
            index = self.flagged
            self.flagged += 1
            if self.keep is None or index in self.keep:
                self.renumber[index] = len(self.renumber)
            else:
                byte &= ~FLAG_REF
        self.out.append(byte)
        return byte & ~FLAG_REF

    def obj(self) -> None:
        kind = self._type_byte()
        if kind in _NO_PAYLOAD:
            return
        if kind in _FIXED:
            self._copy(_FIXED[kind])
        elif kind == ord("l"):
            self._copy(4 + 2 * abs(self._u32()))
        elif kind in _SIZED32:
            self._copy(4 + self._u32())
        elif kind in _SIZED8 or kind == ord("f"):
            self._copy(1 + self.data[self.pos])
        elif kind == ord("x"):
            self._copy(1 + self.data[self.pos])
            self._copy(1 + self.data[self.pos])
        else:
            self._container(kind)

    def _container(self, kind: int) -> None:
        if kind in _SEQUENCE32:
            count = self._u32()
            self._copy(4)
            for _ in range(count):
                self.obj()
        elif kind == ord(")"):
            count = self.data[self.pos]
            self._copy(1)
            for _ in range(count):
                self.obj()
        elif kind == ord("{"):
            while self.data[self.pos] != ord("0"):
                self.obj()
                self.obj()
            self._copy(1)
        elif kind == ord("r"):
            index = self._u32()
            self.used.add(index)
            self.pos += 4
            self.out += self.renumber.get(index, index).to_bytes(4, "little")
        elif kind == ord("c"):
            self._code()
        else:
            raise ValueError(f"unknown marshal type {chr(kind)!r} at {self.pos - 1}")

    def _code(self) -> None:
        self._copy(4 * _CODE_INTS)
        for _ in range(_CODE_OBJECTS):
            self.obj()
        self._copy(4)  # firstlineno
        for _ in range(_CODE_TAIL):
            self.obj()


class NormaliseError(Exception):
    """marshal wrote something the normaliser does not understand: a bug, never the source's
    fault, so the build must stop rather than drop the module."""


def normalize(data: bytes) -> bytes:
    """The same marshal stream with only the back-referenced objects flagged."""
    try:
        survey = _Walker(data, None)
        survey.obj()
        rewrite = _Walker(data, survey.used)
        rewrite.obj()
    except (ValueError, IndexError) as exc:
        raise NormaliseError(str(exc) or type(exc).__name__) from None
    if rewrite.pos != len(data):
        raise NormaliseError("marshal stream has trailing data")
    return bytes(rewrite.out)


class _AnnotationStripper(ast.NodeTransformer):
    """Removes what only a type checker reads: annotations and ``if TYPE_CHECKING:`` code."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        node.returns = None
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        for argument in every:
            argument.annotation = None
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None
        return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt] | None:
        self.generic_visit(node)
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return node.orelse or None
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.generic_visit(node)
        if not node.body:  # it held annotations only
            node.body = [ast.copy_location(ast.Pass(), node)]
        return node


def _compile(source: bytes, filename: str, optimize: int, strip: bool) -> CodeType:
    if not strip:
        return compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    module = _AnnotationStripper().visit(ast.parse(source, filename))
    assert isinstance(module, ast.Module)
    tree = ast.fix_missing_locations(module)
    return compile(tree, filename, "exec", dont_inherit=True, optimize=optimize)


def compile_one(source: bytes, filename: str, optimize: int, strip: bool = False) -> bytes:
    return normalize(marshal.dumps(_compile(source, filename, optimize, strip)))


# --- the imports a module's bytecode performs --------------------------------------------
# ``import a.b`` and ``from .c import d`` compile to LOAD_CONST level, LOAD_CONST fromlist,
# IMPORT_NAME name (3.10 to 3.13). Scanning the raw code for IMPORT_NAME is ~20x faster than
# dis.get_instructions, which matters for a whole standard library.
_IMPORT_NAME = opcode.opmap["IMPORT_NAME"]
_LOAD_CONST = opcode.opmap["LOAD_CONST"]
_EXTENDED_ARG = opcode.EXTENDED_ARG
# 3.10 marks protected regions with SETUP_* jumps; 3.11+ has an exception table instead.
_SETUP = {opcode.opmap[n] for n in ("SETUP_FINALLY", "SETUP_WITH") if n in opcode.opmap}
_DYNAMIC_IMPORTERS = frozenset({"__import__", "import_module"})
_CO_OPTIMIZED = 0x1  # a function's code (a class body's is not: it runs at import time)

# Flags of an import.
IN_FUNCTION = 1  # it runs when a function is called, not when the module is imported
GUARDED = 2  # inside a try (or with) block: the code may expect it to fail
DYNAMIC = 4  # a string constant next to a call of __import__ or importlib.import_module

# (name, level, fromlist or None, flags)
Import = tuple[str, int, "tuple[str, ...] | None", int]


def _start(raw: bytes, i: int) -> int:
    """The offset of the EXTENDED_ARG prefixes of the instruction at ``i``, if any."""
    while i >= 2 and raw[i - 2] == _EXTENDED_ARG:
        i -= 2
    return i


def _arg(raw: bytes, start: int, i: int) -> int:
    arg = 0
    for j in range(start, i + 2, 2):
        arg = arg << 8 | raw[j + 1]
    return arg


def _const_before(code: CodeType, raw: bytes, start: int) -> tuple[bool, object, int]:
    """(found, value, its start) of a LOAD_CONST ending right before ``start``."""
    i = start - 2
    if i < 0 or raw[i] != _LOAD_CONST:
        return False, None, start
    begin = _start(raw, i)
    return True, code.co_consts[_arg(raw, begin, i)], begin


def _varints(table: bytes) -> list[int]:
    values, value = [], 0
    for byte in table:
        value = value << 6 | byte & 63
        if not byte & 64:
            values.append(value)
            value = 0
    return values


def _protected(code: CodeType, raw: bytes) -> list[tuple[int, int]]:
    """Byte ranges of the code that an exception handler covers."""
    table = getattr(code, "co_exceptiontable", None)
    if table is not None:  # 3.11+: (start, length, target, depth) in code units
        v = _varints(table)
        return [(2 * v[i], 2 * (v[i] + v[i + 1])) for i in range(0, len(v) - 3, 4)]
    ranges = []
    for i in range(0, len(raw), 2):
        if raw[i] in _SETUP:
            start = _start(raw, i)
            ranges.append((i, i + 2 + 2 * _arg(raw, start, i)))  # 3.10: relative, in units
    return ranges


def _scan(code: CodeType, out: list[Import], nested: int) -> None:
    if code.co_flags & _CO_OPTIMIZED:
        nested = IN_FUNCTION
    raw = code.co_code
    i = raw.find(_IMPORT_NAME)
    protected = _protected(code, raw) if i >= 0 else []
    while i >= 0:
        if i % 2 == 0:
            start = _start(raw, i)
            name = code.co_names[_arg(raw, start, i)]
            found, fromlist, start = _const_before(code, raw, start)
            found_level, level, _ = _const_before(code, raw, start) if found else (0, 0, 0)
            names = tuple(fromlist) if isinstance(fromlist, tuple) else None
            level = level if found_level and isinstance(level, int) else 0
            guarded = GUARDED if any(a <= i < b for a, b in protected) else 0
            out.append((name, level, names, nested | guarded))
        i = raw.find(_IMPORT_NAME, i + 1)
    if _DYNAMIC_IMPORTERS.intersection(code.co_names):
        out.extend(
            (c, 0, None, nested | DYNAMIC)
            for c in code.co_consts
            if isinstance(c, str) and c and all(p.isidentifier() for p in c.split("."))
        )
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _scan(const, out, nested)


def imports_of(code: CodeType) -> list[Import]:
    """What a module's code imports, in order, duplicates removed."""
    found: list[Import] = []
    _scan(code, found, 0)
    return list(dict.fromkeys(found))


def compile_with_facts(
    source: bytes, filename: str, optimize: int, strip: bool = False
) -> tuple[bytes, bytes]:
    """(normalised marshalled code, marshalled (source hash, imports))."""
    code = _compile(source, filename, optimize, strip)
    facts = marshal.dumps((importlib.util.source_hash(source), imports_of(code)))
    return normalize(marshal.dumps(code)), facts


def main() -> None:
    jobs = marshal.loads(sys.stdin.buffer.read())
    results: list[tuple[str, bytes | str]] = []
    facts: list[bytes] = []
    for _name, source, filename, optimize, strip in jobs:
        try:
            code, fact = compile_with_facts(source, filename, optimize, strip)
            results.append(("ok", code))
            facts.append(fact)
        except NormaliseError as exc:
            version = ".".join(map(str, sys.version_info[:3]))
            results.append(("fatal", f"Python {version}: {exc}"))
            facts.append(b"")
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f"line {line}: " if line else ""
            message = getattr(exc, "msg", None) or str(exc)
            results.append(("error", f"{where}{type(exc).__name__}: {message}"))
            facts.append(b"")
    sys.stdout.buffer.write(marshal.dumps((results, importlib.util.MAGIC_NUMBER, facts)))


if __name__ == "__main__":
    main()
