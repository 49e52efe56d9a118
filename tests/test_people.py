"""One therapist, one public profile across sources: linked by NPI, or by licence number with
state; the richer profile is shown, the registry's confirms its NPI."""

from __future__ import annotations

from directory.db import sessions
from directory.parts import search_engine
from indexer.models import Therapist

from .factories import office, profile

NPI = "1922001973"  # a real NPI from the NPPES sample (its check digit holds)
# As the NPPES reader hands a registry record over: bare, with NUCC codes.
REGISTRY = {
    "id": NPI,
    "npi": NPI,
    "name": "Teresa Anderson-Krull",
    "credentials": "MSW LICSW",
    "taxonomy_codes": ["1041C0700X"],
    "locations": [office("56007", "Albert Lea", "MN")],
    "licenses": [{"type": "LICSW", "number": "2581", "state": "MN"}],
}
CLINIC = profile(
    id="clinic-17",
    name="Teresa Anderson-Krull",
    credentials="LICSW",
    licenses=[{"type": "LICSW", "number": "2581", "state": "MN"}],
    locations=[office("56007", "Albert Lea", "MN")],
    telehealth_states=["MN"],
    bio="Couples and family work in southern Minnesota.",
    specialties=["anxiety"],
)


def names(client, query: str = "near=56007") -> list[str]:
    with client.application.app_context():
        search_engine().invalidate()  # an ingest in this process: look again at once
    return [r["name"] for r in client.get(f"/api/v1/therapists?{query}").json["results"]]


def rows(app) -> dict[str, Therapist]:
    with app.app_context(), sessions()() as s:
        return {t.source: t for t in s.query(Therapist)}


def test_a_registry_record_and_a_clinic_export_are_one_profile(app, client, ingest, write_jsonl):
    ingest(write_jsonl([REGISTRY], "nppes.jsonl"), source="nppes")
    assert names(client) == ["Teresa Anderson-Krull"]
    ingest(write_jsonl([CLINIC], "clinic.jsonl"), source="clinic")
    assert names(client) == ["Teresa Anderson-Krull"]
    [result] = client.get("/api/v1/therapists?near=56007").json["results"]
    stored = rows(app)
    # The clinic's richer profile is shown; the registry's confirms the NPI.
    assert result["id"] == stored["clinic"].id
    assert stored["nppes"].merged_into == stored["clinic"].id
    assert stored["clinic"].confirmed_npi == NPI
    # The registry's address leads to the profile that is shown.
    old = client.get(f"/therapists/{stored['nppes'].slug}")
    assert old.status_code == 301 and old.location.endswith(f"/therapists/{stored['clinic'].slug}")
    api = client.get(f"/api/v1/therapists/{stored['nppes'].id}")
    assert api.status_code == 301


def test_linked_by_npi_alone_whatever_order_they_arrive_in(app, client, ingest, write_jsonl):
    clinic = {**CLINIC, "licenses": None, "npi": NPI}
    ingest(write_jsonl([clinic], "clinic.jsonl"), source="clinic")
    ingest(write_jsonl([REGISTRY], "nppes.jsonl"), source="nppes")
    assert names(client) == ["Teresa Anderson-Krull"]
    assert rows(app)["nppes"].merged_into == rows(app)["clinic"].id


def test_a_corrected_licence_parts_two_people_again(app, client, ingest, write_jsonl):
    ingest(write_jsonl([REGISTRY], "nppes.jsonl"), source="nppes")
    ingest(write_jsonl([CLINIC], "clinic.jsonl"), source="clinic")
    other = {**CLINIC, "licenses": [{"type": "LICSW", "number": "9999", "state": "MN"}]}
    ingest(write_jsonl([other], "clinic.jsonl"), source="clinic")
    assert sorted(names(client)) == ["Teresa Anderson-Krull", "Teresa Anderson-Krull"]
    assert rows(app)["nppes"].merged_into is None


def test_different_people_with_the_same_licence_number_in_two_states_stay_two(
    client, ingest, write_jsonl
):
    ny = {**CLINIC, "id": "ny", "licenses": [{"type": "LCSW", "number": "2581", "state": "NY"}]}
    ingest(write_jsonl([CLINIC, ny]), source="clinic")
    assert len(names(client, "q=minnesota")) == 2
