"""Read profile files - JSON, JSON Lines, CSV, Open Referral HSDS, CMS NPPES - as RawRecords.

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
- NPPES (mapping in `nppes.py`): one record per row. A row that is not a listed provider - an
  organisation, a deactivated NPI, an individual with no behavioural-health taxonomy code or
  practising outside the US - or that has the wrong number of cells, bytes that are not UTF-8
  or unparseable quoting is a reject saying which; `original` holds the row's non-empty cells
  by column name.
- HSDS (mapping in `indexer.hsds`): one record per service. Services of one organization share
  its position; a page's contents are numbered within it; an object that is no service (a lone
  location) is a reject. Page metadata (total_items, ...) holds no profile and is not reported.
- Every string of a parsed record is made storable before anything else sees it: NULs are
  removed and lone UTF-16 surrogates ("\\ud800", valid JSON) become U+FFFD. `original` keeps the
  record as read (the rejects file escapes what UTF-8 cannot hold).
- A file that cannot be read past some point (a truncated .gz) ends with one reject saying so.
- A file that cannot be read at all (missing, not a recognisable format) raises ReaderError.
  So does a CSV whose header is another format's (NPPES, a table of an HSDS tabular package or
  of an Ohana export; `hints.py`), read as contract CSV: its message says what to do instead.

`position`: the line number for JSON Lines; the line of a profile's first row for CSV and NPPES
(header = line 1, so the spreadsheet row number); the value's number for JSON (array index + 1).
`bytes_read` and `file_size` both count the file as stored (compressed bytes for .gz); CSV and
JSON are read ahead in chunks, so `bytes_read` grows in steps.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Iterator

from ..textnorm import storable
from . import hsds
from .base import RawRecord, ReaderError, Source, file_size
from .csvfile import read_csv
from .hints import csv_hint, hsds_tabular_hint
from .jsonfile import Shaper, plain, read_json, read_jsonl
from .jsonstream import first_object_keys, looks_like_json_lines
from .nppes import is_nppes_header, read_nppes

__all__ = ["FORMATS", "RawRecord", "ReaderError", "detect_format", "file_size", "read_records"]

FORMATS = ("auto", "json", "jsonl", "csv", "hsds", "nppes")
SNIFF_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"


def detect_format(path: str | os.PathLike) -> str:
    """The format of a file: by extension (.jsonl/.ndjson, .csv, optionally .gz), else by content.

    A .json file, or one with any other extension, is sniffed: JSON Lines when most of its first
    lines are JSON values each on their own; "hsds" when the first object (or first array element)
    has HSDS keys; "json" otherwise; CSV when it is not JSON and its first line has a comma.
    An empty file reads as JSON Lines (no records). Raises ReaderError when nothing fits.
    NPPES is never detected: a CSV with its header gets a ReaderError naming --format nppes
    from `read_records`, as do the tables of an HSDS tabular package or an Ohana export.
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
    if os.path.basename(os.fspath(path)).lower() == "datapackage.json":
        raise ReaderError(f"{os.fspath(path)}: {hsds_tabular_hint('datapackage.json')}")
    if fmt == "auto":
        fmt = detect_format(path)
    kind, page = fmt, False
    if fmt in ("csv", "nppes"):
        _check_header(path, fmt)
    if fmt == "hsds":  # HSDS comes as a JSON document, a list page, or JSON Lines of objects
        head, cut = _head(path)
        kind = "jsonl" if _sniff(head, cut) == "jsonl" else "json"
        page = first_object_keys(head.lstrip()).get("contents") == "["
    Source(path).close()  # fail now, not at the first next(), when it cannot be opened
    return _records(path, fmt, kind, page)


def _records(path: str | os.PathLike, fmt: str, kind: str, page: bool) -> Iterator[RawRecord]:
    """Run the reader for `kind`; close the file when done (or abandoned); turn a read failure
    midway (a truncated .gz) into one final reject."""
    source, name, position = Source(path), os.fspath(path), 0
    shaper: Shaper = hsds.hsds_items if fmt == "hsds" else plain
    if kind == "csv":
        records = read_csv(source, name)
    elif kind == "nppes":
        records = read_nppes(source, name)
    elif kind == "jsonl":
        records = read_jsonl(source, name, shaper)
    else:
        records = read_json(source, name, shaper, page)
    try:
        for rec in records:
            position = rec.position
            if rec.record is not None:
                # Text cleaning at the boundary: what no database can store never gets further.
                try:
                    rec.record = storable(rec.record)
                except RecursionError:
                    rec.record, rec.error = None, f"record {position}: nested too deeply"
            yield rec
    except (OSError, EOFError, zlib.error) as exc:
        error = f"cannot read past byte {source.tell()}: {exc}"
        yield RawRecord(name, position + 1, None, None, error, source.tell())
    finally:
        records.close()
        source.close()


def _check_header(path: str | os.PathLike, fmt: str) -> None:
    """Raise ReaderError now, before any record, when the CSV header says the file is another
    format than `fmt` (hints.py): an NPPES file read as CSV, a CSV given as NPPES."""
    head, _ = _head(path)
    header = next(csv.reader(head.splitlines()[:1]), [])
    if fmt == "nppes":
        if not is_nppes_header(header):
            raise ReaderError(
                f"{os.fspath(path)}: not the NPPES layout (no NPI, Entity Type Code, Provider "
                "Last Name (Legal Name) and Healthcare Provider Taxonomy Code_1 columns)"
            )
    elif (hint := csv_hint(path, header)) is not None:
        raise ReaderError(f"{os.fspath(path)}: {hint}")


def _head(path: str | os.PathLike) -> tuple[str, bool]:
    """The first SNIFF_BYTES of the (decompressed) file as text without a BOM, and whether the
    file goes on after them."""
    source = Source(path)
    try:
        data = source.stream.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise ReaderError(f"{os.fspath(path)}: {exc}") from exc
    finally:
        source.close()
    return data.removeprefix(_BOM).decode("utf-8", "replace"), len(data) == SNIFF_BYTES


def _sniff(head: str, cut: bool) -> str | None:
    """ "jsonl", "hsds", "json", "csv" or None (unknown) from the start of a file."""
    text = head.lstrip()
    if not text:
        return "jsonl"
    if text[0] in "[{":
        if looks_like_json_lines(head, cut):
            return "jsonl"
        return "hsds" if hsds.is_hsds_shape(first_object_keys(text)) else "json"
    first_line = text.split("\n", 1)[0]
    return "csv" if "," in first_line and "\x00" not in head else None
