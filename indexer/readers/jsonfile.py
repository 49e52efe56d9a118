"""JSON Lines and JSON files, each value shaped into records (plain profiles, or HSDS)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from . import hsds
from .base import RawRecord, Records, Source
from .jsonstream import MAX_RECORD_CHARS, PREVIEW_CHARS, JsonScanner

_BOM = b"\xef\xbb\xbf"

Shaper = Callable[[Any], Iterator[tuple[dict | None, Any, str | None]]]


def plain(value: Any) -> Iterator[tuple[dict | None, Any, str | None]]:
    """JSON and JSON Lines: an object is a record, anything else a reject."""
    if isinstance(value, dict):
        yield value, value, None
    else:
        yield None, value, f"not a JSON object (got {hsds.type_name(value)})"


def _shaped(
    name: str, position: int, line: int, value: Any, shaper: Shaper, bytes_read: int
) -> Iterator[RawRecord]:
    for record, original, error in shaper(value):
        error = f"line {line}: {error}" if error else None
        yield RawRecord(name, position, record, original, error, bytes_read)


def read_jsonl(source: Source, name: str, shaper: Shaper) -> Records:
    stream, lineno = source.stream, 0
    while raw := stream.readline(MAX_RECORD_CHARS + 1):
        lineno += 1
        if lineno == 1:
            raw = raw.removeprefix(_BOM)
        if len(raw) > MAX_RECORD_CHARS and not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_RECORD_CHARS)) and not rest.endswith(b"\n"):
                pass  # skip the rest of an overlong line without holding it
            text = raw[:PREVIEW_CHARS].decode("utf-8", "backslashreplace")
            error = (
                f"line {lineno}: longer than {MAX_RECORD_CHARS} bytes "
                f"(original keeps the first {PREVIEW_CHARS} characters)"
            )
            yield RawRecord(name, lineno, None, text, error, source.tell())
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            original = raw.decode("utf-8", "backslashreplace").rstrip("\r\n")
            error = f"line {lineno}: invalid UTF-8 (byte {exc.start + 1} of the line)"
            yield RawRecord(name, lineno, None, original, error, source.tell())
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            detail = (
                f"{exc.msg} (column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else "nested too deeply"
            )
            error = f"line {lineno}: invalid JSON: {detail}"
            yield RawRecord(name, lineno, None, text.rstrip("\r\n"), error, source.tell())
            continue
        yield from _shaped(name, lineno, lineno, value, shaper, source.tell())


def read_json(source: Source, name: str, shaper: Shaper, page: bool) -> Records:
    scanner = JsonScanner(source.stream)
    for number, item in enumerate(scanner.values(page_first=page), start=1):
        if item.error is not None:
            yield RawRecord(name, number, None, item.value, item.error, source.tell())
        else:
            yield from _shaped(name, number, item.line, item.value, shaper, source.tell())
