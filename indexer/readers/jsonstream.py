"""Split a JSON document into its top-level values or array elements without loading it whole.

The standard library parses only whole documents, and streaming parsers (ijson) stop at the
first syntax error. Here each element is cut out of a sliding text buffer and parsed with
`json.JSONDecoder.raw_decode`, so memory is bounded by the largest element, and a broken element
costs one reject, not the rest of the file:

- fast path: `raw_decode` at the element start; accepted when a `,` or `]` follows the value;
- slow path: a bracket- and string-aware scan finds the element's extent, which is then parsed
  (an element cut by the buffer end, or one with a syntax error inside balanced brackets);
- when the extent itself is broken (unbalanced brackets, an unterminated string), reading
  resumes at the next line that starts an object at the array's indentation, if there is one.

Text is decoded with `surrogateescape`, so bytes that are not UTF-8 reach the element they are
in, which becomes a reject instead of ending the file.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

CHUNK = 64 * 1024
#: Largest record (characters of JSON text, bytes of a line) read before giving up on it.
MAX_RECORD_CHARS = 8 * 1024 * 1024
#: How much of an overlong record a reject keeps.
PREVIEW_CHARS = 64 * 1024

_DECODER = json.JSONDecoder()
_STRUCTURE = re.compile(r'[\[\]{}",:]')
_IN_STRING = re.compile(r'["\\\n]')
_NON_WS = re.compile(r"[^ \t\r\n]")
_UNDECODED = re.compile("[\udc80-\udcff]")
_CLOSER = {"[": "]", "{": "}"}


def show_text(text: str) -> str:
    """Text with undecodable bytes shown as \\xNN escapes, so it can be written out as UTF-8."""
    if _UNDECODED.search(text):
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


@dataclass
class Item:
    """One value read: parsed, or (error set) the text that could not be parsed."""

    line: int
    value: Any
    error: str | None = None


class JsonScanner:
    """Yields the values of a binary JSON stream: array elements, else top-level values."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._line, self._counted, self._col0 = 1, 0, 1  # line at buf[_counted]; column of buf[0]
        self._indent: str | None = ""  # the indentation a top-level element starts at, if known

    def values(self, page_first: bool = False) -> Iterator[Item]:
        """Every element of a top-level array (or of each, if several), else each top-level value.

        With `page_first`, the first value is an HSDS list page whose "contents" are streamed.
        """
        first = True
        while c := self._next_char():
            if c == "[":
                self.pos += 1
                yield from self._elements()
            elif c == "{" and page_first and first:
                yield from self._page()
            else:
                self._indent = ""
                yield from self._value("", top=True)
            first = False

    # -- structure

    def _elements(self) -> Iterator[Item]:
        outer, self._indent = self._indent, None
        while c := self._next_char():
            if c == "]":
                self.pos += 1
                break
            if c == ",":  # an empty element or a trailing comma: no data to keep
                self.pos += 1
                continue
            if self._indent is None:
                self._indent = self._indent_at(self.pos)
            yield from self._value(",]")
        self._indent = outer

    def _page(self) -> Iterator[Item]:
        """An HSDS list page: its "contents" elements; the paging members are not records."""
        self.pos += 1
        while (c := self._next_char()) and c != "}":
            if c == ",":
                self.pos += 1
                continue
            start = self.pos
            end, problem = self._scan(start, ":", top=False)
            try:
                key = None if problem else json.loads(self.buf[start:end])
            except ValueError:
                key = None
            if not isinstance(key, str):
                yield from self._broken(start, problem or "expected a member name")
                return
            self.pos = end + 1
            if key == "contents" and self._next_char() == "[":
                self.pos += 1
                yield from self._elements()
                continue
            start = self.pos
            end, problem = self._scan(start, ",}", top=False)
            if not problem:
                try:  # parsed although unused: a missing comma must not hide "contents" in it
                    json.loads(self.buf[start:end])
                except (ValueError, RecursionError):
                    problem = f"invalid value of page member {key!r}"
            if problem:
                yield from self._broken(start, problem)
                return
            self.pos = end
        if c == "}":
            self.pos += 1

    def _value(self, stops: str, top: bool = False) -> Iterator[Item]:
        """The value at self.pos, ending before one of `stops` (top level: wherever it ends)."""
        start = self.pos
        try:
            value, end = _DECODER.raw_decode(self.buf, start)
        except (ValueError, RecursionError):
            end = -1
        if end >= 0 and (end < len(self.buf) or self.eof):
            follower = self._peek(end)
            if top or follower == "" or follower in stops:
                self.pos = end
                yield self._item(start, end, value)
                return
        if top and self.buf[start] not in "[{":
            end, problem = self._line_end(start), None  # stray text: one reject per line
        else:
            end, problem = self._scan(start, stops, top)
        if problem:
            yield from self._broken(start, problem)
            return
        self.pos = end
        try:
            value = json.loads(self.buf[start:end])
        except json.JSONDecodeError as exc:
            yield self._reject(start, end, self._syntax_error(start, exc))
            return
        except (ValueError, RecursionError):
            line = self._line_at(start)
            yield self._reject(start, end, f"line {line}: invalid JSON: nested too deeply")
            return
        yield self._item(start, end, value)

    def _scan(self, start: int, stops: str, top: bool) -> tuple[int, str | None]:
        """Where the value at `start` ends: (index of the stop, None), or (index, problem) when
        its brackets or strings do not close properly before a stop."""
        stack: list[str] = []
        i, in_string = start, False
        while True:
            m = (_IN_STRING if in_string else _STRUCTURE).search(self.buf, i)
            if m is None:
                if len(self.buf) - start > MAX_RECORD_CHARS:
                    return len(self.buf), f"no end within {MAX_RECORD_CHARS} characters"
                if not self._fill():
                    return len(self.buf), "unexpected end of file"
                continue
            c, i = m.group(), m.start()
            if in_string:
                if c == "\\":
                    if i + 1 >= len(self.buf) and self._fill():
                        continue  # the escaped character is in the next chunk
                    i += 2
                elif c == '"':
                    in_string, i = False, i + 1
                else:
                    return i, f"line break inside a string on line {self._line_at(i)}"
            elif c == '"':
                in_string, i = True, i + 1
            elif c in "[{":
                stack.append(_CLOSER[c])
                i += 1
            elif stack and c == stack[-1]:
                stack.pop()
                i += 1
                if top and not stack:
                    return i, None
            elif not stack and c in stops:
                return i, None
            elif c in "]}":
                return i, f"unexpected '{c}' on line {self._line_at(i)}"
            else:
                i += 1

    def _broken(self, start: int, problem: str) -> Iterator[Item]:
        """Reject from `start` up to where a new element starts, in rejects of bounded size."""
        while True:
            end, found = self._resync(start)
            line = self._line_at(start)
            if found:
                where = f"reading resumes on line {self._line_at(end)}"
            elif self.eof and end >= len(self.buf):
                where = "no element starts after it, so this reject holds the rest of the file"
            else:
                where = f"no place to resume within {MAX_RECORD_CHARS} characters; continued"
            yield self._reject(start, end, f"line {line}: invalid JSON: {problem}; {where}")
            self.pos = end
            if found or (self.eof and end >= len(self.buf)):
                return
            self._compact()
            start, problem = self.pos, "continued from the previous reject"

    def _resync(self, start: int) -> tuple[int, bool]:
        """(index, True) of the next line starting an object at the elements' indentation, or
        (where to cut, False) when there is none within MAX_RECORD_CHARS or before the end."""
        indent = r"[ \t]*" if self._indent is None else re.escape(self._indent)
        pattern = re.compile(r"\n" + indent + r"(?=\{)")
        i = start + 1
        while True:
            m = pattern.search(self.buf, i)
            if m:
                return m.end(), True
            if len(self.buf) - start >= MAX_RECORD_CHARS:
                return start + MAX_RECORD_CHARS, False
            newline = self.buf.rfind("\n", i)
            i = newline if newline >= 0 else len(self.buf)  # a match may straddle the chunks
            if not self._fill():
                return len(self.buf), False

    # -- items and positions

    def _item(self, start: int, end: int, value: Any) -> Item:
        if _UNDECODED.search(self.buf, start, end):
            line = self._line_at(start)
            return self._reject(start, end, f"line {line}: invalid UTF-8 (bytes that are not text)")
        return Item(self._line_at(start), value)

    def _reject(self, start: int, end: int, error: str) -> Item:
        return Item(self._line_at(start), show_text(self.buf[start:end].rstrip()), error)

    def _syntax_error(self, start: int, exc: json.JSONDecodeError) -> str:
        line, column = self._where(start)
        column = column + exc.colno - 1 if exc.lineno == 1 else exc.colno
        return f"line {line + exc.lineno - 1}: invalid JSON: {exc.msg} (column {column})"

    def _line_at(self, index: int) -> int:
        """Line number of buf[index]; newlines are counted incrementally, once each."""
        if index >= self._counted:
            self._line += self.buf.count("\n", self._counted, index)
        else:
            self._line -= self.buf.count("\n", index, self._counted)
        self._counted = index
        return self._line

    def _where(self, index: int) -> tuple[int, int]:
        newline = self.buf.rfind("\n", 0, index)
        column = index - newline if newline >= 0 else self._col0 + index
        return self._line_at(index), column

    def _indent_at(self, index: int) -> str | None:
        """The whitespace before buf[index] when it starts a line; None when it does not."""
        start = index
        while start > 0 and self.buf[start - 1] in " \t":
            start -= 1
        return self.buf[start:index] if start > 0 and self.buf[start - 1] == "\n" else None

    # -- buffer

    def _fill(self) -> bool:
        """Append the next chunk of text; False at the end of the file. Chunks grow with the
        value being read, so a large one costs linear, not quadratic, copying."""
        if self.eof:
            return False
        data = self._stream.read(max(CHUNK, len(self.buf) - self.pos))
        self.eof = not data
        self.buf += self._decoder.decode(data, final=self.eof)
        return True

    def _compact(self) -> None:
        """Forget the text before self.pos, keeping line and column bookkeeping right."""
        line, self._col0 = self._where(self.pos)
        self.buf, self._counted, self.pos = self.buf[self.pos :], 0, 0
        self._line = line

    def _next_char(self) -> str:
        """Skip whitespace to the next character ("" at the end of the file)."""
        if self.pos >= CHUNK:
            self._compact()
        while True:
            m = _NON_WS.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return m.group()
            self.pos = len(self.buf)
            if not self._fill():
                return ""

    def _peek(self, index: int) -> str:
        """The next non-whitespace character at or after index, without consuming it."""
        while True:
            m = _NON_WS.search(self.buf, index)
            if m:
                return m.group()
            index = len(self.buf)
            if not self._fill():
                return ""

    def _line_end(self, start: int) -> int:
        while (end := self.buf.find("\n", start)) < 0:
            if len(self.buf) - start > MAX_RECORD_CHARS or not self._fill():
                return min(len(self.buf), start + MAX_RECORD_CHARS)
        return end


# -- sniffing the start of a file (detect_format)

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_COLON = re.compile(r"\s*:\s*(\S)")


def looks_like_json_lines(head: str, cut: bool) -> bool:
    """Two or more of the first lines, and at least half of them, are JSON values on their own.

    A pretty-printed document fails this: its lines ("{", '"id": 1,') are not values alone.
    `cut` says head stops mid-file, so its last line may be incomplete and is not judged.
    """
    lines = head.splitlines()
    if cut and len(lines) > 1:
        lines.pop()
    sample = [line for line in lines if line.strip()][:5]
    ok = 0
    for line in sample:
        with contextlib.suppress(ValueError, RecursionError):
            json.loads(line)
            ok += 1
    return len(sample) >= 2 and ok * 2 >= len(sample)


def first_object_keys(text: str) -> dict[str, str]:
    """Keys of the first object in text (the document, or its first array element), each mapped
    to the first character of its value - enough to tell an HSDS shape without parsing it all."""
    target = 2 if text[:1] == "[" else 1
    depth, kinds = 0, {}
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token in ("[", "{"):
            depth += 1
        elif token in ("]", "}"):
            depth -= 1
            if depth < target:
                break
        elif depth == target and (colon := _COLON.match(text, m.end())):
            with contextlib.suppress(ValueError):
                kinds[json.loads(token)] = colon.group(1)
    return kinds
