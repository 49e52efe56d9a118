"""The CMS NPPES downloadable file -> therapist profiles in the input format of CONTRACT.md.

CMS publishes every NPI as one CSV row of 330 columns ("NPPES Data Dissemination", all cells
quoted strings). One RawRecord per row; a row is a profile when it is an individual provider
(Entity Type Code 1), not deactivated, with at least one behavioural-health taxonomy code of
data/nucc_taxonomy.toml (`indexer.nucc`). Every other row is a reject whose error says which of
those it is - organisations and other professions are most of the file, by design.

Columns are found by their official names, so a file with the columns in another order, or a
later layout with more of them, reads the same. Copies that went through pandas hold numbers
as floats ("1.0", ZIP "560072919.0", phone "5073770107.0"); the digits are restored as text,
including the leading zeros a float loses (ZIP "31105031.0" is 031105031).

The profile holds what NPPES knows: id and npi (the NPI), name, credentials (as written), one
office (the practice location), phone, licenses, taxonomy_codes, professions, client_types
(couples, from a code that implies it) and updated_at. `original` is the row as a dict of its
non-empty cells: an NPPES row is ~330 cells of which ~40 hold anything, and a rejects file of
whole rows would be ten times the size of the input.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import compress
from typing import Any

from ..nucc import NuccTable, load_nucc, states_credential
from .base import RawRecord, ReaderError, Records, Source
from .csvfile import csv_rows, has_undecoded, open_text
from .jsonstream import show_text

NPI = "NPI"
ENTITY_TYPE = "Entity Type Code"
PREFIX = "Provider Name Prefix Text"
FIRST = "Provider First Name"
MIDDLE = "Provider Middle Name"
LAST = "Provider Last Name (Legal Name)"
SUFFIX = "Provider Name Suffix Text"
CREDENTIAL = "Provider Credential Text"
ADDRESS_1 = "Provider First Line Business Practice Location Address"
ADDRESS_2 = "Provider Second Line Business Practice Location Address"
_PRACTICE = "Provider Business Practice Location Address "
CITY = _PRACTICE + "City Name"
STATE = _PRACTICE + "State Name"
POSTAL_CODE = _PRACTICE + "Postal Code"
COUNTRY = _PRACTICE + "Country Code (If outside U.S.)"
PHONE = _PRACTICE + "Telephone Number"
UPDATED = "Last Update Date"
DEACTIVATED = "NPI Deactivation Date"
REACTIVATED = "NPI Reactivation Date"
# The columns without which a file is not NPPES (the hint for --format auto looks for these).
SIGNATURE = (NPI, ENTITY_TYPE, LAST, "Healthcare Provider Taxonomy Code_1")
SLOT_COLUMNS = (
    "Healthcare Provider Taxonomy Code",
    "Provider License Number",
    "Provider License Number State Code",
    "Healthcare Provider Primary Taxonomy Switch",
)
MAX_SLOTS = 50  # the v1 layout has 15 taxonomy slots; a later one may have more

_FLOAT = re.compile(r"^(\d+)\.0*$")  # a number pandas wrote as a float: "13069.0"
_ROMAN = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|X)\.?$", re.IGNORECASE)  # suffixes II, III, IV
_MC = re.compile(r"\bMc([a-z])")


def is_nppes_header(cells: list[str]) -> bool:
    """Whether a CSV header is the NPPES layout's (its signature columns are all there)."""
    names = {c.strip() for c in cells}
    return all(column in names for column in SIGNATURE)


def read_nppes(source: Source, name: str) -> Records:
    """One RawRecord per row of an NPPES file: a profile, or a reject saying why not."""
    table = load_nucc()
    with open_text(source) as text:
        header, rows = csv_rows(text, name)
        if not is_nppes_header(header):
            missing = [c for c in SIGNATURE if c not in {h.strip() for h in header}]
            raise ReaderError(f"{name}: not the NPPES layout (no column {', '.join(missing)})")
        columns = _Columns(header)
        for row in rows:
            if row.cells is None:
                reason = f"line {row.line}: {row.error}"
                yield RawRecord(name, row.line, None, row.raw, reason, source.tell())
                continue
            original = _original(header, row.cells, row.raw)
            record: dict | None = None
            if len(row.cells) != len(header):  # its cells are not where the header says
                why: str | None = f"expected {len(header)} cells, found {len(row.cells)}"
            elif has_undecoded(row.raw):
                why = "invalid UTF-8"
            else:
                record, why = nppes_profile(columns, row.cells, table)
            error = f"line {row.line}: {why}" if why else None
            yield RawRecord(name, row.line, record, original, error, source.tell())


class _Columns:
    """Where each column of interest is: by name, so column order does not matter."""

    def __init__(self, header: list[str]) -> None:
        self.index: dict[str, int] = {}
        for position, column in enumerate(header):
            self.index.setdefault(column.strip(), position)
        # Per taxonomy slot, where its code, licence number, licence state and primary switch
        # are: looked up once, not 60 times a row (the full file has millions of rows).
        self.slots = [
            tuple(self.index.get(f"{column}_{n}") for column in SLOT_COLUMNS)
            for n in range(1, MAX_SLOTS + 1)
            if f"{SLOT_COLUMNS[0]}_{n}" in self.index
        ]

    def get(self, cells: list[str], column: str) -> str:
        """The cell of `column`, stripped; "" when the column or the cell is missing."""
        return _cell(cells, self.index.get(column))


def _cell(cells: list[str], position: int | None) -> str:
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def nppes_profile(
    columns: _Columns, cells: list[str], table: NuccTable
) -> tuple[dict | None, str | None]:
    """(profile, None) for a listed provider; (None, why not) for any other row."""
    get = columns.get
    npi = _digits(get(cells, NPI))
    entity = _digits(get(cells, ENTITY_TYPE))
    deactivated = _date(get(cells, DEACTIVATED))
    reactivated = _date(get(cells, REACTIVATED))
    if deactivated and not (reactivated and reactivated >= deactivated):
        return None, f"deactivated NPI (deactivated {deactivated.isoformat()}, not reactivated)"
    if not entity:
        # CMS publishes a deactivated NPI as the NPI and little else (no entity type, no name).
        return None, "deactivated NPI (an empty record, as CMS publishes deactivated NPIs)"
    if entity == "2":
        return None, "an organisation (Entity Type Code 2), not an individual provider"
    if entity != "1":
        return None, f"unknown Entity Type Code {get(cells, ENTITY_TYPE)!r} (1 = individual)"
    if not re.fullmatch(r"\d{10}", npi):
        return None, f"NPI {get(cells, NPI)!r} is not 10 digits"
    slots = _slots(columns, cells)
    listed = [slot for slot in slots if slot["code"] in table.codes]
    if not listed:
        has = ", ".join(dict.fromkeys(slot["code"] for slot in slots)) or "none"
        return None, f"no behavioural-health taxonomy code (has {has})"
    country = get(cells, COUNTRY).upper()
    if country not in ("", "US"):
        return None, f"practice location outside the US (country code {country})"
    codes = [table.codes[slot["code"]] for slot in listed]
    credentials = get(cells, CREDENTIAL)
    profile: dict[str, Any] = {
        "id": npi,
        "npi": npi,
        "name": _name(columns, cells),
        "credentials": credentials,
        "locations": [_office(columns, cells)],
        "phone": _digits(get(cells, PHONE)),
        "licenses": _licenses(listed, table, credentials),
        "taxonomy_codes": list(dict.fromkeys(code.code for code in codes)),
        "professions": list(dict.fromkeys(code.profession for code in codes)),
        "client_types": ["couples"] if any(code.implies_couples for code in codes) else [],
        "updated_at": _iso(get(cells, UPDATED)),
    }
    # Left out rather than empty, as in the input format: NPPES has no value for it.
    return {key: value for key, value in profile.items() if value}, None


def _slots(columns: _Columns, cells: list[str]) -> list[dict[str, str]]:
    """The filled taxonomy slots: code, licence number and state, primary switch; the primary
    ("Y") first, then in slot order. "N" = not primary, "X" = not answered."""
    slots = []
    for code_at, number_at, state_at, primary_at in columns.slots:
        code = _cell(cells, code_at).upper()
        if code:
            slots.append(
                {
                    "code": code,
                    "number": _cell(cells, number_at),
                    "state": _cell(cells, state_at),
                    "primary": _cell(cells, primary_at),
                }
            )
    return sorted(slots, key=lambda slot: slot["primary"].upper() != "Y")  # stable: slot order


def _licenses(slots: list[dict[str, str]], table: NuccTable, credentials: str) -> list[dict]:
    """One licence per distinct (number, state) of the behavioural-health slots.

    NPPES gives a licence number and state per slot, never the licence type. The table's
    credential hint becomes the type only when the provider's own credential text states it
    ("MSW, LCSW" with 1041C0700X -> LCSW); else the type is null rather than a guess presented
    as fact (a Minnesota LICSW is not an LCSW). See data/nucc_taxonomy.toml, credential_hint.
    """
    licenses: dict[tuple[str, str], dict] = {}
    for slot in slots:
        if not slot["number"]:
            continue
        hint = table.codes[slot["code"]].credential_hint
        stated = hint if hint and states_credential(credentials, hint) else None
        key = (slot["number"], slot["state"])
        if key not in licenses:
            licenses[key] = {
                "type": stated,
                "number": slot["number"],
                "state": slot["state"] or None,
            }
        elif licenses[key]["type"] is None:
            licenses[key]["type"] = stated
    return list(licenses.values())


def _name(columns: _Columns, cells: list[str]) -> str:
    """ "Dr. Arlene Beth Staubsinger" from DR. / ARLENE / BETH / STAUBSINGER: parts in capitals
    are title-cased, parts already in mixed case are kept; a lone middle initial gets its
    period. Only the prefix field can put "Dr." in the name."""
    middle = _proper(columns.get(cells, MIDDLE))
    if len(middle) == 1 and middle.isalpha():
        middle += "."
    suffix = columns.get(cells, SUFFIX)
    parts = [
        _proper(columns.get(cells, PREFIX)),
        _proper(columns.get(cells, FIRST)),
        middle,
        _proper(columns.get(cells, LAST)),
        suffix.upper() if _ROMAN.match(suffix) else _proper(suffix),
    ]
    return " ".join(p for p in parts if p)


def _proper(text: str) -> str:
    """Title case for what CMS holds in capitals ("ANDERSON-KRULL" -> "Anderson-Krull",
    "MCCORD" -> "McCord"); text with any lower-case letter is as the provider wrote it."""
    text = " ".join(text.split())
    if any(ch.islower() for ch in text):
        return text
    return _MC.sub(lambda m: "Mc" + m.group(1).upper(), text.title())


def _office(columns: _Columns, cells: list[str]) -> dict[str, str]:
    """The practice location as written by CMS (addresses stay in capitals: abbreviations such
    as NE or STE would not survive title case); the ZIP as its digits."""
    street = ", ".join(
        p for p in (columns.get(cells, ADDRESS_1), columns.get(cells, ADDRESS_2)) if p
    )
    office = {
        "address": street,
        "city": columns.get(cells, CITY),
        "state": columns.get(cells, STATE),
        "zip": _zip(columns.get(cells, POSTAL_CODE)),
    }
    return {key: value for key, value in office.items() if value}


def _digits(text: str) -> str:
    """A number as text without the ".0" a float adds ("5073770107.0" -> "5073770107")."""
    mangled = _FLOAT.match(text)
    return mangled.group(1) if mangled else text


def _zip(text: str) -> str:
    """A US ZIP as its 5 or 9 digits. A float lost the leading zeros of a ZIP starting with 0
    ("31105031.0" was 031105031), so a float-mangled one is padded back to 5 or 9 digits; the
    validator takes the first five."""
    mangled = _FLOAT.match(text)
    if not mangled:
        return text
    digits = mangled.group(1)
    return digits.zfill(5) if len(digits) <= 5 else digits.zfill(9)


def _date(text: str) -> date | None:
    """An NPPES date (MM/DD/YYYY); None when empty or not a date."""
    try:
        return datetime.strptime(text, "%m/%d/%Y").date() if text else None
    except ValueError:
        return None


def _iso(text: str) -> str:
    """ "07/08/2007" -> "2007-07-08"; anything else as written, for the validator to judge."""
    parsed = _date(text)
    return parsed.isoformat() if parsed else text


def _original(header: list[str], cells: list[str], raw: str) -> dict[str, Any]:
    """The row as read: its non-empty cells by column name, surplus cells under "_extra",
    bytes that are not UTF-8 shown as \\xNN."""
    if has_undecoded(raw):
        cells = [show_text(c) for c in cells]
    # compress() keeps the (column, cell) pairs whose cell is not empty, at C speed.
    original: dict[str, Any] = dict(compress(zip(header, cells, strict=False), cells))
    if len(cells) > len(header):
        original["_extra"] = cells[len(header) :]
    return original
