"""`--format nppes`: the CMS NPPES file in directly - the real (float-mangled) extract in
../shared/realdata and a genuine all-quoted CMS-style file - through the reader and the real CLI.

Which rows become profiles is data/nucc_taxonomy.toml's (indexer.nucc) to say; the reasons of
the others are counted here by kind.
"""

from __future__ import annotations

import csv
import re
import tomllib
import tracemalloc
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from directory.db import sessions
from indexer.models import Therapist
from indexer.nucc import credential_items, load_nucc, states_credential
from indexer.readers import RawRecord, ReaderError, read_records
from indexer.resources import data_path

from .conftest import REALDATA

NPPES = REALDATA / "nppes_behavioral_health_sample.csv"
needs_realdata = pytest.mark.skipif(not NPPES.exists(), reason="shared realdata not present")

ORGANISATION = "an organisation (Entity Type Code 2), not an individual provider"


def nppes_header() -> list[str]:
    """The 330 column names of the NPPES v1 layout in CMS's order (checked against the real
    extract by test_the_official_header_is_what_the_tests_write)."""
    place = ("City Name", "State Name", "Postal Code", "Country Code (If outside U.S.)")
    phones = ("Telephone Number", "Fax Number")
    mailing = "Provider Business Mailing Address "
    practice = "Provider Business Practice Location Address "
    provider = "Provider Name Prefix Text", "Provider Name Suffix Text", "Provider Credential Text"
    other = ("Provider Other " + s for s in ("Last Name", "First Name", "Middle Name"))
    official = "Authorized Official "
    return [
        "NPI",
        "Entity Type Code",
        "Replacement NPI",
        "Employer Identification Number (EIN)",
        "Provider Organization Name (Legal Business Name)",
        "Provider Last Name (Legal Name)",
        "Provider First Name",
        "Provider Middle Name",
        *provider,
        "Provider Other Organization Name",
        "Provider Other Organization Name Type Code",
        *other,
        *(p.replace("Provider ", "Provider Other ") for p in provider),
        "Provider Other Last Name Type Code",
        "Provider First Line Business Mailing Address",
        "Provider Second Line Business Mailing Address",
        *(mailing + s for s in place + phones),
        "Provider First Line Business Practice Location Address",
        "Provider Second Line Business Practice Location Address",
        *(practice + s for s in place + phones),
        "Provider Enumeration Date",
        "Last Update Date",
        "NPI Deactivation Reason Code",
        "NPI Deactivation Date",
        "NPI Reactivation Date",
        "Provider Sex Code",
        *(official + s for s in ("Last Name", "First Name", "Middle Name")),
        official + "Title or Position",
        official + "Telephone Number",
        *(
            f"{column}_{n}"
            for n in range(1, 16)
            for column in (
                "Healthcare Provider Taxonomy Code",
                "Provider License Number",
                "Provider License Number State Code",
                "Healthcare Provider Primary Taxonomy Switch",
            )
        ),
        *(
            f"Other Provider Identifier{column}_{n}"
            for n in range(1, 51)
            for column in ("", " Type Code", " State", " Issuer")
        ),
        "Is Sole Proprietor",
        "Is Organization Subpart",
        "Parent Organization LBN",
        "Parent Organization TIN",
        *(official + s.removeprefix("Provider ") for s in provider),
        *(f"Healthcare Provider Taxonomy Group_{n}" for n in range(1, 16)),
        "Certification Date",
    ]


HEADER = nppes_header()


def slot(n: int, code: str, number: str = "", state: str = "", primary: str = "N") -> dict:
    """The four cells of taxonomy slot n."""
    return {
        f"Healthcare Provider Taxonomy Code_{n}": code,
        f"Provider License Number_{n}": number,
        f"Provider License Number State Code_{n}": state,
        f"Healthcare Provider Primary Taxonomy Switch_{n}": primary,
    }


def practice(street: str, city: str, state: str, zip_code: str, phone: str = "") -> dict:
    prefix = "Provider Business Practice Location Address "
    return {
        "Provider First Line Business Practice Location Address": street,
        prefix + "City Name": city,
        prefix + "State Name": state,
        prefix + "Postal Code": zip_code,
        prefix + "Country Code (If outside U.S.)": "US",
        prefix + "Telephone Number": phone,
    }


def person(npi: str, first: str, last: str, **more: str) -> dict:
    return {
        "NPI": npi,
        "Entity Type Code": "1",
        "Provider First Name": first,
        "Provider Last Name (Legal Name)": last,
        "Provider Enumeration Date": "05/23/2005",
        **more,
    }


# A genuine CMS file: every cell a quoted string, ZIPs as 9 digits with their leading zeros.
CMS_ROWS: list[dict] = [
    person(  # an MFT who is also a counselor: sees couples; the LPC licence is stated
        "1234567893",
        "SHANNON",
        "MCDONALD",
        **{"Provider Credential Text": "LMFT, LPC", "Last Update Date": "01/16/2024"},
        **practice("20 E MAIN ST", "LOVETTSVILLE", "VA", "201808613", "5408221234"),
        **slot(1, "101YP2500X", "0701005555", "VA", "N"),
        **slot(2, "106H00000X", "0702001111", "VA", "Y"),
    ),
    person(  # primary code not behavioural; a licence of a non-behavioural slot is not kept
        "1245319599",
        "MARIA",
        "de la Cruz",
        **{
            "Provider Name Prefix Text": "DR.",
            "Provider Middle Name": "E",
            "Provider Name Suffix Text": "III",
            "Provider Credential Text": "PSYD",
            "Last Update Date": "03/02/2021",
        },
        **practice("1 BRIGHTON AVE", "BOSTON", "MA", "021341234", "6175550100"),
        **slot(1, "207Q00000X", "MD-1", "MA", "Y"),
        **slot(2, "103TC0700X", "PSY-77", "MA", "N"),
    ),
    {  # an organisation, as CMS writes one
        "NPI": "1063947125",
        "Entity Type Code": "2",
        "Employer Identification Number (EIN)": "<UNAVAIL>",
        "Provider Organization Name (Legal Business Name)": "ACME COUNSELING LLC",
        **practice("9 OAK ST", "ASHBURN", "VA", "201476613"),
        **slot(1, "261QM0801X", "", "", "Y"),
    },
    {"NPI": "1306849450", "NPI Deactivation Date": "03/03/2021"},  # CMS's deactivated record
    person(  # deactivated with its data still there, never reactivated
        "1487657417",
        "DANA",
        "GREY",
        **{"NPI Deactivation Date": "06/01/2020", "NPI Reactivation Date": "01/02/2019"},
        **practice("5 ELM ST", "RICHMOND", "VA", "232191234"),
        **slot(1, "1041C0700X", "0904001", "VA", "Y"),
    ),
    person(  # a physician assistant: not behavioural health
        "1396748448",
        "CYNTHIA",
        "YOUNG",
        **practice("806 W BROADWAY", "FULTON", "NY", "130691234"),
        **slot(1, "363A00000X", "0040721", "NY", "Y"),
    ),
    person(  # practises abroad
        "1588667505",
        "HANS",
        "MUELLER",
        **{"Provider Business Practice Location Address Country Code (If outside U.S.)": "DE"},
        **slot(1, "2084P0800X", "X1", "", "Y"),
    ),
]


def write_cms_file(path: Path, rows: list[dict], short_row: bool = True) -> Path:
    """An all-quoted CMS-style file; with short_row, a last row missing its final cells."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(HEADER)
        for row in rows:
            assert set(row) <= set(HEADER), set(row) - set(HEADER)
            writer.writerow([row.get(column, "") for column in HEADER])
        if short_row:
            writer.writerow([CMS_ROWS[0]["NPI"], "1", "", "", "", "SHORT"])
    return path


def kind(error: str) -> str:
    """A reject reason without its line number and the codes it names."""
    return re.sub(r" \(has .*\)$", "", re.sub(r"^line \d+: ", "", error))


def profiles(records: list[RawRecord]) -> dict[str, dict]:
    return {r.record["id"]: r.record for r in records if r.record is not None}


def stored(app) -> dict[str, Therapist]:
    with app.app_context(), sessions()() as s:
        rows = s.scalars(
            select(Therapist).options(
                selectinload(Therapist.offices), selectinload(Therapist.licenses)
            )
        )
        return {t.source_id: t for t in rows}


# -- the table


def test_the_table_loads_and_lists_no_non_behavioural_example():
    table = load_nucc()
    raw = tomllib.loads(data_path("nucc_taxonomy.toml").read_text(encoding="utf-8"))
    assert len(table.codes) == len(raw["code"]) and len(table.professions) == len(raw["profession"])
    assert not {e["code"] for e in raw["non_behavioral_example"]} & set(table.codes)
    assert [c.code for c in table.codes.values() if c.implies_couples] == ["106H00000X"]
    assert table.profession_of("363LP0808X").slug == "psychiatric-nurse-practitioner"
    assert table.profession_of("207Q00000X") is None


def test_credentials_are_compared_as_whole_items():
    assert credential_items("RN,C,MSN,CRNP") == ["RN", "C", "MSN", "CRNP"]
    assert credential_items("PH.D.") == ["PHD"]
    assert states_credential("MSW, lcsw", "LCSW")
    assert not states_credential("MSW LICSW", "LCSW")
    assert states_credential("LCSW, NCAC I", "NCAC I") and not states_credential(
        "NCAC II", "NCAC I"
    )


# -- the real extract (float-mangled by pandas)


@needs_realdata
def test_the_official_header_is_what_the_tests_write():
    with open(NPPES, newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == HEADER


@needs_realdata
def test_real_sample_lists_individual_behavioural_providers_and_says_why_not_the_rest():
    records = list(read_records(NPPES, "nppes"))
    assert len(records) == 38 and [r.position for r in records] == list(range(2, 40))
    listed = profiles(records)
    assert len(listed) == 22
    reasons = Counter(kind(r.error) for r in records if r.error)
    assert reasons == {
        ORGANISATION: 5,
        "deactivated NPI (deactivated 2021-03-03, not reactivated)": 1,
        "no behavioural-health taxonomy code": 10,
    }
    by_npi = {r.original["NPI"]: r.error for r in records if r.error}
    assert by_npi["1578566626"] == "line 37: no behavioural-health taxonomy code (has 207Q00000X)"
    assert by_npi["1215930367"].endswith("(has 207RH0003X, 174400000X)")  # primary first
    assert by_npi["1588667638"].endswith("(has 207RC0000X)")  # the same code twice, named once
    professions = Counter(p for record in listed.values() for p in record["professions"])
    assert professions == {
        "social-worker": 9,
        "psychologist": 6,
        "psychiatrist": 4,
        "psychiatric-nurse-practitioner": 2,
        "counselor": 1,
        "addiction-counselor": 1,
    }
    # Deactivated in 2006 and reactivated weeks later: listed.
    assert {"1023011046", "1366445553"} <= set(listed)


@needs_realdata
def test_real_sample_records_in_the_input_format():
    listed = profiles(list(read_records(NPPES, "nppes")))
    assert listed["1487657417"] == {
        "id": "1487657417",
        "npi": "1487657417",
        "name": "Daniel W. Carey",
        "credentials": "MSW, LCSW",
        "locations": [
            {"address": "850 N HARRISON ST", "city": "WARSAW", "state": "IN", "zip": "465803163"}
        ],
        "phone": "5742677169",
        "licenses": [{"type": "LCSW", "number": "34003672A", "state": "IN"}],
        "taxonomy_codes": ["1041C0700X"],
        "professions": ["social-worker"],
        "updated_at": "2017-03-31",
    }
    kadet = listed["1376546564"]  # primary (slot 2) first; one licence per slot, typed if stated
    assert kadet["taxonomy_codes"] == ["1041C0700X", "101YA0400X"]
    assert kadet["professions"] == ["social-worker", "addiction-counselor"]
    assert kadet["licenses"] == [
        {"type": "LCSW", "number": "0904000171", "state": "VA"},
        {"type": None, "number": "0718000013", "state": "VA"},
    ]
    # "MSW LICSW": the LCSW hint of 1041C0700X is not what she holds, so no type is claimed.
    assert listed["1922001973"]["licenses"] == [{"type": None, "number": "2581", "state": "MN"}]
    # Four psychologist codes with one licence: one licence.
    assert len(listed["1780687731"]["licenses"]) == 1
    assert listed["1780687731"]["name"] == "Dr. Arlene Beth Staubsinger"
    assert listed["1407859697"]["locations"][0]["zip"] == "031105031"  # the float lost the 0
    assert listed["1891798815"]["locations"][0]["address"] == (
        "850 N HARRISON ST, ATTN: ANNE LAWSON"
    )
    assert not any(r.get("client_types") for r in listed.values())  # no MFT among them
    assert not any(
        ".0" in r["phone"] or r["locations"][0]["zip"].endswith(".0") for r in listed.values()
    )


@needs_realdata
def test_real_sample_through_the_cli_stores_offices_credentials_and_licences(app, ingest):
    result, summary, rejects = ingest(NPPES, extra=("--format", "nppes"))
    assert result.exit_code == 0, result.output
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (38, 22, 16)
    assert summary["created"] == 22 and summary["offices_not_geolocated"] == 0
    assert summary["ignored_fields"] == {}  # every field the reader hands over is stored
    reasons = Counter(kind(r["reasons"]["_record"][0]) for r in rejects)
    assert reasons == {
        ORGANISATION: 5,
        "deactivated NPI (deactivated 2021-03-03, not reactivated)": 1,
        "no behavioural-health taxonomy code": 10,
    }
    organisation = next(r for r in rejects if r["record"]["NPI"] == "1902809924")
    assert organisation["position"] == 10
    assert organisation["record"]["Provider Organization Name (Legal Business Name)"] == (
        "THE SALUDA COUNSELING SERVICES CENTER INC."
    )
    therapists = stored(app)
    assert len(therapists) == 22
    offices = [o for t in therapists.values() for o in t.offices]
    assert len(offices) == 22
    assert all(re.fullmatch(r"\d{5}", o.zip) and o.precision and o.lat for o in offices)
    carey = therapists["1487657417"]
    assert (carey.name, carey.credentials, carey.phone) == (
        "Daniel W. Carey",
        "MSW, LCSW",
        "+15742677169",
    )
    assert [(o.address, o.city, o.state, o.zip) for o in carey.offices] == [
        ("850 N HARRISON ST", "WARSAW", "IN", "46580")
    ]
    assert [(lic.type, lic.number, lic.state) for lic in carey.licenses] == [
        ("LCSW", "34003672A", "IN")
    ]
    assert carey.profile_updated_at.date() == date(2017, 3, 31)
    assert therapists["1407859697"].offices[0].zip == "03110"
    assert not any(t.sees_couples for t in therapists.values())
    assert (carey.npi, carey.confirmed_npi, carey.professions) == (
        "1487657417",
        "1487657417",
        ["social-worker"],
    )
    assert carey.original_terms["taxonomy_codes"] == ["1041C0700X"]
    professions = Counter(p for t in therapists.values() for p in t.professions)
    assert professions == {
        "social-worker": 9,
        "psychologist": 6,
        "psychiatrist": 4,
        "psychiatric-nurse-practitioner": 2,
        "counselor": 1,
        "addiction-counselor": 1,
    }


@needs_realdata
def test_the_real_file_read_as_csv_is_refused_with_the_way_in(ingest):
    result, summary, _ = ingest(NPPES)
    assert result.exit_code == 1 and summary is None
    assert "use --format nppes" in result.output
    with pytest.raises(ReaderError, match="use --format nppes"):
        read_records(NPPES, "csv")


# -- a genuine CMS file: all-quoted strings


def test_cms_quoted_file_gives_the_same_shape(tmp_path):
    records = list(read_records(write_cms_file(tmp_path / "npidata.csv", CMS_ROWS), "nppes"))
    assert len(records) == len(CMS_ROWS) + 1
    listed = profiles(records)
    assert listed["1234567893"] == {
        "id": "1234567893",
        "npi": "1234567893",
        "name": "Shannon McDonald",
        "credentials": "LMFT, LPC",
        "locations": [
            {"address": "20 E MAIN ST", "city": "LOVETTSVILLE", "state": "VA", "zip": "201808613"}
        ],
        "phone": "5408221234",
        "licenses": [
            {"type": "LMFT", "number": "0702001111", "state": "VA"},
            {"type": "LPC", "number": "0701005555", "state": "VA"},
        ],
        "taxonomy_codes": ["106H00000X", "101YP2500X"],
        "professions": ["marriage-family-therapist", "counselor"],
        "client_types": ["couples"],
        "updated_at": "2024-01-16",
    }
    cruz = listed["1245319599"]
    assert cruz["name"] == "Dr. Maria E. de la Cruz III"
    assert cruz["taxonomy_codes"] == ["103TC0700X"]
    assert cruz["licenses"] == [{"type": None, "number": "PSY-77", "state": "MA"}]
    assert cruz["locations"][0]["zip"] == "021341234"  # a string keeps its leading zero
    assert [kind(r.error) for r in records if r.error] == [
        ORGANISATION,
        "deactivated NPI (deactivated 2021-03-03, not reactivated)",
        "deactivated NPI (deactivated 2020-06-01, not reactivated)",
        "no behavioural-health taxonomy code",
        "practice location outside the US (country code DE)",
        f"expected {len(HEADER)} cells, found 6",
    ]
    empty = records[3]
    assert empty.original == {"NPI": "1306849450", "NPI Deactivation Date": "03/03/2021"}
    assert records[5].error.endswith("(has 363A00000X)")


def test_an_empty_record_without_a_date_is_a_deactivated_npi(tmp_path):
    path = write_cms_file(tmp_path / "npidata.csv", [{"NPI": "1306849450"}], short_row=False)
    [record] = read_records(path, "nppes")
    assert record.error == (
        "line 2: deactivated NPI (an empty record, as CMS publishes deactivated NPIs)"
    )


def test_columns_are_found_by_name_in_any_order(tmp_path):
    path = write_cms_file(tmp_path / "a.csv", CMS_ROWS[:2], short_row=False)
    with open(path, newline="") as fh:
        table = list(csv.reader(fh))
    reversed_path = tmp_path / "b.csv"
    with open(reversed_path, "w", newline="") as fh:
        csv.writer(fh).writerows([row[::-1] for row in table])
    assert profiles(list(read_records(reversed_path, "nppes"))) == profiles(
        list(read_records(path, "nppes"))
    )


def test_a_file_that_is_not_nppes_is_refused_as_nppes(tmp_path):
    path = tmp_path / "profiles.csv"
    path.write_text("id,name,zip\n1,Ana,10001\n")
    with pytest.raises(ReaderError, match="not the NPPES layout"):
        read_records(path, "nppes")


def test_cms_file_through_the_cli_mft_sees_couples(app, ingest, client, tmp_path):
    path = write_cms_file(tmp_path / "npidata.csv", CMS_ROWS)
    result, summary, rejects = ingest(path, extra=("--format", "nppes"))
    assert result.exit_code == 0, result.output
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (8, 2, 6)
    therapists = stored(app)
    mft, cruz = therapists["1234567893"], therapists["1245319599"]
    assert mft.sees_couples and not cruz.sees_couples
    assert [(o.zip, o.state) for o in mft.offices] == [("20180", "VA")]
    assert [(o.zip, o.city) for o in cruz.offices] == [("02134", "BOSTON")]
    assert all(o.precision for o in mft.offices + cruz.offices)
    assert sorted((lic.type, lic.number) for lic in mft.licenses) == [
        ("LMFT", "0702001111"),
        ("LPC", "0701005555"),
    ]
    found = client.get("/api/v1/therapists?near=20180&couples=true").get_json()
    assert [r["name"] for r in found["results"]] == ["Shannon McDonald"]


# -- streaming


@pytest.mark.slow
def test_memory_stays_flat_reading_nppes(tmp_path):
    path = tmp_path / "big.csv"
    rows = [CMS_ROWS[i % 2] | {"NPI": f"{1000000000 + i}"} for i in range(8_000)]
    write_cms_file(path, rows, short_row=False)
    assert path.stat().st_size > 8_000_000  # twice the allowed peak
    load_nucc()  # the table is loaded once per process, not per file
    tracemalloc.start()
    try:
        seen = sum(1 for _ in read_records(path, "nppes"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == len(rows)
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB"
