"""The unit layer: the search layer's parts on small in-memory inputs, no database, no server.

Profiles go through the real stages (validation, term mapping, offline geocoding, the index
document) into a real Whoosh index held in memory (`indexer.index.memory_snapshot`), so a unit
test asks the same Snapshot the service asks, in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from indexer.geocode import OfflineGeocoder, place_office
from indexer.index import Snapshot, document, memory_snapshot
from indexer.store import Prepared, therapist_row
from indexer.taxonomy import Taxonomy, load_taxonomy
from indexer.terms import map_terms
from indexer.validate import validate_profile


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


# One geocoder for every profile: each one made costs an SSL context (geopy's adapter).
GEOCODER = OfflineGeocoder()


def index_row(number: int, raw: dict[str, Any], taxonomy: Taxonomy) -> tuple[dict, list[dict]]:
    """The therapist row and office rows that ingest would store for one input profile."""
    clean, reasons = validate_profile(raw)
    assert clean is not None, reasons
    row = therapist_row(Prepared(clean, map_terms(clean, taxonomy), ""), "unit", None)
    row["id"] = number
    row["license_states"] = {lic["state"] for lic in clean.get("licenses", []) if lic.get("state")}
    offices = []
    for office in clean.get("locations", []):
        placed = place_office(office, GEOCODER)
        if placed is not None:
            offices.append({"lat": placed.lat, "lon": placed.lon, "state": placed.state})
    return row, offices


class Corpus:
    """An in-memory snapshot of some profiles, and the way back from documents to their ids."""

    def __init__(self, profiles: list[dict[str, Any]], taxonomy: Taxonomy) -> None:
        self.rows = [index_row(n, p, taxonomy) for n, p in enumerate(profiles, start=1)]
        self.snap: Snapshot = memory_snapshot(document(row, offices) for row, offices in self.rows)
        self._source_ids = {n: p["id"] for n, p in enumerate(profiles, start=1)}

    def ids(self, mask: int) -> set[str]:
        """The input ids of the documents in a mask."""
        return {
            self._source_ids[tid]
            for doc, tid in enumerate(self.snap.ids)
            if mask >> doc & 1 and tid is not None
        }

    def row(self, source_id: str) -> dict[str, Any]:
        """The stored row of the profile with this input id."""
        number = next(n for n, sid in self._source_ids.items() if sid == source_id)
        return self.rows[number - 1][0]


@pytest.fixture(scope="session")
def corpus_of(taxonomy: Taxonomy) -> Callable[[list[dict[str, Any]]], Corpus]:
    """Build a Corpus from profiles in the input format."""
    return lambda profiles: Corpus(profiles, taxonomy)
