"""Geocoding as a user or an ingest run sees it: where a ZIP, a city or an office lands.

Reference points are US Census 2010 ZCTA internal points (tests/data/census_zcta_excerpt.tsv,
public domain), independent of the `zipcodes` data the gazetteer is built from.
"""

from __future__ import annotations

import csv
import random
import socket
import statistics
from pathlib import Path

import pytest
from geopy.distance import great_circle
from geopy.exc import GeocoderUnavailable
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from indexer import gazetteer
from indexer.geocode import (
    PRECISIONS,
    CachedRateLimitedGeocoder,
    OfflineGeocoder,
    Placement,
    make_geocoder,
    place_office,
    resolve_place,
)

REPO = Path(__file__).resolve().parent.parent
EXCERPT = Path(__file__).parent / "data" / "census_zcta_excerpt.tsv"
# The full national file, shared beside the repo on developer machines and CI (not committed).
SHARED_CENSUS = REPO / ".." / "shared" / "realdata" / "census_2010_Gaz_zcta_national.txt"


def read_zctas(path: Path) -> dict[str, tuple[float, float]]:
    """ZCTA -> Census internal point (lat, lon), skipping '#' comment lines."""
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return {r["GEOID"]: (float(r["INTPTLAT"]), float(r["INTPTLONG"])) for r in rows}


CENSUS = read_zctas(EXCERPT)


def km(placement: Placement, point: tuple[float, float]) -> float:
    return great_circle((placement.lat, placement.lon), point).km


def office(**fields) -> dict:
    """An office record as the pipeline hands it over: every key present, most None."""
    return {
        "address": None,
        "city": None,
        "state": None,
        "zip": None,
        "lat": None,
        "lon": None,
        **fields,
    }


class DownGeocoder(Geocoder):
    """A real geopy geocoder whose service is unreachable."""

    def geocode(self, query, *, exactly_one=True, timeout=None):
        raise GeocoderUnavailable("service down")


class FixedGeocoder(Geocoder):
    """A real geopy geocoder that answers every query with one point, and counts queries."""

    def __init__(self, lat: float, lon: float) -> None:
        super().__init__()
        self.point, self.calls = (lat, lon), 0

    def geocode(self, query, *, exactly_one=True, timeout=None):
        self.calls += 1
        location = Location(f"street match for {query}", self.point, {})
        return location if exactly_one else [location]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- ZIP codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zip_code", "city", "state"),
    [
        ("10001", "New York", "NY"),
        ("02134", "Allston", "MA"),
        ("05401", "Burlington", "VT"),
        ("60601", "Chicago", "IL"),
        ("94103", "San Francisco", "CA"),
        ("00901", "San Juan", "PR"),
        ("96813", "Honolulu", "HI"),
        ("99501", "Anchorage", "AK"),
    ],
)
def test_zip_lands_in_its_city_within_a_few_km_of_the_census_point(zip_code, city, state):
    [place] = resolve_place(zip_code)
    assert (place.precision, place.city, place.state, place.zip) == ("zip", city, state, zip_code)
    assert place.label == f"{city}, {state} {zip_code}"
    assert km(place, CENSUS[zip_code]) < 3


def test_zip_plus_four_is_the_same_place_as_its_zip():
    assert resolve_place("10001-1234") == resolve_place("10001")
    assert gazetteer.state_of_zip("10001-1234") == "NY"


@pytest.mark.skipif(not SHARED_CENSUS.exists(), reason="shared Census ZCTA file not present")
def test_zip_centroids_agree_with_census_zctas_nationwide():
    census = read_zctas(SHARED_CENSUS)
    sample = random.Random(2010).sample(sorted(census), 500)
    placed = {z: resolve_place(z) for z in sample}
    distances = [km(found[0], census[z]) for z, found in placed.items() if found]
    assert len(distances) >= 490  # nearly every 2010 ZCTA is a ZIP the gazetteer knows
    assert statistics.median(distances) < 5


def test_zip_lookups_know_states_and_unknown_zips():
    assert gazetteer.state_of_zip("05401") == "VT"
    assert gazetteer.is_known_zip("00901")
    assert not gazetteer.is_known_zip("00000")
    assert gazetteer.state_of_zip("00000") is None
    assert gazetteer.state_of_zip("not a zip") is None


def test_military_zip_is_known_but_not_placed():
    assert gazetteer.is_known_zip("09001")  # APO AE: a real ZIP without a location
    assert resolve_place("09001") == []


# --- cities and states ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "label", "downtown_zip"),
    [
        ("Chicago, IL", "Chicago, IL", "60601"),
        ("boston ma", "Boston, MA", "02108"),
        ("Austin, Texas", "Austin, TX", "78701"),
        ("austin texas", "Austin, TX", "78701"),
        ("Pittsburg, PA", "Pittsburgh, PA", "15222"),
        ("Philadelfia, PA", "Philadelphia, PA", "19103"),
        ("Sant Paul, MN", "Saint Paul, MN", "55101"),
        ("San Francisco, CA, USA", "San Francisco, CA", "94103"),
    ],
)
def test_city_and_state_lands_near_downtown_despite_typos(query, label, downtown_zip):
    [place] = resolve_place(query)
    assert (place.precision, place.label) == ("city", label)
    assert km(place, CENSUS[downtown_zip]) < 10


@pytest.mark.parametrize("query", ["St. Paul, MN", "St Paul MN", "st. paul, mn"])
def test_st_abbreviation_means_saint_paul_not_saint_paul_park(query):
    [place] = resolve_place(query)
    assert place.label == "Saint Paul, MN"
    assert km(place, CENSUS["55101"]) < 5  # Saint Paul Park is ~15 km away


def test_city_without_state_lists_every_state_biggest_first():
    candidates = resolve_place("Springfield")
    states = [p.state for p in candidates]
    assert len(set(states)) == len(states) >= 5
    assert {"IL", "MA", "MO"} <= set(states[:5])
    assert all(p.precision == "city" and p.city == "Springfield" for p in candidates)


def test_unambiguous_city_without_state_gives_one_candidate():
    [place] = resolve_place("Albuquerque")
    assert place.label == "Albuquerque, NM"
    assert km(place, CENSUS["87102"]) < 10


@pytest.mark.parametrize("query", ["Xyzzyville", "Nowhereville, VT", "", "   "])
def test_unknown_place_gives_no_candidates(query):
    assert resolve_place(query) == []


@pytest.mark.parametrize("query", ["Vermont", "VT", "vermont"])
def test_bare_state_gives_one_state_wide_placement(query):
    [place] = resolve_place(query)
    assert (place.precision, place.state, place.label) == ("state", "VT", "Vermont")
    assert 42.7 < place.lat < 45.1 and -73.5 < place.lon < -71.4  # inside Vermont


def test_state_codes_and_names_are_recognised():
    for text in ("NY", "ny", "New York", "new york", "N.Y."):
        assert gazetteer.state_code(text) == "NY"
    assert gazetteer.state_code("Puerto Rico") == "PR"
    assert gazetteer.state_code("Atlantis") is None
    assert gazetteer.state_code("Pensylvania") is None
    assert gazetteer.state_code("Pensylvania", fuzzy=True) == "PA"
    assert all(gazetteer.is_state_code(c) for c in ("VT", "DC", "PR", "GU", "VI", "AS", "MP"))
    assert not any(gazetteer.is_state_code(c) for c in ("XX", "AE", "", None))


def test_typed_coordinates_are_exact():
    [place] = resolve_place("40.7506, -73.9972")
    assert (place.precision, place.lat, place.lon) == ("exact", 40.7506, -73.9972)
    assert place.precision in PRECISIONS


# --- addresses ------------------------------------------------------------------------------


def test_address_is_placed_by_its_zip():
    [place] = resolve_place("350 5th Ave, New York, NY 10118")
    assert (place.precision, place.zip, place.state) == ("zip", "10118", "NY")
    assert km(place, CENSUS["10001"]) < 3


def test_address_with_unknown_zip_falls_back_to_its_city():
    assert not gazetteer.is_known_zip("02999")
    [place] = resolve_place("123 Main St, Boston, MA 02999")
    assert (place.precision, place.label) == ("city", "Boston, MA")


def test_address_without_commas_or_zip_finds_its_city():
    [place] = resolve_place("350 5th Ave New York NY")
    assert (place.precision, place.label) == ("city", "New York, NY")


# --- offices --------------------------------------------------------------------------------


def test_office_with_coordinates_is_exact_and_keeps_its_fields():
    placement = place_office(office(city="Boston", state="MA", zip="02108", lat=42.3, lon=-71.1))
    assert placement == Placement(
        42.3, -71.1, "exact", "Boston, MA 02108", state="MA", zip="02108", city="Boston"
    )


def test_office_at_null_island_is_placed_by_its_zip_instead():
    placement = place_office(office(city="Boston", state="MA", zip="02108", lat=0.0, lon=0.0))
    assert (placement.precision, placement.zip) == ("zip", "02108")


def test_office_precision_follows_what_it_gives():
    assert place_office(office(zip="02108", city="Boston", state="MA")).precision == "zip"
    assert place_office(office(zip="02999", city="Boston", state="MA")).precision == "city"
    assert place_office(office(city="Philadelfia", state="PA")).label == "Philadelphia, PA"
    assert place_office(office(address="1 Main St, Burlington, VT 05401")).zip == "05401"


def test_zip_in_another_state_than_the_written_city_yields_to_the_city():
    [place] = resolve_place("Portland, OR 04101")  # 04101 is Portland, Maine
    assert (place.precision, place.label) == ("city", "Portland, OR")
    placement = place_office(office(city="Portland", state="OR", zip="04101"))
    assert (placement.precision, placement.state) == ("city", "OR")


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "VT"},  # never a state centroid for an office
        {"city": "Springfield"},  # ambiguous without a state
        {"city": "Nowhereville", "state": "VT"},
        {"address": "123 Main St"},
        {},
    ],
)
def test_office_that_cannot_be_placed_gives_none(fields):
    assert place_office(office(**fields)) is None


def test_online_failure_falls_back_to_offline_zip():
    placement = place_office(
        office(address="1 Main St", city="Boston", state="MA", zip="02108"), DownGeocoder()
    )
    assert (placement.precision, placement.zip) == ("zip", "02108")


def test_online_street_match_is_address_precision():
    geocoder = FixedGeocoder(42.3588, -71.0578)
    placement = place_office(
        office(address="1 City Hall Sq", city="Boston", state="MA", zip="02108"), geocoder
    )
    assert (placement.precision, placement.state, placement.zip) == ("address", "MA", "02108")
    assert (placement.lat, placement.lon) == (42.3588, -71.0578)


def test_online_match_in_another_state_is_distrusted():
    geocoder = FixedGeocoder(39.7817, -89.6501)  # a Main St in Springfield, IL
    placement = place_office(
        office(address="1 Main St", city="Boston", state="MA", zip="02108"), geocoder
    )
    assert (placement.precision, placement.zip) == ("zip", "02108")


def test_online_geocoder_is_only_asked_about_street_addresses():
    geocoder = FixedGeocoder(42.3588, -71.0578)
    assert resolve_place("Boston, MA", geocoder)[0].precision == "city"
    assert geocoder.calls == 0
    [place] = resolve_place("1 City Hall Sq, Boston, MA", geocoder, wait=True)
    assert (place.precision, place.state) == ("address", "MA")


# --- geocoder objects -----------------------------------------------------------------------


def test_offline_geocoder_speaks_geopy():
    geocoder = make_geocoder("offline")
    assert isinstance(geocoder, OfflineGeocoder) and isinstance(geocoder, Geocoder)
    location = geocoder.geocode("10001")
    assert location.raw == {
        "precision": "zip",
        "state": "NY",
        "zip": "10001",
        "city": "New York",
        "label": "New York, NY 10001",
    }
    springfields = geocoder.geocode("Springfield", exactly_one=False)
    assert len({loc.raw["state"] for loc in springfields}) == len(springfields) > 1
    assert geocoder.geocode("Xyzzyville") is None


def test_offline_reverse_gives_the_nearest_zip_and_nothing_abroad():
    assert OfflineGeocoder().reverse((40.7506, -73.9972)).raw["zip"] == "10001"
    assert OfflineGeocoder().reverse("48.8566, 2.3522") is None  # Paris


def test_make_geocoder_builds_online_geocoders_without_network(no_network):
    geocoder = make_geocoder("nominatim:https://nominatim.example.org", min_delay_seconds=0)
    assert isinstance(geocoder, CachedRateLimitedGeocoder)
    assert isinstance(geocoder.geocoder, Nominatim)
    assert geocoder.geocoder.api == "https://nominatim.example.org/search"
    assert isinstance(make_geocoder("nominatim").geocoder, Nominatim)


@pytest.mark.parametrize("spec", ["nonsense", "nominatim:ftp://x", "bing"])
def test_make_geocoder_rejects_what_it_cannot_build(spec):
    with pytest.raises(ValueError, match=spec.split(":")[0]):
        make_geocoder(spec)


def test_online_answers_are_cached_per_query():
    service = FixedGeocoder(42.3588, -71.0578)
    geocoder = CachedRateLimitedGeocoder(service, min_delay_seconds=0, cache_size=10)
    first = geocoder.geocode("1 City Hall Sq, Boston, MA")
    again = geocoder.geocode("1  City Hall Sq,  Boston, MA ")
    assert first == again and service.calls == 1


def test_a_process_reads_the_gazetteer_its_instance_kept_instead_of_building_it(tmp_path):
    built = gazetteer.Gazetteer.build()
    gazetteer.use_cache(tmp_path)
    try:
        # The first process of an instance writes the file; the next ones read it.
        gazetteer._shared = None
        gazetteer.get_gazetteer()
        kept = gazetteer.cache_file(tmp_path)
        assert kept.exists()
        gazetteer._shared = None
        read = gazetteer.get_gazetteer()
        assert read.to_json() == built.to_json()
        assert read.lookup_zip("10001") == built.lookup_zip("10001")
        assert read.lookup_zip("09001") == built.lookup_zip("09001")  # no location: None
        assert read.match_place("Philadelfia, PA") == built.match_place("Philadelfia, PA")
        assert read.match_place("Springfield") == built.match_place("Springfield")
        assert read.state("PR") == built.state("PR")
        # A damaged file is built again, not believed.
        kept.write_bytes(b'{"format": 1, "arrays": {}}')
        gazetteer._shared = None
        assert gazetteer.get_gazetteer().to_json() == built.to_json()
    finally:
        gazetteer.use_cache(None)
        gazetteer._shared = None
