"""CSV files: the contract's field names as columns, one office per row.

Office columns are also found under the names other exports give them (OFFICE_ALIASES:
latitude, address_1, postal_code, ...). `csv_rows` is the row reader the NPPES reader shares.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import RawRecord, ReaderError, Records, Source
from .jsonstream import MAX_RECORD_CHARS, show_text

LIST_FIELDS = (
    "specialties",
    "modalities",
    "client_types",
    "session_formats",
    "telehealth_states",
    "languages",
    "insurance",
)
LOCATION_FIELDS = ("address", "city", "state", "zip", "lat", "lon")
# Office columns as other exports name them (Open Referral HSDS, Ohana, spreadsheets), matched
# case-insensitively. Never instead of the contract's own column: `office_columns`.
OFFICE_ALIASES: dict[str, tuple[str, ...]] = {
    "address": ("address_1", "address1", "street", "street_address"),
    "city": ("locality",),
    "state": ("state_province", "region"),
    "zip": ("postal_code", "zipcode", "zip_code", "postcode"),
    "lat": ("latitude",),
    "lon": ("longitude",),
}
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, via surrogateescape


@dataclass
class _Group:
    """Consecutive CSV rows of one profile."""

    id: str
    line: int
    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class CsvRow:
    """One CSV row as read: its cells, or (`cells` None) why it could not be parsed."""

    line: int  # the line it starts on (header = line 1: the spreadsheet row number)
    cells: list[str] | None
    raw: str  # its text as read, for rejects
    error: str | None  # the csv module's reason, when cells is None


def open_text(source: Source) -> io.TextIOWrapper:
    """The file as text: UTF-8 with an optional BOM; bytes that are not UTF-8 are kept as
    surrogates (`has_undecoded` finds them) so one bad byte costs one row, not the file."""
    return io.TextIOWrapper(
        source.stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
    )


def csv_rows(text: io.TextIOWrapper, name: str) -> tuple[list[str], Iterator[CsvRow]]:
    """The header's cells and an iterator over the rows after it; rows whose cells are all
    empty hold no data and are skipped. A row the csv module cannot parse is a CsvRow with an
    error, and reading resumes at the next line. Raises ReaderError when the header is not UTF-8.
    """
    captured: list[str] = []  # the raw lines of the current row, for rejects

    def lines() -> Iterator[str]:
        for line in text:
            captured.append(line)
            yield line

    reader = csv.reader(lines())
    header = next(reader, [])
    if any(has_undecoded(h) for h in header):
        raise ReaderError(f"{name}: the CSV header is not valid UTF-8")

    def rows() -> Iterator[CsvRow]:
        last_line = reader.line_num
        while True:
            captured.clear()
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                raw = "".join(captured)[:MAX_RECORD_CHARS]
                yield CsvRow(last_line + 1, None, show_text(raw), f"CSV: {exc}")
                last_line = reader.line_num
                continue
            if cells is None:
                return
            line, last_line = last_line + 1, reader.line_num
            if any(c.strip() for c in cells):
                yield CsvRow(line, cells, "".join(captured), None)

    return header, rows()


def has_undecoded(text: str) -> bool:
    """Whether text read by `open_text` held bytes that are not UTF-8."""
    return _UNDECODED.search(text) is not None


def read_csv(source: Source, name: str) -> Records:
    with open_text(source) as text:
        yield from _csv_records(text, name, source.tell)


def _csv_records(text: io.TextIOWrapper, name: str, tell: Callable[[], int]) -> Iterator[RawRecord]:
    header_cells, rows = csv_rows(text, name)
    header = _header(header_cells)
    offices = office_columns(header)
    id_col = header.index("id") if "id" in header else None
    group: _Group | None = None
    for csv_row in rows:
        if csv_row.cells is None:
            if group:
                yield _emit_group(group, name, offices, tell())
                group = None
            reason = f"line {csv_row.line}: {csv_row.error}"
            yield RawRecord(name, csv_row.line, None, csv_row.raw, reason, tell())
            continue
        cells = csv_row.cells
        row, error = _csv_row(header, cells, csv_row.raw)
        row_id = cells[id_col].strip() if id_col is not None and id_col < len(cells) else ""
        if group is None or not row_id or row_id != group.id:
            if group:
                yield _emit_group(group, name, offices, tell())
            group = _Group(row_id, csv_row.line)
        group.rows.append(row)
        if error:
            group.errors.append(f"line {csv_row.line}: {error}")
    if group:
        yield _emit_group(group, name, offices, tell())


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
        row["_extra"] = cells[len(header) :]
    if len(cells) != len(header):
        return row, f"expected {len(header)} cells, found {len(cells)}"
    if _UNDECODED.search(raw):
        return row, "invalid UTF-8"
    return row, None


def _emit_group(group: _Group, name: str, offices: Mapping[str, str], bytes_read: int) -> RawRecord:
    if group.errors:
        return RawRecord(name, group.line, None, group.rows, "; ".join(group.errors), bytes_read)
    profile = csv_profile(group.rows, offices)
    return RawRecord(name, group.line, profile, group.rows, None, bytes_read)


def office_columns(header: list[str]) -> dict[str, str]:
    """Which column holds each office field: column name -> field ("Latitude" -> "lat").

    The contract's own name wins, in its own spelling first, then in any case; else the first
    alias in OFFICE_ALIASES order that the header has (case-insensitively). A column that is
    not chosen stays an ordinary (unknown) column, so no cell is lost.
    """
    by_key: dict[str, list[str]] = {}
    for column in header:
        by_key.setdefault(column.strip().lower(), []).append(column)
    chosen: dict[str, str] = {}
    for office_field, aliases in OFFICE_ALIASES.items():
        if office_field in header:
            chosen[office_field] = office_field
            continue
        for key in (office_field, *aliases):
            if by_key.get(key):
                chosen[by_key[key][0]] = office_field
                break
    return chosen


def csv_profile(rows: list[dict[str, str]], offices: Mapping[str, str] | None = None) -> dict:
    """A profile from the CSV rows of one id: fields from the first row, one office per row.

    Empty cells are absent; values stay strings, except list fields split on ";" and `licenses`
    given as "TYPE NUMBER STATE" entries joined by ";" (or as a JSON array string). `offices`
    maps the columns that hold office fields onto them (`office_columns`); by default the
    contract's names.
    """
    if offices is None:
        offices = {f: f for f in LOCATION_FIELDS}
    profile: dict[str, Any] = {}
    for key, cell in rows[0].items():
        text = cell.strip() if isinstance(cell, str) else cell
        if key in offices or key == "_extra" or not text:
            continue
        if key in LIST_FIELDS:
            profile[key] = [v.strip() for v in text.split(";") if v.strip()]
        elif key == "licenses":
            profile[key] = _licenses(text)
        else:
            profile[key] = text
    locations = [
        {f: row[c].strip() for c, f in offices.items() if (row.get(c) or "").strip()}
        for row in rows
    ]
    if any(locations):
        profile["locations"] = [o for o in locations if o]
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
