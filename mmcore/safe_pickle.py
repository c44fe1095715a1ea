"""Reading legacy pickles as data, never as code.

MirrorManager1 and early MirrorManager2 stored Python pickles in the database
(``directory.files``, check-in payloads).  ``pickle.loads`` on such bytes runs whatever callable
the bytes name, so it is never called here.  :func:`loads` is an interpreter of the pickle opcode
stream (protocols 0 to 5) that builds only plain values: lists, dicts, tuples, strings, bytes,
integers, floats, booleans, ``None`` -- and ``datetime.datetime``, rebuilt from its field bytes
by value.  Any other global, any object construction (``REDUCE`` of anything but that datetime,
``BUILD``, ``INST``, ``OBJ``, ``NEWOBJ``, extensions, persistent ids, out-of-band buffers),
sets and malformed streams raise :class:`PickleRefused`, naming the opcode and its offset.
"""

from __future__ import annotations

import ast
import datetime
import struct
from typing import Any

#: the globals a pickle may name, applied by value here, never imported: the datetime class
#: (rebuilt from its fields) and ``_codecs.encode`` (how Python 3 writes bytes in protocols 0-1)
_DATETIME = ("datetime", "datetime")
_ENCODE = ("_codecs", "encode")


class PickleRefused(ValueError):
    """The pickle is malformed or names something other than plain data."""


class _Mark:
    __slots__ = ()


class _Global:
    """Stands for an allowed global until ``REDUCE`` applies it."""

    __slots__ = ("name",)

    def __init__(self, name: tuple[str, str]) -> None:
        self.name = name


class _LegacyStr(str):
    """A Python 2 byte string read as text, remembering its bytes (a datetime's fields)."""

    raw: bytes


def _text(raw: bytes) -> str:
    """A protocol-0/1 byte string (Python 2 ``str``) as text."""
    try:
        text = _LegacyStr(raw.decode("utf-8"))
    except UnicodeDecodeError:
        text = _LegacyStr(raw.decode("latin-1"))
    text.raw = raw
    return text

_REFUSED = {
    0x62: "BUILD", 0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX",
    0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x50: "PERSID", 0x51: "BINPERSID",
    0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS",
    0x91: "FROZENSET",
}  # fmt: skip


def _make_datetime(args: Any, at: int) -> datetime.datetime:
    if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], (bytes, str)):
        raw = args[0] if isinstance(args[0], bytes) else getattr(args[0], "raw", None)
        if raw is None:
            raw = args[0].encode("latin-1", "replace")
        if len(raw) == 10:
            try:
                return datetime.datetime(
                    raw[0] * 256 + raw[1], raw[2], raw[3], raw[4], raw[5], raw[6],
                    (raw[7] << 16) | (raw[8] << 8) | raw[9],
                )
            except ValueError as exc:
                raise PickleRefused(f"offset {at}: bad datetime: {exc}") from None
    if (isinstance(args, tuple) and 3 <= len(args) <= 7
            and all(type(a) is int for a in args)):
        try:
            return datetime.datetime(*args)
        except ValueError as exc:
            raise PickleRefused(f"offset {at}: bad datetime: {exc}") from None
    raise PickleRefused(f"offset {at}: datetime with arguments other than its fields "
                        "(a time zone?) is refused")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise PickleRefused(f"offset {self.pos}: truncated pickle")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def line(self) -> bytes:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise PickleRefused(f"offset {self.pos}: truncated pickle (no end of line)")
        chunk = self.data[self.pos : end]
        self.pos = end + 1
        return chunk

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))[0]


def loads(data: bytes | memoryview, *, max_size: int = 64 << 20) -> Any:
    """The plain value a pickle describes (see the module docs).

    :raises PickleRefused: forbidden content or a malformed stream (message: opcode, offset).
    """
    data = bytes(data)
    if len(data) > max_size:
        raise PickleRefused(f"pickle of {len(data)} bytes is larger than {max_size}")
    r = _Reader(data)
    stack: list[Any] = []
    marks: list[int] = []
    memo: dict[int, Any] = {}

    def pop() -> Any:
        if not stack or (marks and len(stack) <= marks[-1]):
            raise PickleRefused(f"offset {at}: stack underflow")
        return stack.pop()

    def pop_mark() -> list[Any]:
        if not marks:
            raise PickleRefused(f"offset {at}: no mark")
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    def top() -> Any:
        if not stack or (marks and len(stack) <= marks[-1]):
            raise PickleRefused(f"offset {at}: stack underflow")
        return stack[-1]

    def setitems(target: Any, items: list[Any]) -> None:
        if not isinstance(target, dict) or len(items) % 2:
            raise PickleRefused(f"offset {at}: SETITEMS on something that is not a dict")
        for key, value in zip(items[::2], items[1::2]):
            try:
                target[key] = value
            except TypeError:
                raise PickleRefused(f"offset {at}: unhashable dict key") from None

    while True:
        at = r.pos
        op = r.take(1)[0]
        if op in _REFUSED:
            raise PickleRefused(f"offset {at}: opcode {_REFUSED[op]} builds objects; refused")
        if op == 0x80:  # PROTO
            if r.take(1)[0] > 5:
                raise PickleRefused(f"offset {at}: pickle protocol above 5")
        elif op == 0x95:  # FRAME
            r.take(8)
        elif op == 0x2E:  # STOP
            if len(stack) != 1 or marks:
                raise PickleRefused(f"offset {at}: STOP with {len(stack)} values on the stack")
            result = stack[0]
            _check_plain(result, at)
            return result
        # -- scalars --------------------------------------------------------------------------
        elif op == 0x4E:  # NONE
            stack.append(None)
        elif op == 0x88:  # NEWTRUE
            stack.append(True)
        elif op == 0x89:  # NEWFALSE
            stack.append(False)
        elif op == 0x49:  # INT (text; "00"/"01" are the booleans of protocol 0)
            text = r.line()
            if text == b"00":
                stack.append(False)
            elif text == b"01":
                stack.append(True)
            else:
                stack.append(_int(text, at))
        elif op == 0x4C:  # LONG (text, trailing L)
            stack.append(_int(r.line().rstrip(b"L"), at))
        elif op == 0x4A:  # BININT
            stack.append(r.unpack("<i"))
        elif op == 0x4B:  # BININT1
            stack.append(r.take(1)[0])
        elif op == 0x4D:  # BININT2
            stack.append(r.unpack("<H"))
        elif op == 0x8A:  # LONG1
            stack.append(int.from_bytes(r.take(r.take(1)[0]), "little", signed=True))
        elif op == 0x8B:  # LONG4
            stack.append(int.from_bytes(r.take(r.unpack("<i")), "little", signed=True))
        elif op == 0x46:  # FLOAT (text)
            try:
                stack.append(float(r.line()))
            except ValueError:
                raise PickleRefused(f"offset {at}: bad FLOAT") from None
        elif op == 0x47:  # BINFLOAT
            stack.append(r.unpack(">d"))
        # -- strings and bytes -----------------------------------------------------------------
        elif op == 0x53:  # STRING (a quoted Python 2 literal)
            raw = r.line()
            if len(raw) < 2 or raw[0] != raw[-1] or raw[:1] not in (b"'", b'"'):
                raise PickleRefused(f"offset {at}: bad STRING")
            try:
                value = ast.literal_eval("b" + raw.decode("latin-1"))
            except (ValueError, SyntaxError):
                raise PickleRefused(f"offset {at}: bad STRING") from None
            stack.append(_text(value))
        elif op == 0x54:  # BINSTRING
            stack.append(_text(r.take(r.unpack("<i"))))
        elif op == 0x55:  # SHORT_BINSTRING
            stack.append(_text(r.take(r.take(1)[0])))
        elif op == 0x56:  # UNICODE (raw-unicode-escape)
            stack.append(r.line().decode("raw-unicode-escape"))
        elif op in (0x58, 0x8C, 0x8D):  # BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
            size = {0x58: "<I", 0x8D: "<Q"}.get(op)
            length = r.unpack(size) if size else r.take(1)[0]
            try:
                stack.append(r.take(length).decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:
                raise PickleRefused(f"offset {at}: bad UTF-8 in a string") from None
        elif op in (0x42, 0x43, 0x8E, 0x96):  # BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
            size = {0x42: "<I", 0x8E: "<Q", 0x96: "<Q"}.get(op)
            length = r.unpack(size) if size else r.take(1)[0]
            stack.append(r.take(length))
        # -- containers ------------------------------------------------------------------------
        elif op == 0x28:  # MARK
            marks.append(len(stack))
        elif op == 0x5D:  # EMPTY_LIST
            stack.append([])
        elif op == 0x7D:  # EMPTY_DICT
            stack.append({})
        elif op == 0x29:  # EMPTY_TUPLE
            stack.append(())
        elif op == 0x6C:  # LIST
            stack.append(pop_mark())
        elif op == 0x74:  # TUPLE
            stack.append(tuple(pop_mark()))
        elif op in (0x85, 0x86, 0x87):  # TUPLE1..3
            count = op - 0x84
            items = [pop() for _ in range(count)][::-1]
            stack.append(tuple(items))
        elif op == 0x64:  # DICT
            items = pop_mark()
            target: dict[Any, Any] = {}
            setitems(target, items)
            stack.append(target)
        elif op in (0x61, 0x65):  # APPEND, APPENDS
            items = [pop()] if op == 0x61 else pop_mark()
            target = top()
            if not isinstance(target, list):
                raise PickleRefused(f"offset {at}: APPEND to something that is not a list")
            target.extend(items)
        elif op == 0x73:  # SETITEM
            value, key = pop(), pop()
            setitems(top(), [key, value])
        elif op == 0x75:  # SETITEMS
            items = pop_mark()
            setitems(top(), items)
        # -- stack and memo --------------------------------------------------------------------
        elif op == 0x30:  # POP
            if stack and (not marks or len(stack) > marks[-1]):
                stack.pop()
            elif marks:
                marks.pop()
            else:
                raise PickleRefused(f"offset {at}: stack underflow")
        elif op == 0x31:  # POP_MARK
            pop_mark()
        elif op == 0x32:  # DUP
            stack.append(top())
        elif op == 0x70:  # PUT
            memo[_int(r.line(), at)] = top()
        elif op == 0x71:  # BINPUT
            memo[r.take(1)[0]] = top()
        elif op == 0x72:  # LONG_BINPUT
            memo[r.unpack("<I")] = top()
        elif op == 0x94:  # MEMOIZE
            memo[len(memo)] = top()
        elif op in (0x67, 0x68, 0x6A):  # GET, BINGET, LONG_BINGET
            key = (_int(r.line(), at) if op == 0x67 else
                   r.take(1)[0] if op == 0x68 else r.unpack("<I"))
            if key not in memo:
                raise PickleRefused(f"offset {at}: memo key {key} was never stored")
            stack.append(memo[key])
        # -- the one global ----------------------------------------------------------------------
        elif op == 0x63:  # GLOBAL
            name = (_text(r.line()), _text(r.line()))
            stack.append(_global(name, at))
        elif op == 0x93:  # STACK_GLOBAL
            qualname, module = pop(), pop()
            if not (isinstance(module, str) and isinstance(qualname, str)):
                raise PickleRefused(f"offset {at}: STACK_GLOBAL of non-strings")
            stack.append(_global((module, qualname), at))
        elif op == 0x52:  # REDUCE
            args, callable_ = pop(), pop()
            if not isinstance(callable_, _Global):
                raise PickleRefused(f"offset {at}: REDUCE of something other than "
                                    "datetime.datetime; refused")
            if callable_.name == _ENCODE:
                stack.append(_encode(args, at))
            else:
                stack.append(_make_datetime(args, at))
        else:
            raise PickleRefused(f"offset {at}: unknown opcode 0x{op:02x}")


def _check_plain(value: Any, at: int) -> None:
    """No global may be left in the result (only ``REDUCE`` may consume one)."""
    pending, seen = [value], set()
    while pending:
        item = pending.pop()
        if isinstance(item, _Global):
            raise PickleRefused(f"offset {at}: the global {'.'.join(item.name)} is not data")
        if isinstance(item, (list, tuple, dict)) and id(item) not in seen:
            seen.add(id(item))
            pending.extend(item.items() if isinstance(item, dict) else item)


def _int(text: bytes, at: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise PickleRefused(f"offset {at}: bad integer {text[:20]!r}") from None


def _global(name: tuple[str, str], at: int) -> _Global:
    if name in (_DATETIME, _ENCODE):
        return _Global(name)
    raise PickleRefused(f"offset {at}: global {name[0]}.{name[1]} refused (only "
                        "datetime.datetime is read, by value)")


def _encode(args: Any, at: int) -> bytes:
    """``_codecs.encode(text, "latin1")``: Python 3's protocol-0 spelling of bytes."""
    if (isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str)
            and args[1] in ("latin1", "latin-1")):
        return args[0].encode("latin-1")
    raise PickleRefused(f"offset {at}: _codecs.encode other than to latin-1 bytes; refused")
