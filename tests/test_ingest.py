"""Ingest end to end through the real CLI: formats, rejects, upserts and the index."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from directory.db import sessions
from directory.parts import index_store
from indexer.models import Change, IngestRun, Office, Reject, Therapist

from .factories import profile


def therapists(app) -> list[Therapist]:
    with app.app_context(), sessions()() as s:
        return list(
            s.scalars(
                select(Therapist)
                .options(selectinload(Therapist.offices))
                .order_by(Therapist.source_id)
            )
        )


def search(app, text: str) -> list[int]:
    with app.app_context():
        return index_store().search_ids(text)


def test_jsonl_profiles_are_stored_and_searchable(app, ingest, write_jsonl):
    path = write_jsonl(
        [
            profile(id="a", bio="Specialist in attachment repair"),
            profile(id="b", name="Bo Chen", bio="Grief work"),
        ]
    )
    result, summary, rejects = ingest(path)
    assert result.exit_code == 0
    assert (summary["read"], summary["created"], summary["rejected"]) == (2, 2, 0)
    assert [t.source_id for t in therapists(app)] == ["a", "b"]
    [hit] = search(app, "attachment")
    assert hit == therapists(app)[0].id


def test_json_array_and_csv_give_the_same_profiles(app, ingest, tmp_path):
    records = [profile(id="a"), profile(id="b", name="Bo Chen")]
    (tmp_path / "in.json").write_text(json.dumps(records))
    with open(tmp_path / "in.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["id", "name", "specialties", "client_types", "address", "city", "state", "zip"]
        )
        writer.writerow(
            ["c", "Cara Diaz", "poly;anxiety", "couples", "1 Main St", "Boston", "MA", "02108"]
        )
        writer.writerow(["c", "", "", "", "2 Elm St", "Cambridge", "MA", "02139"])
    _, summary, _ = ingest(tmp_path / "in.json", tmp_path / "in.csv")
    assert (summary["read"], summary["created"]) == (3, 3)
    cara = therapists(app)[2]
    assert cara.specialties == ["polyamory", "anxiety"]
    assert [o.city for o in cara.offices] == ["Boston", "Cambridge"]
    assert all(o.precision == "zip" for o in cara.offices)


REJECTION_RULES = [
    (
        "out-of-range latitude",
        {"locations": [{"zip": "10001", "lat": 100, "lon": 101}]},
        "locations[0].lat",
    ),
    (
        "unknown state",
        {"locations": [{"city": "Springfield", "state": "ZZ"}]},
        "locations[0].state",
    ),
    ("malformed ZIP", {"locations": [{"zip": "1000A"}]}, "locations[0].zip"),
    ("javascript: website", {"website": "javascript:alert(1)"}, "website"),
    ("javascript: photo", {"photo_url": "javascript:alert(1)"}, "photo_url"),
    ("video not on YouTube/Vimeo", {"video_url": "https://evil.example.com/watch"}, "video_url"),
    ("video over http", {"video_url": "http://www.youtube.com/watch?v=abc"}, "video_url"),
    (
        "no office and no telehealth state",
        {"locations": None, "telehealth_states": None},
        "locations",
    ),
    ("missing id", {"id": None}, "id"),
    ("missing name", {"name": None}, "name"),
    ("bad phone", {"phone": "12"}, "phone"),
    ("bad email", {"email": "not-an-email"}, "email"),
    ("unknown telehealth state", {"telehealth_states": ["NY", "XX"]}, "telehealth_states"),
    ("fee range upside down", {"fee_min": 200, "fee_max": 100}, "fee_min"),
]


@pytest.mark.parametrize(
    ("rule", "change", "field"), REJECTION_RULES, ids=[r[0] for r in REJECTION_RULES]
)
def test_each_rejection_rule_keeps_the_original_record(
    app, ingest, write_jsonl, rule, change, field
):
    bad = profile(**{"id": "bad", **change})
    path = write_jsonl([profile(id="good"), bad])
    result, summary, rejects = ingest(path)
    assert result.exit_code == 0, "a run with rejects still completes"
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (2, 1, 1)
    [row] = rejects
    assert row["record"] == bad, "the rejects file holds the record whole and unchanged"
    assert row["position"] == 2 and row["file"] == str(path)
    assert field in row["reasons"], row["reasons"]
    with app.app_context(), sessions()() as s:
        stored = s.scalars(select(Reject)).one()
        assert stored.record == bad and field in stored.reasons


def test_unparseable_lines_are_rejects_and_the_rest_goes_in(app, ingest, write_jsonl):
    path = write_jsonl([profile(id="a"), '{"id": "b", "name": ', "[1, 2]", profile(id="c")])
    _, summary, rejects = ingest(path)
    assert summary["read"] == summary["accepted"] + summary["rejected"] == 4
    assert [r["position"] for r in rejects] == [2, 3]
    assert rejects[0]["record"] == '{"id": "b", "name": '


def test_nothing_processable_exits_non_zero(ingest, write_jsonl):
    result, summary, _ = ingest(write_jsonl([profile(id=None), "not json"]))
    assert result.exit_code == 1
    assert summary["accepted"] == 0 and summary["rejected"] == 2


def test_reingesting_unchanged_files_changes_nothing(app, ingest, write_jsonl):
    path = write_jsonl([profile(id="a"), profile(id="b", name="Bo Chen")])
    ingest(path)
    before = therapists(app)
    _, summary, _ = ingest(path)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 2)
    assert summary["index"] is None, "an unchanged run does not touch the index"
    after = therapists(app)
    assert [(t.id, t.modified_at) for t in after] == [(t.id, t.modified_at) for t in before]
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(func.count()).select_from(Change)) == 2


def test_an_edit_is_searchable_after_its_ingest_without_a_rebuild(app, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a", bio="Works with grief")]))
    generation = index_store_status(app)["generation"]
    _, summary, _ = ingest(write_jsonl([profile(id="a", bio="Works with infertility now")]))
    assert summary["updated"] == 1
    assert search(app, "infertility") == [therapists(app)[0].id]
    assert search(app, "grief") == []
    status = index_store_status(app)
    assert status["generation"] == generation and status["documents"] == 1


def index_store_status(app) -> dict:
    with app.app_context():
        return index_store().status()


def test_synonyms_map_to_canonical_terms_and_imply_couples(app, ingest, write_jsonl):
    ingest(
        write_jsonl(
            [
                profile(id="a", specialties=["ENM", "kink-aware"], client_types=["individuals"]),
                profile(id="b", specialties=["marriage counseling"], client_types=None),
                profile(id="c", specialties=["Equine-assisted"], client_types=["individuals"]),
            ]
        )
    )
    a, b, c = therapists(app)
    assert {"polyamory", "kink"} <= set(a.specialties)
    assert a.term_sources["specialty:polyamory"] == "ENM"
    assert not a.sees_couples
    assert b.sees_couples and "couples" in b.client_types
    assert c.tags == ["equine-assisted"] and c.specialties == []
    assert search(app, "equine") == [c.id], "unknown terms stay searchable"


def test_unknown_terms_are_counted_in_the_summary(ingest, write_jsonl):
    _, summary, _ = ingest(
        write_jsonl(
            [
                profile(id="a", specialties=["Equine-assisted", "anxiety"]),
                profile(id="b", modalities=["equine-assisted"]),
            ]
        )
    )
    assert summary["unknown_terms"] == {"equine-assisted": 2}


def test_html_in_bios_is_sanitised(app, ingest, write_jsonl):
    bio = (
        '<p>Hello <strong>there</strong></p><script>alert("x")</script>'
        '<a href="javascript:alert(1)">click</a><img src=x onerror=alert(1)>'
    )
    ingest(write_jsonl([profile(id="a", bio=bio)]))
    [t] = therapists(app)
    assert "<script" not in t.bio and "alert" not in t.bio and "onerror" not in t.bio
    assert "<p>Hello <strong>there</strong></p>" in t.bio
    assert "javascript" not in t.bio and "click" in t.bio


def test_names_phones_and_zips_are_normalised(app, ingest, write_jsonl):
    ingest(
        write_jsonl(
            [
                profile(
                    id="a",
                    name="  Jose\u0301   Nu\u00f1ez ",
                    phone="(212) 555-0147",
                    credentials="LMFT,PhD",
                    locations=[
                        {
                            "address": "1 Main St",
                            "city": "Cortland",
                            "state": "new york",
                            "zip": "13069.0",
                        }
                    ],
                )
            ]
        )
    )
    [t] = therapists(app)
    assert t.name == "Jos\u00e9 Nu\u00f1ez"
    assert t.phone == "+12125550147"
    assert t.credentials == "LMFT, PhD"
    assert (t.offices[0].state, t.offices[0].zip) == ("NY", "13069")
    assert search(app, "jose nunez") == [t.id]


def test_offices_record_how_precisely_they_were_placed(app, ingest, write_jsonl):
    ingest(
        write_jsonl(
            [
                profile(
                    id="a",
                    locations=[
                        {"zip": "10001", "lat": 40.75, "lon": -73.99},
                        {"address": "1 Main St", "zip": "02108"},
                        {"city": "Pittsburg", "state": "PA"},
                        {"city": "Nowhereville", "state": "KS"},
                    ],
                )
            ]
        )
    )
    [t] = therapists(app)
    assert [o.precision for o in t.offices] == ["exact", "zip", "city", None]
    pittsburgh = t.offices[2]
    assert 40.3 < pittsburgh.lat < 40.6 and -80.1 < pittsburgh.lon < -79.8


def test_an_office_that_cannot_be_placed_keeps_its_profile_and_is_counted(ingest, write_jsonl):
    _, summary, _ = ingest(
        write_jsonl([profile(id="a", locations=[{"city": "Nowhereville", "state": "KS"}])])
    )
    assert summary["created"] == 1 and summary["offices_not_geolocated"] == 1


def test_dry_run_writes_nothing(app, ingest, write_jsonl):
    _, summary, rejects = ingest(
        write_jsonl([profile(id="a"), profile(id=None)]), extra=("--dry-run",)
    )
    assert summary["dry_run"] and (summary["created"], summary["rejected"]) == (1, 1)
    assert len(rejects) == 1
    assert therapists(app) == []
    with app.app_context(), sessions()() as s:
        assert s.scalar(select(func.count()).select_from(IngestRun)) == 0


def test_the_same_id_twice_in_one_run_keeps_the_later_record(app, ingest, write_jsonl):
    _, summary, _ = ingest(
        write_jsonl([profile(id="a", name="First"), profile(id="a", name="Second")])
    )
    assert summary["read"] == 2 and summary["superseded"] == 1
    assert [t.name for t in therapists(app)] == ["Second"]


def test_sources_keep_their_ids_apart(app, ingest, write_jsonl):
    path = write_jsonl([profile(id="a")])
    ingest(path, source="one")
    ingest(path, source="two")
    assert len(therapists(app)) == 2
    assert len({t.slug for t in therapists(app)}) == 2


def test_ingest_summary_in_words(runner, write_jsonl, tmp_path):
    path = write_jsonl([profile(id="a"), profile(id=None)])
    result = runner.invoke(args=["ingest", str(path), "--rejects", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 0
    assert "read 2 = accepted 1 + rejected 1" in result.output
    assert "created 1" in result.output and "rejects written to" in result.output


def test_offices_are_stored_with_coordinates(app, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a")]))
    with app.app_context(), sessions()() as s:
        office = s.scalars(select(Office)).one()
    assert office.zip == "10118" and office.precision == "zip"
    assert abs(office.lat - 40.75) < 0.05 and abs(office.lon + 73.99) < 0.05
