"""A compact, offline US gazetteer: ZIP centroids, city centroids, state names and centroids.

Built once per process (lazily, on first use) from the `zipcodes` package, whose coordinates
come from GeoNames (CC BY 4.0: attribution required). `zipcodes` hands out its records as
~43k dicts (~150 MB if all alive at once), so the build reads them one ZIP-prefix chunk at a
time and keeps only flat arrays and small dicts (about 10 MB in all).

Building costs a second and, worse, memory that stays: `zipcodes` keeps its whole database in
its extension (~35 MB) and the build leaves the heap fragmented (~20 MB more), in every
process. A process given a cache folder (`use_cache`: the app's instance folder) therefore
reads the tables from a file the first build wrote there (about 0.1 s, no `zipcodes`).

State codes and names come from `us` and need no build: `state_code`/`is_state_code` are cheap.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import re
import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import us
import zipcodes
from rapidfuzz import fuzz, process

from indexer.textnorm import term_key

# Minimum rapidfuzz ratio (0-100) for a misspelled name to count as a match: lets through one
# or two slips in a real-length name ("Philadelfia", "Sant Paul"), not a different short town.
FUZZY_CUTOFF = 85.0

# Abbreviations expanded on both sides (query and data) so "St. Paul" is exactly "Saint Paul"
# instead of fuzzily nearest to "Saint Paul Park".
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_ZIP_RE = re.compile(r"\s*(\d{5})(?:-?\d{4})?\s*")

# USPS codes: 50 states, DC, the inhabited territories (PR, GU, VI, AS, MP) and the freely
# associated states (FM, MH, PW), which have US ZIP codes too. Military AA/AE/AP are not states.
_STATES = [*us.states.STATES_AND_TERRITORIES, *us.states.ASSOCIATED_STATES]
STATE_NAMES: dict[str, str] = {s.abbr: s.name for s in _STATES}
_FULL_NAMES: dict[str, str] = {term_key(s.name): s.abbr for s in _STATES}
# Also AP-style abbreviations ("Mass.", "Calif.") and the usual Virgin Islands spellings.
_STATE_BY_KEY = {term_key(s.ap_abbr): s.abbr for s in _STATES if s.ap_abbr}
_STATE_BY_KEY.update({"us virgin islands": "VI", "u s virgin islands": "VI", **_FULL_NAMES})


def place_key(name: str) -> str:
    """The lookup key of a place name: folded, punctuation-free, St./Ft./Mt. spelled out."""
    return " ".join(_ABBREVIATIONS.get(word, word) for word in term_key(name).split())


def state_code(text: str | None, *, fuzzy: bool = False) -> str | None:
    """The USPS code for "NY", "ny", "N.Y.", "New York" or "new york"; None if not a state.

    With fuzzy=True a misspelled full name ("Pensylvania") is accepted too.
    """
    key = term_key(text or "")
    compact = key.replace(" ", "")
    if len(compact) == 2 and compact.upper() in STATE_NAMES:
        return compact.upper()
    code = _STATE_BY_KEY.get(key)
    if code or not fuzzy or len(key) < 4:
        return code
    match = process.extractOne(key, list(_FULL_NAMES), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return _FULL_NAMES[match[0]] if match else None


def is_state_code(code: str | None) -> bool:
    """True for a USPS state/DC/territory code, in either case ("VT", "pr"); False otherwise."""
    return code is not None and code.strip().upper() in STATE_NAMES


def state_name(code: str) -> str | None:
    """ "VT" -> "Vermont"; None for an unknown code."""
    return STATE_NAMES.get(code.strip().upper())


def split_state_suffix(text: str) -> tuple[str, str | None]:
    """Split a trailing state off comma-less text: "boston ma" -> ("boston", "MA").

    Tries the longest tail first so "Charleston West Virginia" gives WV, not VA. Only codes and
    full names count here: AP abbreviations ("Wash.", "Miss.") are too often part of a name.
    """
    words = text.split()
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        tail = term_key(" ".join(words[-size:]))
        code = tail.upper() if size == 1 and tail.upper() in STATE_NAMES else None
        code = code or _FULL_NAMES.get(tail)
        if code:
            return " ".join(words[:-size]), code
    return text, None


class ZipInfo(NamedTuple):
    """One ZIP code's centroid (None for the few with no location) and USPS primary city."""

    zip: str
    lat: float | None
    lon: float | None
    city: str
    state: str


class Place(NamedTuple):
    """A named place in one state: centroid of its ZIPs and how many ZIPs it has."""

    city: str
    state: str
    lat: float
    lon: float
    zip_count: int


@dataclass(frozen=True, slots=True)
class StateInfo:
    """A state's code, name and centroid (mean of its standard ZIP centroids)."""

    code: str
    name: str
    lat: float
    lon: float


# ZIP-to-place tiers, best first: a name's centroid is the mean of its best non-empty tier.
# A city's own delivery ZIPs (STANDARD) describe where it is; PO boxes and unique (one-firm)
# ZIPs sit at post offices, and "acceptable" alternative names can cover neighbouring towns.
_PRIMARY_STANDARD, _PRIMARY_OTHER, _ALIAS_STANDARD, _ALIAS_OTHER = range(4)


class Gazetteer:
    """The in-memory tables. Build with `Gazetteer.build()` or share `get_gazetteer()`."""

    __slots__ = (
        "_zips",
        "_zip_lat",
        "_zip_lon",
        "_zip_city",
        "_zip_state",
        "_names",
        "_states",
        "_place_lat",
        "_place_lon",
        "_place_count",
        "_place_name",
        "_place_state",
        "_by_state",
        "_by_key",
        "_state_info",
    )
    # Per ZIP, sorted by ZIP: the ZIP as a number, its centroid (NaN when unlocated), its
    # city (an index into _names) and state (an index into _states).
    _zips: array[int]
    _zip_lat: array[float]
    _zip_lon: array[float]
    _zip_city: array[int]
    _zip_state: array[int]
    _names: list[str]
    _states: list[str]
    # Per place (a city name in a state): centroid, ZIP count, name and state.
    _place_lat: array[float]
    _place_lon: array[float]
    _place_count: array[int]
    _place_name: array[int]
    _place_state: array[int]
    _by_state: dict[str, dict[str, int]]  # state -> place key -> place
    _by_key: dict[str, tuple[int, ...]]  # place key -> places in every state
    _state_info: dict[str, StateInfo]

    @classmethod
    def build(cls) -> Gazetteer:
        """Read `zipcodes` chunk by chunk into compact arrays (see module docstring)."""
        self = cls()
        self._zips, self._zip_lat, self._zip_lon = array("I"), array("d"), array("d")
        self._zip_city, self._zip_state = array("I"), array("B")
        self._by_state = {}
        names: dict[str, int] = {}  # display name -> index in self._names (interning)
        states: dict[str, int] = {}
        keys: dict[str, str] = {}  # memo: ~58k name uses but only ~26k distinct names
        # Per place and tier: lat/lon sums (8 per place) and ZIP counts (4 per place).
        sums, counts, place_state = array("d"), array("I"), array("B")
        best: list[tuple[int, str]] = []  # per place: (best tier seen, its display name)
        state_sums: dict[str, list[float]] = {}  # [lat, lon, n] of standard ZIPs, then of all
        for digit in "0123456789":  # one chunk of dicts alive at a time keeps peak memory low
            for rec in zipcodes.similar_to(digit):
                try:
                    lat, lon = float(rec["lat"]), float(rec["long"])
                except (TypeError, ValueError):
                    continue
                st, city = rec["state"], rec["city"]
                # (0, 0) is the data's "no location" (military APO/FPO, some PO boxes): keep
                # the ZIP (its state is still right) but with NaN, out of every centroid.
                located = lat != 0.0 or lon != 0.0
                self._zips.append(int(rec["zip_code"]))
                self._zip_lat.append(lat if located else math.nan)
                self._zip_lon.append(lon if located else math.nan)
                self._zip_city.append(names.setdefault(city, len(names)))
                self._zip_state.append(states.setdefault(st, len(states)))
                if not located:
                    continue
                standard = rec["zip_code_type"] == "STANDARD" and rec["active"]
                acc = state_sums.setdefault(st, [0.0] * 6)
                for at in (0, 3) if standard else (3,):
                    acc[at] += lat
                    acc[at + 1] += lon
                    acc[at + 2] += 1
                table = self._by_state.setdefault(st, {})
                named = [(city, _PRIMARY_STANDARD if standard else _PRIMARY_OTHER)]
                alias_tier = _ALIAS_STANDARD if standard else _ALIAS_OTHER
                named += [(alias, alias_tier) for alias in rec["acceptable_cities"]]
                for name, tier in named:
                    key = keys.get(name) or keys.setdefault(name, place_key(name))
                    pid = table.setdefault(key, len(best))
                    if pid == len(best):
                        sums.extend((0.0,) * 8)
                        counts.extend((0,) * 4)
                        place_state.append(states[st])
                        best.append((tier, name))
                    elif tier < best[pid][0]:
                        best[pid] = (tier, name)
                    sums[8 * pid + 2 * tier] += lat
                    sums[8 * pid + 2 * tier + 1] += lon
                    counts[4 * pid + tier] += 1
        self._sort_zips()
        self._states = list(states)
        self._state_info = {}
        for st, acc in state_sums.items():  # states whose ZIPs all lack a location get none
            at = 0 if acc[2] else 3
            self._state_info[st] = StateInfo(
                st, STATE_NAMES.get(st, st), acc[at] / acc[at + 2], acc[at + 1] / acc[at + 2]
            )
        self._place_lat, self._place_lon = array("d"), array("d")
        self._place_count, self._place_name = array("I"), array("I")
        self._place_state = place_state
        for pid, (tier, name) in enumerate(best):
            n = counts[4 * pid + tier]
            self._place_lat.append(sums[8 * pid + 2 * tier] / n)
            self._place_lon.append(sums[8 * pid + 2 * tier + 1] / n)
            # Size for ranking: the ZIPs it is the primary city of, else those it is an alias in.
            primary = counts[4 * pid] + counts[4 * pid + 1]
            self._place_count.append(primary or counts[4 * pid + 2] + counts[4 * pid + 3])
            self._place_name.append(names.setdefault(name, len(names)))
        self._names = list(names)
        by_key: dict[str, list[int]] = {}
        for table in self._by_state.values():
            for key, pid in table.items():
                by_key.setdefault(key, []).append(pid)
        self._by_key = {key: tuple(pids) for key, pids in by_key.items()}
        return self

    def to_json(self) -> bytes:
        """The tables as JSON (the cache file's content; `from_json` reads it back)."""
        return orjson.dumps(
            {
                "format": CACHE_FORMAT,
                "arrays": {
                    name: [getattr(self, name).typecode, getattr(self, name).tolist()]
                    for name in _ARRAYS
                },
                "names": self._names,
                "states": self._states,
                "by_state": self._by_state,
                "by_key": self._by_key,
                "state_info": {
                    code: [s.name, s.lat, s.lon] for code, s in self._state_info.items()
                },
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> Gazetteer:
        """Tables written by `to_json`; ValueError if they are not (another format)."""
        raw: dict[str, Any] = orjson.loads(data)
        if not isinstance(raw, dict) or raw.get("format") != CACHE_FORMAT:
            raise ValueError("not a gazetteer cache of this format")
        self = cls()
        for name in _ARRAYS:
            typecode, values = raw["arrays"][name]
            if typecode == "d":  # JSON has no NaN: unlocated ZIPs were written as null
                values = [math.nan if v is None else v for v in values]
            setattr(self, name, array(typecode, values))
        self._names, self._states = raw["names"], raw["states"]
        self._by_state = raw["by_state"]
        self._by_key = {key: tuple(pids) for key, pids in raw["by_key"].items()}
        self._state_info = {
            code: StateInfo(code, name, lat, lon)
            for code, (name, lat, lon) in raw["state_info"].items()
        }
        return self

    def _sort_zips(self) -> None:
        # `zipcodes` yields ZIPs in order today; bisect depends on it, so make sure.
        zips = self._zips
        if all(a < b for a, b in pairwise(zips)):
            return
        order = sorted(range(len(zips)), key=zips.__getitem__)
        for attr in ("_zips", "_zip_lat", "_zip_lon", "_zip_city", "_zip_state"):
            column = getattr(self, attr)
            setattr(self, attr, array(column.typecode, (column[i] for i in order)))

    # --- ZIPs ---------------------------------------------------------------------------

    def _zip_index(self, zip_code: str | None) -> int | None:
        match = _ZIP_RE.fullmatch(zip_code or "")
        if not match:
            return None
        value = int(match.group(1))
        i = bisect_left(self._zips, value)
        return i if i < len(self._zips) and self._zips[i] == value else None

    def _zip_info(self, i: int) -> ZipInfo:
        lat, lon = self._zip_lat[i], self._zip_lon[i]
        located = not math.isnan(lat)
        return ZipInfo(
            f"{self._zips[i]:05d}",
            lat if located else None,
            lon if located else None,
            self._names[self._zip_city[i]],
            self._states[self._zip_state[i]],
        )

    def lookup_zip(self, zip_code: str | None) -> ZipInfo | None:
        """The centroid and city of "10001" or "10001-1234"; None for an unknown ZIP.

        Military and a few PO-box ZIPs are known but have lat/lon None.
        """
        i = self._zip_index(zip_code)
        return None if i is None else self._zip_info(i)

    def nearest_zip(self, lat: float, lon: float) -> ZipInfo:
        """The located ZIP whose centroid is nearest (equirectangular; fine at ZIP scale)."""
        scale = math.cos(math.radians(lat)) ** 2
        best, best_d = 0, math.inf
        for i, (zlat, zlon) in enumerate(zip(self._zip_lat, self._zip_lon, strict=True)):
            d = (zlat - lat) ** 2 + scale * (zlon - lon) ** 2
            if d < best_d:  # NaN (unlocated ZIP) never compares smaller
                best, best_d = i, d
        return self._zip_info(best)

    # --- places and states -------------------------------------------------------------

    def _place(self, pid: int) -> Place:
        return Place(
            self._names[self._place_name[pid]],
            self._states[self._place_state[pid]],
            self._place_lat[pid],
            self._place_lon[pid],
            self._place_count[pid],
        )

    def _ranked(self, pids) -> list[Place]:
        places = [self._place(p) for p in pids]
        return sorted(places, key=lambda p: (-p.zip_count, p.state, p.city))

    def find_places(
        self, city: str, state: str | None = None, *, fuzzy: bool = True
    ) -> list[Place]:
        """Places named `city` (typo tolerant unless fuzzy=False), in `state` or in every state.

        Exact names win over fuzzy ones. Without a state every same-named place is returned,
        biggest first (most ZIPs), so callers can show "Springfield" as ambiguous.
        """
        key = place_key(city)
        if not key:
            return []
        if state is not None:
            table = self._by_state.get(state.upper(), {})
            if key in table:
                return [self._place(table[key])]
            if not fuzzy:
                return []
            best = process.extract(
                key, list(table), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
            )
            return self._ranked(table[k] for k, score, _ in best if score == best[0][1])
        if key in self._by_key:
            return self._ranked(self._by_key[key])
        if not fuzzy:
            return []
        best = process.extract(
            key, list(self._by_key), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5
        )
        return self._ranked(
            p for k, score, _ in best if score == best[0][1] for p in self._by_key[k]
        )

    def match_place(self, text: str) -> list[Place]:
        """Places named in free text: "Austin, Texas", "boston ma", "Philadelfia, PA",
        "Springfield" (every state's), or the city of "350 5th Ave, New York, NY".

        A state that is named but has no such place gives [] rather than another state's town.
        """
        *before, last = [part.strip() for part in text.split(",") if part.strip()] or [""]
        # After a comma a state may be misspelled ("Pensylvania"); without one it must be exact.
        explicit = state_code(last, fuzzy=True) if before else None
        city, state = (before[-1], explicit) if explicit else split_state_suffix(last)
        found = self.find_places(city, state)
        if not found and state and any(ch.isdigit() for ch in city):
            # A street without commas, "350 5th Ave New York NY": try its last words as the city.
            words = city.split()
            for size in range(min(4, len(words) - 1), 0, -1):
                found = self.find_places(" ".join(words[-size:]), state, fuzzy=False)
                if found:
                    break
        if not found and state and not explicit:
            found = self.find_places(last)  # the "state" word was part of the name after all
        return found

    def state(self, code: str) -> StateInfo | None:
        """Name and centroid of a state/territory code; None if unknown."""
        return self._state_info.get(code.strip().upper())


_ARRAYS = (
    "_zips",
    "_zip_lat",
    "_zip_lon",
    "_zip_city",
    "_zip_state",
    "_place_lat",
    "_place_lon",
    "_place_count",
    "_place_name",
    "_place_state",
)
CACHE_FORMAT = 1
_lock = threading.Lock()
_shared: Gazetteer | None = None
_cache_folder: Path | None = None


def use_cache(folder: str | Path | None) -> None:
    """Keep the built tables in `folder` (None: build in every process, keep no file)."""
    global _cache_folder
    _cache_folder = Path(folder) if folder is not None else None


def cache_file(folder: Path) -> Path:
    """The cache file in `folder`: named after the `zipcodes` release it was built from, so
    an upgrade of the data builds a new one."""
    version = getattr(zipcodes, "__version__", "unknown")
    return folder / f"gazetteer-{version}-{CACHE_FORMAT}.json"


def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer: read from the cache file when there is one, else built
    (about a second) and written there; then shared."""
    global _shared
    if _shared is None:
        with _lock:  # concurrent first requests must not build (and hold) two copies
            if _shared is None:
                _shared = _cached() or _built()
    return _shared


def _cached() -> Gazetteer | None:
    if _cache_folder is None:
        return None
    try:
        return Gazetteer.from_json(cache_file(_cache_folder).read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet, or unreadable: build it again


def _built() -> Gazetteer:
    # The build makes ~1M short-lived objects; cyclic GC passes over them are waste.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        built = Gazetteer.build()
    finally:
        if was_enabled:
            gc.enable()
    if _cache_folder is not None:
        # Written aside and renamed: a process reading it meanwhile sees all or nothing.
        target = cache_file(_cache_folder)
        part = target.with_suffix(f".{os.getpid()}.part")
        with contextlib.suppress(OSError):  # a read-only folder: build again next time
            part.write_bytes(built.to_json())
            os.replace(part, target)
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
    return built


def lookup_zip(zip_code: str | None) -> ZipInfo | None:
    """Module-level shortcut for `get_gazetteer().lookup_zip`."""
    return get_gazetteer().lookup_zip(zip_code)


def is_known_zip(zip_code: str | None) -> bool:
    """True if the ZIP ("10001" or ZIP+4) exists in the gazetteer."""
    return get_gazetteer().lookup_zip(zip_code) is not None


def state_of_zip(zip_code: str | None) -> str | None:
    """The state code of a ZIP ("10001" -> "NY"); None if unknown. Military ZIPs give AA/AE/AP."""
    info = lookup_zip(zip_code)
    return info.state if info else None


def find_places(city: str, state: str | None = None, *, fuzzy: bool = True) -> list[Place]:
    """Module-level shortcut for `get_gazetteer().find_places`."""
    return get_gazetteer().find_places(city, state, fuzzy=fuzzy)


def match_place(text: str) -> list[Place]:
    """Module-level shortcut for `get_gazetteer().match_place`."""
    return get_gazetteer().match_place(text)
