"""Runs inside the *target* interpreter (as a script): compile sources to marshalled code.

Input on stdin: a marshalled list of (name, source, filename, optimize). Output on stdout:
a marshalled tuple (results, pyc magic) where each result is ("ok", code bytes) or
("error", message). Only the standard library is used: this file is not imported by the
build, it is executed by the distribution's interpreter.

marshal output depends on the history of the process that writes it: an object whose
reference count is above one gets a "may be referenced again" flag even when nothing in
the stream refers back to it. ``normalize`` keeps the flag only on objects that are
referred back to, so each module's bytes depend on its source alone.
"""

from __future__ import annotations

import ast
import importlib.util
import marshal
import sys

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


def compile_one(source: bytes, filename: str, optimize: int, strip: bool = False) -> bytes:
    if strip:
        module = _AnnotationStripper().visit(ast.parse(source, filename))
        assert isinstance(module, ast.Module)
        tree = ast.fix_missing_locations(module)
        code = compile(tree, filename, "exec", dont_inherit=True, optimize=optimize)
    else:
        code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    return normalize(marshal.dumps(code))


def main() -> None:
    jobs = marshal.loads(sys.stdin.buffer.read())
    results: list[tuple[str, bytes | str]] = []
    for _name, source, filename, optimize, strip in jobs:
        try:
            results.append(("ok", compile_one(source, filename, optimize, strip)))
        except NormaliseError as exc:
            version = ".".join(map(str, sys.version_info[:3]))
            results.append(("fatal", f"Python {version}: {exc}"))
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f"line {line}: " if line else ""
            message = getattr(exc, "msg", None) or str(exc)
            results.append(("error", f"{where}{type(exc).__name__}: {message}"))
    sys.stdout.buffer.write(marshal.dumps((results, importlib.util.MAGIC_NUMBER)))


if __name__ == "__main__":
    main()
