"""Read profile files - JSON, JSON Lines, CSV, Open Referral HSDS - as a stream of RawRecords.

`read_records(path, fmt)` streams: memory stays flat however long the file (one line, one CSV
profile or one JSON element at a time). `.gz` is read transparently (found by its magic bytes).
Text is UTF-8 with an optional BOM. `detect_format` explains how "auto" decides.

Bad-row policy - nothing read is silently dropped:
- Every record read is exactly one RawRecord. One that cannot be parsed has `record=None`, an
  `error` saying why ("line 7: invalid JSON: ..."), and `original` = what was read: its text
  when it did not parse, with bytes that are not UTF-8 shown as \\xNN. Whether a parsed record
  is a valid profile is for the validator to say.
- Blank lines, and CSV rows whose cells are all empty, hold no data and are not records.
- JSON Lines: a malformed line, a non-object value, or a line with bytes that are not UTF-8 is one
  reject, and the next line reads normally. A line over MAX_RECORD_CHARS bytes is one reject that
  keeps its first PREVIEW_CHARS characters.
- JSON: arrays are split into elements without loading them; a non-object element is a reject.
  An element with a syntax error is one reject holding its text - exactly the element when its
  brackets balance; else everything up to the next line that starts an object at the elements'
  indentation, where reading resumes. A one-line array has no such line: the rest of the file
  becomes rejects of at most MAX_RECORD_CHARS characters. A single object is one record; several
  top-level values are read in turn. Empty elements (`[1,,2]`, a trailing comma) are skipped.
- CSV: the contract's field names as columns; consecutive rows with the same non-empty `id` are
  one profile whose fields come from its first row and whose offices (address, city, state, zip,
  lat, lon) come one from each row. Empty cells are absent; values stay strings, except list
  fields, split on ";", and `licenses`, "TYPE NUMBER STATE" entries joined by ";" or a JSON array
  string. Unknown columns are kept; unnamed or repeated ones are renamed ("column_7", "zip_9").
  A row with the wrong number of cells, bytes that are not UTF-8 or unparseable quoting is a
  reject - together with the other rows of its profile, never a profile missing an office.
- HSDS (mapping in `indexer.hsds`): one record per service. Services of one organization share
  its position; a page's contents are numbered within it; an object that is no service (a lone
  location) is a reject. Page metadata (total_items, ...) holds no profile and is not reported.
- A file that cannot be read past some point (a truncated .gz) ends with one reject saying so.
- A file that cannot be read at all (missing, not a recognisable format) raises ReaderError.

`position`: the line number for JSON Lines; the line of a profile's first row for CSV (header =
line 1, so the spreadsheet row number); the value's number for JSON (array index + 1).
`bytes_read` and `file_size` both count the file as stored (compressed bytes for .gz); CSV and
JSON are read ahead in chunks, so `bytes_read` grows in steps.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import hsds
from .jsonstream import (
    MAX_RECORD_CHARS,
    PREVIEW_CHARS,
    JsonScanner,
    first_object_keys,
    looks_like_json_lines,
    show_text,
)

FORMATS = ("auto", "json", "jsonl", "csv", "hsds")
LIST_FIELDS = ("specialties", "modalities", "client_types", "session_formats",
               "telehealth_states", "languages", "insurance")
LOCATION_FIELDS = ("address", "city", "state", "zip", "lat", "lon")
SNIFF_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, via surrogateescape

Shaper = Callable[[Any], Iterator[tuple[dict | None, Any, str | None]]]


@dataclass
class RawRecord:
    """One record as read, before validation."""

    file: str  # the path as given
    position: int  # line (JSON Lines), first row's line (CSV), value number (JSON)
    record: dict | None  # the profile in the input format; None when it could not be parsed
    original: Any  # what was read: the JSON value (for JSON, the same object as record), the
    # text that did not parse, or for CSV the list of raw row dicts that made the profile
    error: str | None  # why it could not be parsed, starting "line N: "
    bytes_read: int  # bytes of the stored file consumed so far (compressed, for .gz)


class ReaderError(Exception):
    """The file as a whole cannot be read (missing, unreadable, not a recognisable format)."""


def file_size(path: str | os.PathLike) -> int:
    """Size of the file as stored (compressed for .gz): the progress bar total for bytes_read."""
    try:
        return os.path.getsize(path)
    except OSError as exc:
        raise ReaderError(f"{os.fspath(path)}: {exc.strerror}") from exc


def detect_format(path: str | os.PathLike) -> str:
    """The format of a file: by extension (.jsonl/.ndjson, .csv, optionally .gz), else by content.

    A .json file, or one with any other extension, is sniffed: JSON Lines when most of its first
    lines are JSON values each on their own; "hsds" when the first object (or first array element)
    has HSDS keys; "json" otherwise; CSV when it is not JSON and its first line has a comma.
    An empty file reads as JSON Lines (no records). Raises ReaderError when nothing fits.
    """
    name = os.fspath(path).lower().removesuffix(".gz")
    ext = os.path.splitext(name)[1]
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    if ext == ".csv":
        return "csv"
    kind = _sniff(*_head(path))
    if kind is None and ext == ".json":
        return "json"  # broken JSON is still JSON: its records become rejects, with reasons
    if kind is None:
        raise ReaderError(f"{os.fspath(path)}: not JSON, JSON Lines or CSV")
    return kind


def read_records(path: str | os.PathLike, fmt: str = "auto") -> Iterator[RawRecord]:
    """Stream the records of one file. Opens eagerly, so a missing file raises ReaderError here."""
    if fmt not in FORMATS:
        raise ReaderError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "auto":
        fmt = detect_format(path)
    kind, page = fmt, False
    if fmt == "hsds":  # HSDS comes as a JSON document, a list page, or JSON Lines of objects
        head, cut = _head(path)
        kind = "jsonl" if _sniff(head, cut) == "jsonl" else "json"
        page = first_object_keys(head.lstrip()).get("contents") == "["
    _Source(path).close()  # fail now, not at the first next(), when it cannot be opened
    return _records(path, fmt, kind, page)


class _Source:
    """A file opened as bytes, gunzipped when it starts with the gzip magic bytes."""

    def __init__(self, path: str | os.PathLike) -> None:
        try:
            self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise ReaderError(f"{os.fspath(path)}: {exc.strerror}") from exc
        gz = self.raw.peek(2)[:2] == b"\x1f\x8b"
        self.stream: io.BufferedIOBase = gzip.GzipFile(fileobj=self.raw) if gz else self.raw

    def tell(self) -> int:
        """Bytes of the stored file consumed so far."""
        return self.raw.tell()

    def close(self) -> None:
        self.stream.close()
        self.raw.close()


def _records(path: str | os.PathLike, fmt: str, kind: str, page: bool) -> Iterator[RawRecord]:
    """Run the reader for `kind`; close the file when done (or abandoned); turn a read failure
    midway (a truncated .gz) into one final reject."""
    source, name, position = _Source(path), os.fspath(path), 0
    shaper: Shaper = hsds.hsds_items if fmt == "hsds" else _plain
    if kind == "csv":
        records = _read_csv(source, name)
    elif kind == "jsonl":
        records = _read_jsonl(source, name, shaper)
    else:
        records = _read_json(source, name, shaper, page)
    try:
        for rec in records:
            position = rec.position
            yield rec
    except (OSError, EOFError, zlib.error) as exc:
        error = f"cannot read past byte {source.tell()}: {exc}"
        yield RawRecord(name, position + 1, None, None, error, source.tell())
    finally:
        records.close()
        source.close()


def _plain(value: Any) -> Iterator[tuple[dict | None, Any, str | None]]:
    """JSON and JSON Lines: an object is a record, anything else a reject."""
    if isinstance(value, dict):
        yield value, value, None
    else:
        yield None, value, f"not a JSON object (got {hsds.type_name(value)})"


def _shaped(name: str, position: int, line: int, value: Any, shaper: Shaper,
            bytes_read: int) -> Iterator[RawRecord]:
    for record, original, error in shaper(value):
        error = f"line {line}: {error}" if error else None
        yield RawRecord(name, position, record, original, error, bytes_read)


def _read_jsonl(source: _Source, name: str, shaper: Shaper) -> Iterator[RawRecord]:
    stream, lineno = source.stream, 0
    while raw := stream.readline(MAX_RECORD_CHARS + 1):
        lineno += 1
        if lineno == 1:
            raw = raw.removeprefix(_BOM)
        if len(raw) > MAX_RECORD_CHARS and not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_RECORD_CHARS)) and not rest.endswith(b"\n"):
                pass  # skip the rest of an overlong line without holding it
            text = raw[:PREVIEW_CHARS].decode("utf-8", "backslashreplace")
            error = (f"line {lineno}: longer than {MAX_RECORD_CHARS} bytes "
                     f"(original keeps the first {PREVIEW_CHARS} characters)")
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
            detail = f"{exc.msg} (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) \
                else "nested too deeply"
            error = f"line {lineno}: invalid JSON: {detail}"
            yield RawRecord(name, lineno, None, text.rstrip("\r\n"), error, source.tell())
            continue
        yield from _shaped(name, lineno, lineno, value, shaper, source.tell())


def _read_json(source: _Source, name: str, shaper: Shaper, page: bool) -> Iterator[RawRecord]:
    scanner = JsonScanner(source.stream)
    for number, item in enumerate(scanner.values(page_first=page), start=1):
        if item.error is not None:
            yield RawRecord(name, number, None, item.value, item.error, source.tell())
        else:
            yield from _shaped(name, number, item.line, item.value, shaper, source.tell())


@dataclass
class _Group:
    """Consecutive CSV rows of one profile."""

    id: str
    line: int
    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _read_csv(source: _Source, name: str) -> Iterator[RawRecord]:
    text = io.TextIOWrapper(source.stream, encoding="utf-8-sig", errors="surrogateescape",
                            newline="")
    with text:
        yield from _csv_records(text, name, source.tell)


def _csv_records(text: io.TextIOWrapper, name: str, tell: Callable[[], int]
                 ) -> Iterator[RawRecord]:
    captured: list[str] = []  # the raw lines of the current row, for rejects

    def lines() -> Iterator[str]:
        for line in text:
            captured.append(line)
            yield line

    reader = csv.reader(lines())
    header = _header(next(reader, []))
    if any(_UNDECODED.search(h) for h in header):
        raise ReaderError(f"{name}: the CSV header is not valid UTF-8")
    id_col = header.index("id") if "id" in header else None
    group: _Group | None = None
    last_line = reader.line_num
    while True:
        captured.clear()
        try:
            cells = next(reader, None)
        except csv.Error as exc:  # the reader resumes at the next line
            if group:
                yield _emit_group(group, name, tell())
                group = None
            raw = show_text("".join(captured)[:MAX_RECORD_CHARS])
            yield RawRecord(name, last_line + 1, None, raw, f"line {last_line + 1}: CSV: {exc}",
                            tell())
            last_line = reader.line_num
            continue
        if cells is None:
            break
        line, last_line = last_line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row, error = _csv_row(header, cells, "".join(captured))
        row_id = cells[id_col].strip() if id_col is not None and id_col < len(cells) else ""
        if group is None or not row_id or row_id != group.id:
            if group:
                yield _emit_group(group, name, tell())
            group = _Group(row_id, line)
        group.rows.append(row)
        if error:
            group.errors.append(f"line {line}: {error}")
    if group:
        yield _emit_group(group, name, tell())


def _header(cells: list[str]) -> list[str]:
    """Column names; unnamed and repeated columns get names of their own, so no cell is lost."""
    names: list[str] = []
    for number, cell in enumerate(cells, start=1):
        name = cell.strip() or f"column_{number}"
        names.append(f"{name}_{number}" if name in names else name)
    return names


def _csv_row(header: list[str], cells: list[str], raw: str) -> tuple[dict, str | None]:
    """The row as a dict (surplus cells under "_extra") and what is wrong with it, if anything."""
    if _UNDECODED.search(raw):
        cells = [show_text(c) for c in cells]
    row: dict[str, Any] = dict(zip(header, cells, strict=False))
    if len(cells) > len(header):
        row["_extra"] = cells[len(header):]
    if len(cells) != len(header):
        return row, f"expected {len(header)} cells, found {len(cells)}"
    if _UNDECODED.search(raw):
        return row, "invalid UTF-8"
    return row, None


def _emit_group(group: _Group, name: str, bytes_read: int) -> RawRecord:
    if group.errors:
        return RawRecord(name, group.line, None, group.rows, "; ".join(group.errors), bytes_read)
    return RawRecord(name, group.line, csv_profile(group.rows), group.rows, None, bytes_read)


def csv_profile(rows: list[dict[str, str]]) -> dict:
    """A profile from the CSV rows of one id: fields from the first row, one office per row.

    Empty cells are absent; values stay strings, except list fields split on ";" and `licenses`
    given as "TYPE NUMBER STATE" entries joined by ";" (or as a JSON array string).
    """
    profile: dict[str, Any] = {}
    for key, value in rows[0].items():
        value = value.strip() if isinstance(value, str) else value
        if key in LOCATION_FIELDS or key == "_extra" or not value:
            continue
        if key in LIST_FIELDS:
            value = [v.strip() for v in value.split(";") if v.strip()]
        elif key == "licenses":
            value = _licenses(value)
        profile[key] = value
    offices = [
        {k: row[k].strip() for k in LOCATION_FIELDS if (row.get(k) or "").strip()} for row in rows
    ]
    if any(offices):
        profile["locations"] = [o for o in offices if o]
    return profile


def _licenses(cell: str) -> Any:
    """ "LMFT 12345 CA; PhD PSY-1 NY" -> [{type, number, state}, ...]; a JSON array string is
    parsed. The number is the second-to-last word, the state the last, the type the rest."""
    if cell.startswith("["):
        try:
            return json.loads(cell)
        except ValueError:
            return cell  # not a list: the validator says so
    out = []
    for entry in filter(None, (e.strip() for e in cell.split(";"))):
        words = entry.split()
        if len(words) >= 3:
            out.append({"type": " ".join(words[:-2]), "number": words[-2], "state": words[-1]})
        else:
            out.append(dict(zip(("type", "number"), words, strict=False)))
    return out


def _head(path: str | os.PathLike) -> tuple[str, bool]:
    """The first SNIFF_BYTES of the (decompressed) file as text without a BOM, and whether the
    file goes on after them."""
    source = _Source(path)
    try:
        data = source.stream.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise ReaderError(f"{os.fspath(path)}: {exc}") from exc
    finally:
        source.close()
    return data.removeprefix(_BOM).decode("utf-8", "replace"), len(data) == SNIFF_BYTES


def _sniff(head: str, cut: bool) -> str | None:
    """"jsonl", "hsds", "json", "csv" or None (unknown) from the start of a file."""
    text = head.lstrip()
    if not text:
        return "jsonl"
    if text[0] in "[{":
        if looks_like_json_lines(head, cut):
            return "jsonl"
        return "hsds" if hsds.is_hsds_shape(first_object_keys(text)) else "json"
    first_line = text.split("\n", 1)[0]
    return "csv" if "," in first_line and "\x00" not in head else None
