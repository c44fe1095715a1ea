"""Where in a TOML text a key path is, and how deeply its values nest.

:mod:`tomllib` gives values without positions, and it recurses once per level of nested arrays and
inline tables (a few hundred levels raise :class:`RecursionError`).  :func:`scan_toml` walks the
text once, without recursion and without converting values, and returns a :class:`TomlLayout`:

- ``line_of(("site", 2, "host", 0, "urls", 1))``: the line where that key, table header or array
  element starts (falling back to the nearest enclosing one it knows);
- ``max_depth`` and ``deepest_line``: the length of the longest key path (keys, dotted key parts
  and array indices: nested arrays and inline tables lengthen it too) and where it is, so a caller
  can refuse a file before handing it to :mod:`tomllib`, which recurses per level of nested values
  and takes time quadratic in the number of parts of a dotted key.

The scan is lenient: it never raises, whatever the text (a file :mod:`tomllib` rejects still gets a
depth and as many positions as could be read).  It stops once a key path is longer than ``depth_limit``.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

PathPart = str | int
KeyPath = tuple[PathPart, ...]

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_VALUE_ENDS = frozenset(",]}#\n")


@attrs.frozen
class TomlLayout:
    """Positions found by :func:`scan_toml`."""

    lines: dict[KeyPath, int]
    max_depth: int
    deepest_line: int

    def line_of(self, path: Sequence[PathPart]) -> int:
        """The line of ``path``, else of its nearest enclosing key that was found, else 1."""
        path = tuple(path)
        while path:
            line = self.lines.get(path)
            if line is not None:
                return line
            path = path[:-1]
        return 1


def format_key_path(path: Sequence[PathPart]) -> str:
    """``("site", 2, "host", 0, "urls", 1)`` -> ``site[2].host[0].urls[1]`` (keys that are not
    bare TOML keys are quoted)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = part if part and set(part) <= _BARE_KEY_CHARS else _quote(part)
        text += f".{key}" if text else key
    return text


def _quote(key: str) -> str:
    shown = key if len(key) <= 40 else key[:40] + "..."
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def scan_toml(text: str, *, depth_limit: int = 64) -> TomlLayout:
    """Scan ``text`` (see the module docstring); stops early once nesting passes ``depth_limit``."""
    scanner = _Scanner(text, depth_limit)
    scanner.run()
    return TomlLayout(scanner.lines, scanner.max_depth, scanner.deepest_line)


class _Frame:
    """One open array (``index`` counts its elements) or inline table (``key_path`` is the path
    of the value being read)."""

    __slots__ = ("is_array", "path", "index", "value_path")

    def __init__(self, is_array: bool, path: KeyPath) -> None:
        self.is_array = is_array
        self.path = path
        self.index = 0
        self.value_path: KeyPath = path


class _Scanner:
    def __init__(self, text: str, depth_limit: int) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.depth_limit = depth_limit
        self.lines: dict[KeyPath, int] = {}
        self.max_depth = 0
        self.deepest_line = 1
        # element counts of arrays of tables, keyed by the array's resolved path
        self.table_arrays: dict[KeyPath, int] = {}

    # -- characters ------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if i < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        chunk = self.text[self.pos:self.pos + count]
        self.line += chunk.count("\n")
        self.pos += len(chunk)

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces and tabs, and when ``newlines`` also line ends and comments."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\r":
                self.pos += 1
            elif char == "#" and newlines:
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif char == "\n" and newlines:
                self.pos += 1
                self.line += 1
            else:
                return

    def skip_to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def record(self, path: KeyPath) -> None:
        if path not in self.lines:
            self.lines[path] = self.line
            if len(path) > self.max_depth:
                self.max_depth = len(path)
                self.deepest_line = self.line

    # -- statements --------------------------------------------------------------------------

    def run(self) -> None:
        table: KeyPath = ()
        while self.pos < len(self.text) and self.max_depth <= self.depth_limit:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self.peek() == "[":
                table = self.header(table)
            else:
                self.key_value(table)
            if self.pos == start:  # nothing understood here: resynchronise on the next line
                self.skip_to_line_end()

    def header(self, current: KeyPath) -> KeyPath:
        is_array = self.peek(1) == "["
        self.advance(2 if is_array else 1)
        parts = self.key()
        self.skip_blank(newlines=False)
        self.advance(2 if is_array else 1)  # "]]" or "]"
        if not parts:
            return current
        path: KeyPath = ()
        for part in parts[:-1]:
            path += (part,)
            if path in self.table_arrays:
                path += (self.table_arrays[path] - 1,)
        path += (parts[-1],)
        if is_array:
            index = self.table_arrays.get(path, 0)
            self.table_arrays[path] = index + 1
            self.record(path)
            path += (index,)
        self.record(path)
        return path

    def key_value(self, table: KeyPath) -> None:
        parts = self.key()
        if not parts:
            return
        path = table
        for part in parts:
            path += (part,)
            self.record(path)
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            return
        self.advance()
        self.value(path)

    def key(self) -> list[str]:
        """A (dotted) key; an empty list when none starts here."""
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            char = self.peek()
            if char in ('"', "'"):
                parts.append(self.string())
            elif char and char in _BARE_KEY_CHARS:
                start = self.pos
                while self.peek() and self.peek() in _BARE_KEY_CHARS:
                    self.pos += 1
                parts.append(self.text[start:self.pos])
            else:
                return parts
            if len(parts) > self.depth_limit:
                self.note_depth(len(parts))
                return []
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    # -- values --------------------------------------------------------------------------------

    def value(self, path: KeyPath) -> None:
        """One value, with every array and inline table inside it, without recursion."""
        stack: list[_Frame] = []
        want_value = True
        while self.pos < len(self.text):
            if want_value:
                self.skip_blank(newlines=bool(stack) and stack[-1].is_array)
                if stack and stack[-1].is_array:
                    if self.peek() == "]":  # empty array or trailing comma
                        self.advance()
                        stack.pop()
                        want_value = False
                        continue
                    path = stack[-1].path + (stack[-1].index,)
                    self.record(path)
                char = self.peek()
                if char in "[{":
                    self.advance()
                    stack.append(_Frame(char == "[", path))
                    if len(stack) > self.depth_limit:
                        self.note_depth(len(path) + 1)
                        return
                    if char == "{":
                        if self.inline_key(stack[-1]):
                            path = stack[-1].value_path
                        else:
                            stack.pop()
                            want_value = False
                    continue
                if char in ('"', "'"):
                    self.string()
                else:
                    self.scalar()
                want_value = False
                continue
            if not stack:
                return
            frame = stack[-1]
            self.skip_blank(newlines=frame.is_array)
            char = self.peek()
            if char == ",":
                self.advance()
                if frame.is_array:
                    frame.index += 1
                    want_value = True
                elif self.inline_key(frame):
                    path = frame.value_path
                    want_value = True
                else:
                    stack.pop()
            elif char == ("]" if frame.is_array else "}"):
                self.advance()
                stack.pop()
            else:
                return  # not TOML; tomllib will say what is wrong

    def inline_key(self, frame: _Frame) -> bool:
        """Read ``key =`` inside an inline table; ``False`` at its closing brace (or garbage)."""
        self.skip_blank(newlines=True)
        if self.peek() == "}":
            self.advance()
            return False
        parts = self.key()
        if not parts:
            return False
        path = frame.path
        for part in parts:
            path += (part,)
            self.record(path)
        frame.value_path = path
        self.skip_blank(newlines=False)
        if self.peek() == "=":
            self.advance()
        return True

    def note_depth(self, depth: int) -> None:
        if depth > self.max_depth:
            self.max_depth = depth
            self.deepest_line = self.line

    def scalar(self) -> None:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _VALUE_ENDS:
            self.pos += 1
        if self.pos == start and self.pos < len(self.text) and self.text[self.pos] != "\n":
            self.pos += 1  # always move on

    def string(self) -> str:
        """Skip a string of any of TOML's four kinds; return its raw content (for keys)."""
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            end = self.text.find(quote * 3, self.pos + 3)
            if quote == '"':
                while end > 0 and _escaped(self.text, end):
                    end = self.text.find(quote * 3, end + 1)
            stop = len(self.text) if end < 0 else end + 3
            while self.text.startswith(quote, stop) and stop < len(self.text):
                stop += 1  # up to two quotes may close a multi-line string's content
            content = self.text[self.pos + 3:stop - 3]
            self.advance(stop - self.pos)
            return content
        i = self.pos + 1
        while i < len(self.text) and self.text[i] not in (quote, "\n"):
            i += 2 if quote == '"' and self.text[i] == "\\" else 1
        content = self.text[self.pos + 1:i]
        self.pos = min(i + 1, len(self.text)) if self.peek_at(i) == quote else i
        return _unescape_key(content) if quote == '"' else content

    def peek_at(self, i: int) -> str:
        return self.text[i] if i < len(self.text) else ""


def _escaped(text: str, index: int) -> bool:
    """Whether the character at ``index`` follows an odd run of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _unescape_key(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        return raw.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return raw
