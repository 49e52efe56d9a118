"""CSV files: the contract's field names as columns, one office per row."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
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
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, via surrogateescape


@dataclass
class _Group:
    """Consecutive CSV rows of one profile."""

    id: str
    line: int
    rows: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_csv(source: Source, name: str) -> Records:
    text = io.TextIOWrapper(
        source.stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    with text:
        yield from _csv_records(text, name, source.tell)


def _csv_records(text: io.TextIOWrapper, name: str, tell: Callable[[], int]) -> Iterator[RawRecord]:
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
            yield RawRecord(
                name, last_line + 1, None, raw, f"line {last_line + 1}: CSV: {exc}", tell()
            )
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
        row["_extra"] = cells[len(header) :]
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
    for key, cell in rows[0].items():
        text = cell.strip() if isinstance(cell, str) else cell
        if key in LOCATION_FIELDS or key == "_extra" or not text:
            continue
        if key in LIST_FIELDS:
            profile[key] = [v.strip() for v in text.split(";") if v.strip()]
        elif key == "licenses":
            profile[key] = _licenses(text)
        else:
            profile[key] = text
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
