"""Profiles worded the way real directory listings word them: found by the filters they exist
for; searches that forgive the same wording; the operator's loop for unknown words."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from directory.db import sessions
from indexer.models import Therapist
from indexer.taxonomy import DEFAULT_PATH

from .factories import office, profile

# A profile written the way a large US directory words its own checkboxes.
REAL = profile(
    id="real",
    name="Robin Carey",
    credentials="LMFT",
    specialties=[
        "Marital and Premarital",
        "Open Relationships Non-Monogamy",
        "Sex Positive, Kink Allied",
    ],
    modalities=["Gottman Method Couples Therapy - Level 2 trained", "EFT (Emotionally Focused)"],
    client_types=["Couples/Partners"],
    session_formats=["Telehealth/Video"],
    locations=[office("10001", "New York", "NY")],
    bio="Relational work for partners.",
)
FILTERS = [
    "couples=true",
    "video=true",
    "specialty=polyamory",
    "specialty=kink",
    "modality=gottman",
    "modality=eft",
]


def ids(client, query: str) -> set[str]:
    body = client.get(f"/api/v1/therapists?{query}&per_page=50").json
    return {r["name"] for r in body["results"]}


def write_csv(path: Path, record: dict) -> Path:
    fields = [
        "id",
        "name",
        "credentials",
        "specialties",
        "modalities",
        "client_types",
        "session_formats",
        "address",
        "city",
        "state",
        "zip",
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(fields)
        place = record["locations"][0]
        writer.writerow(
            [
                record["id"],
                record["name"],
                record["credentials"],
                *(";".join(record[f]) for f in fields[3:7]),
                place["address"],
                place["city"],
                place["state"],
                place["zip"],
            ]
        )
    return path


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_real_directorys_wording_is_found_by_every_filter(client, ingest, tmp_path, fmt):
    path = (tmp_path / "real.json") if fmt == "json" else tmp_path / "real.csv"
    if fmt == "json":
        path.write_text(json.dumps([REAL]))
    else:
        write_csv(path, REAL)
    _, summary, rejects = ingest(path)
    assert summary["accepted"] == 1 and summary["unknown_terms"] == {}, (summary, rejects)
    for query in FILTERS:
        assert ids(client, query) == {"Robin Carey"}, query


def test_searches_forgive_the_same_wording(client, ingest, write_jsonl):
    ingest(
        write_jsonl(
            [
                REAL,
                profile(
                    id="bio",
                    name="Ann Lee",
                    modalities=None,
                    specialties=["grief"],
                    bio="I trained with the Gottman Institute and use EMDR.",
                ),
                profile(
                    id="emdr",
                    name="Sam Ortiz",
                    modalities=["EMDR"],
                    specialties=["trauma"],
                    bio="Trauma work.",
                ),
                profile(
                    id="care",
                    name="Jo Park",
                    specialties=["grief"],
                    modalities=None,
                    bio="Compassionate care for grieving families. I care a lot.",
                ),
            ]
        )
    )
    # A word corrected to a term also finds that term's spelling in bios.
    assert ids(client, "q=gotman") == {"Robin Carey", "Ann Lee"}
    assert ids(client, "q=gottman") == {"Robin Carey", "Ann Lee"}
    # Qualifiers are not required.
    assert ids(client, "q=EMDR+certified") == {"Sam Ortiz", "Ann Lee"}
    assert ids(client, "q=Gottman+Method+Level+3") == {"Robin Carey", "Ann Lee"}
    # A name is a name: "carey" is not every bio that says "care".
    assert ids(client, "q=carey") == {"Robin Carey"}


def test_an_office_without_session_formats_is_in_person(client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a", session_formats=None, telehealth_states=None)]))
    assert ids(client, "format=in_person") == {"Ana López"}
    assert ids(client, "video=true") == set()


def test_unknown_words_are_listed_then_mapped_by_an_edited_taxonomy(
    app, client, ingest, write_jsonl, runner, tmp_path
):
    ingest(
        write_jsonl(
            [
                profile(id=f"h{i}", name=f"Therapist {i}", specialties=["Havening Techniques"])
                for i in range(3)
            ]
            + [profile(id="other", name="Other One", specialties=["anxiety"])]
        )
    )
    listed = runner.invoke(args=["taxonomy", "unknown", "--json"])
    assert listed.exit_code == 0, listed.output
    [havening] = [u for u in json.loads(listed.stdout) if u["text"] == "Havening Techniques"]
    assert havening["profiles"] == 3 and havening["fields"] == ["specialties"]
    assert len(havening["candidates"]) <= 3

    edited = tmp_path / "taxonomy.toml"
    edited.write_text(_with_synonym(DEFAULT_PATH.read_text(), "trauma", "havening techniques"))
    app.config["TAXONOMY_PATH"] = str(edited)
    app.extensions["directory.parts"].pop("taxonomy", None)
    applied = runner.invoke(args=["taxonomy", "apply"])
    assert applied.exit_code == 0, applied.output
    assert "4 profiles; 3 mapped differently" in applied.output
    assert "3 changes applied" in applied.output  # only those are indexed again
    assert ids(client, "specialty=trauma") == {"Therapist 0", "Therapist 1", "Therapist 2"}
    with app.app_context(), sessions()() as s:
        tags = {t.source_id: t.tags for t in s.query(Therapist)}
    assert tags["h0"] == [] and tags["other"] == []
    # The same file again is unchanged: nothing to map twice.
    again = runner.invoke(args=["taxonomy", "apply"])
    assert "checked 0 profiles" in again.output
    assert json.loads(runner.invoke(args=["taxonomy", "unknown", "--json"]).stdout) == []


def _with_synonym(toml: str, slug: str, synonym: str) -> str:
    """The taxonomy with one more synonym for a term (its synonyms list gains one item)."""
    at = toml.index(f'slug = "{slug}"')
    start = toml.index("synonyms = [", at) + len("synonyms = [")
    return toml[:start] + f'"{synonym}", ' + toml[start:]


PEOPLE = [
    profile(id="sw", name="Sol West", credentials="MSW, LCSW", bio="I am not a psychologist."),
    profile(id="mft", name="Mia Ford", credentials="LMFT"),
    profile(
        id="psy",
        name="Dr. Pat Young",
        credentials="PhD",
        licenses=[{"type": "Psychologist", "number": "PSY-1", "state": "NY"}],
    ),
    profile(id="md", name="Dr. Max Dunn", credentials="MD"),
    profile(id="lpc", name="Lee Cho", credentials="MA, LPC, NCC"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("profession=social-worker", {"Sol West"}),
        ("profession=LCSW", {"Sol West"}),
        ("profession=social+worker", {"Sol West"}),
        ("profession=LMFT", {"Mia Ford"}),
        ("profession=psychologist", {"Dr. Pat Young"}),
        ("profession=psychiatrist", {"Dr. Max Dunn"}),
        ("profession=counselor", {"Lee Cho"}),
        ("q=LCSW", {"Sol West"}),
        ("q=social+worker", {"Sol West"}),
        ("q=psychologist", {"Dr. Pat Young"}),  # not Sol, whose bio says "not a psychologist"
        ("q=psychiatrist", {"Dr. Max Dunn"}),
        ("q=LPC", {"Lee Cho"}),
    ],
)
def test_credentials_and_professions_are_searchable_and_filterable(
    client, ingest, write_jsonl, query, expected
):
    ingest(write_jsonl(PEOPLE))
    assert ids(client, query) == expected


def test_professions_have_a_facet_and_refuse_unknown_ones(client, ingest, write_jsonl):
    ingest(write_jsonl(PEOPLE))
    facet = client.get("/api/v1/therapists").json["facets"]["profession"]
    assert {"value": "social-worker", "label": "Social Worker", "count": 1} in facet
    response = client.get("/api/v1/therapists?profession=plumber")
    assert response.status_code == 400 and "profession" in response.json["error"]["fields"]
