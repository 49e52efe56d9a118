"""indexer.readers: format detection, streaming, and the bad-row policy (nothing read is lost)."""

from __future__ import annotations

import csv
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from indexer import readers
from indexer.readers import (
    ReaderError,
    detect_format,
    file_size,
    jsonfile,
    jsonstream,
    read_records,
)
from indexer.readers.csvfile import OFFICE_ALIASES
from indexer.readers.hsds import hsds_to_profile

DATA = Path(__file__).parent / "data" / "readers"
# The shared real-data folder sits next to the repository (repo-relative, never absolute).
HSDS_EXAMPLES = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "realdata"
    / "hsds3_openreferral_examples"
)
OHANA = HSDS_EXAMPLES.parent / "ohana_smc_sample"


def read(path: Path | str, fmt: str = "auto") -> list[readers.RawRecord]:
    return list(read_records(path, fmt))


def ids(records: list[readers.RawRecord]) -> list[str | None]:
    return [r.record["id"] if r.record else None for r in records]


def copy_as(tmp_path: Path, name: str, target: str, prefix: bytes = b"") -> Path:
    """A fixture copied under another name (and optionally gzipped, or behind a BOM)."""
    data = prefix + (DATA / name).read_bytes()
    path = tmp_path / target
    path.write_bytes(gzip.compress(data) if target.endswith(".gz") else data)
    return path


# -- detection


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.csv", "csv"),
        ("a.JSONL.gz", "jsonl"),
        ("a.csv.gz", "csv"),
    ],
)
def test_detect_by_extension_needs_no_content(tmp_path, name, fmt):
    path = tmp_path / name
    path.write_bytes(b"whatever is inside")
    assert detect_format(path) == fmt


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("lines.txt", "jsonl"),
        ("lines_in.json", "jsonl"),
        ("profiles.json", "json"),
        ("single.json", "json"),
        ("array.txt", "json"),
        ("table.txt", "csv"),
        ("hsds_organization.json", "hsds"),
        ("hsds_page.json", "hsds"),
    ],
)
def test_detect_by_content(name, fmt):
    assert detect_format(DATA / name) == fmt


def test_detect_by_content_through_gzip_and_bom(tmp_path):
    assert detect_format(copy_as(tmp_path, "lines.txt", "x.txt.gz")) == "jsonl"
    assert detect_format(copy_as(tmp_path, "profiles.json", "x.json", b"\xef\xbb\xbf")) == "json"


def test_profiles_with_locations_are_not_hsds(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        '[{"id": "1", "name": "A", "organization": "Acme", "locations": [{"zip": "10001"}]}]'
    )
    assert detect_format(path) == "json"


def test_unrecognisable_and_missing_files_raise_reader_error(tmp_path):
    with pytest.raises(ReaderError, match="not JSON, JSON Lines or CSV"):
        detect_format(DATA / "prose.txt")
    with pytest.raises(ReaderError):
        read_records(tmp_path / "missing.jsonl")  # raised eagerly, not at the first next()
    with pytest.raises(ReaderError):
        file_size(tmp_path / "missing.jsonl")
    with pytest.raises(ReaderError, match="unknown format"):
        read_records(DATA / "single.json", "xml")


def test_empty_file_has_no_records(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert read(path) == []


# -- JSON Lines


def test_jsonl_bad_lines_are_single_rejects_and_positions_are_line_numbers():
    records = read(DATA / "profiles.jsonl")
    assert [r.position for r in records] == [1, 3, 4, 5, 6, 8]  # blank lines 2 and 7 skipped
    assert ids(records) == ["j1", None, "j3", None, None, "j4"]
    bad = records[1]
    assert bad.error == "line 3: invalid JSON: Expecting ',' delimiter (column 34)"
    assert bad.original == '{"id": "j2", "name": "Ben Ortiz" "telehealth_states": ["CA"]}'
    assert records[3].original == ["not", "an", "object"]
    assert records[3].error == "line 5: not a JSON object (got array)"
    assert records[4].error == "line 6: not a JSON object (got string)"
    assert records[0].original is records[0].record
    assert records[0].file == str(DATA / "profiles.jsonl")


def test_jsonl_bad_utf8_rejects_only_that_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "1", "name": "ok"}\n{"id": "2", "name": "caf\xe9"}\n{"id": "3"}\n')
    records = read(path)
    assert ids(records) == ["1", None, "3"]
    assert records[1].error.startswith("line 2: invalid UTF-8")
    assert records[1].original == '{"id": "2", "name": "caf\\xe9"}'


def test_jsonl_overlong_line_is_one_reject(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonfile, "MAX_RECORD_CHARS", 50)
    path = tmp_path / "long.jsonl"
    path.write_text('{"id": "1"}\n{"id": "2", "bio": "' + "x" * 500 + '"}\n{"id": "3"}\n')
    records = read(path)
    assert [(r.position, r.record) for r in records] == [
        (1, {"id": "1"}),
        (2, None),
        (3, {"id": "3"}),
    ]
    assert "longer than 50 bytes" in records[1].error


# -- JSON


def test_json_array_broken_elements_are_rejects_and_reading_resumes():
    records = read(DATA / "profiles.json")
    assert ids(records) == ["a1", None, None, None, "a4"]
    assert [r.position for r in records] == [1, 2, 3, 4, 5]
    trailing_comma, null, unterminated = records[1], records[2], records[3]
    assert trailing_comma.error.startswith("line 3: invalid JSON: Expecting property name")
    assert trailing_comma.original.startswith('{"id": "a2"')
    assert null.original is None and null.error == "line 4: not a JSON object (got null)"
    assert unterminated.error.startswith("line 5: invalid JSON: line break inside a string")
    assert '"name": "Cy"' in unterminated.original  # the whole broken element, not just a line


@pytest.mark.parametrize("chunk", [1, 3, 17, 1000])
def test_json_results_do_not_depend_on_chunk_boundaries(monkeypatch, chunk):
    def outcome(name: str) -> list[tuple]:
        return [(r.position, r.record, r.original, r.error) for r in read(DATA / name)]

    expected = {name: outcome(name) for name in ("profiles.json", "hsds_page.json")}
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    assert {name: outcome(name) for name in expected} == expected


def test_json_single_object_and_concatenated_values(tmp_path):
    assert ids(read(DATA / "single.json")) == ["s1"]
    path = tmp_path / "cat.json"
    path.write_text('{"id": "1"} {"id": "2"}\n{"id": "3"}')
    assert ids(read(path, "json")) == ["1", "2", "3"]


def test_json_array_missing_comma_is_one_reject_holding_both(tmp_path):
    path = tmp_path / "comma.json"
    path.write_text('[{"id": "1"} {"id": "2"}, {"id": "3"}]')
    records = read(path)
    assert ids(records) == [None, "3"]
    assert records[0].original == '{"id": "1"} {"id": "2"}'


def test_json_truncated_array_keeps_what_was_read(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('[{"id": "1"},\n {"id": "2"},\n {"id": "3", "na')
    records = read(path)
    assert ids(records) == ["1", "2", None]
    assert records[2].original == '{"id": "3", "na'
    assert "rest of the file" in records[2].error


def test_json_pretty_array_with_a_missing_brace_resumes_at_the_next_element(tmp_path):
    text = json.dumps([{"id": str(i), "tags": ["a"]} for i in range(4)], indent=2)
    broken = text.replace('"a"\n    ]\n  },', '"a"\n    ]\n  ,', 1)  # element 1 never closes
    path = tmp_path / "pretty.json"
    path.write_text(broken)
    records = read(path)
    assert ids(records) == [None, "1", "2", "3"]
    assert records[0].error.startswith("line 2: invalid JSON: unexpected ']'")
    assert records[0].original.startswith('{\n    "id": "0"')


def test_json_unbalanced_one_line_array_is_bounded(tmp_path, monkeypatch):
    # No line starts a new element, so the rest of the file goes to rejects in bounded pieces.
    monkeypatch.setattr(jsonstream, "MAX_RECORD_CHARS", 40)
    path = tmp_path / "oneline.json"
    body = ",".join(json.dumps({"id": str(i), "name": "n"}) for i in range(2, 6))
    path.write_text('[{"id": "1"}, {"id": "x\\"}, ' + body + "]")
    records = read(path)
    assert ids(records)[0] == "1" and all(r.record is None for r in records[1:])
    assert all(len(r.original) <= 40 for r in records[1:])
    text = path.read_text()
    assert "".join(r.original for r in records[1:]).replace(" ", "") in text.replace(" ", "")


def test_json_bad_utf8_rejects_only_that_element(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'[\n{"id": "1"},\n{"id": "caf\xe9"},\n{"id": "3"}\n]\n')
    records = read(path)
    assert ids(records) == ["1", None, "3"]
    assert records[1].error == "line 3: invalid UTF-8 (bytes that are not text)"
    assert records[1].original == '{"id": "caf\\xe9"}'


def test_non_object_values_are_rejects(tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text('[1, "two", [3], true, {"id": "5"}]')
    records = read(path)
    assert ids(records) == [None, None, None, None, "5"]
    assert [r.original for r in records[:4]] == [1, "two", [3], True]
    assert records[3].error == "line 1: not a JSON object (got boolean)"


# -- CSV


def test_csv_groups_offices_by_id_and_splits_lists():
    records = read(DATA / "profiles.csv")
    assert [(r.position, ids([r])[0]) for r in records] == [
        (2, "t1"),
        (4, "t2"),
        (6, None),
        (8, None),
        (10, "t5"),
    ]
    ana = records[0].record
    assert ana["specialties"] == ["ENM", "couples", "kink-aware"]
    assert ana["modalities"] == ["EFT", "Gottman Method"]
    assert ana["telehealth_states"] == ["NY", "NJ"]
    assert ana["credentials"] == "LMFT, PhD"  # only list fields are split
    assert ana["fee_min"] == "85" and ana["accepting_new_clients"] == "true"  # values stay text
    assert ana["favourite_colour"] == "teal"  # unknown columns are kept for the validator
    assert ana["licenses"] == [
        {"type": "LMFT", "number": "12345", "state": "NY"},
        {"type": "Licensed Psychologist", "number": "PSY-77", "state": "NJ"},
    ]
    assert ana["locations"] == [
        {
            "address": "1 Main St",
            "city": "New York",
            "state": "NY",
            "zip": "10001",
            "lat": "40.75",
            "lon": "-73.99",
        },
        {"address": "2 Side St", "city": "Hoboken", "state": "NJ", "zip": "7030.0"},
    ]
    assert "pronouns" not in ana and "bio" not in ana  # empty cells are absent
    assert len(records[0].original) == 2 and records[0].original[1]["city"] == "Hoboken"
    assert records[1].record["licenses"] == [{"type": "LCSW", "number": "9", "state": "CA"}]
    assert "locations" not in records[1].record


def test_csv_wrong_cell_count_rejects_the_row_and_its_profile():
    records = read(DATA / "profiles.csv")
    extra, short = records[2], records[3]
    assert extra.error == "line 6: expected 17 cells, found 19"
    assert extra.original[0]["_extra"] == ["one too many", "two"]
    # t4's second row is short: the whole profile is rejected, both rows kept.
    assert short.position == 8 and short.error == "line 9: expected 17 cells, found 13"
    assert [row["address"] for row in short.original] == ["9 Oak", "10 Oak"]


def test_csv_position_is_the_first_line_of_a_row_spanning_lines(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('id,name,bio\n1,Ana,"two\nlines"\n2,Ben,short\n')
    records = read(path)
    assert [(r.position, r.record["bio"]) for r in records] == [(2, "two\nlines"), (4, "short")]


def test_csv_unnamed_and_repeated_columns_keep_their_cells(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("id,name,zip,zip,\n1,Ana,10001,10002,note\n")
    (record,) = read(path)
    assert record.record == {
        "id": "1",
        "name": "Ana",
        "zip_4": "10002",
        "column_5": "note",
        "locations": [{"zip": "10001"}],
    }


def test_csv_bom_and_bad_utf8(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name\n1,Ana\n2,Jos\xe9\n3,Cy\n")
    records = read(path)
    assert ids(records) == ["1", None, "3"]
    assert records[1].error == "line 3: invalid UTF-8"
    assert records[1].original == [{"id": "2", "name": "Jos\\xe9"}]


def test_csv_unparseable_row_is_a_reject_and_reading_goes_on(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('id,name\n1,Ana\n2,"B' + "x" * 200 + "\n3,Cy\n")
    old_limit = csv.field_size_limit(100)  # an unterminated quote runs into the field limit
    try:
        records = read(path)
    finally:
        csv.field_size_limit(old_limit)
    assert ids(records) == ["1", None, "3"]
    assert records[1].error.startswith("line 3: CSV: field larger than field limit")
    assert records[1].original == '2,"B' + "x" * 200 + "\n"


@pytest.mark.parametrize(
    ("alias", "field"),
    [(alias, field) for field, aliases in OFFICE_ALIASES.items() for alias in aliases],
)
def test_csv_office_columns_under_other_names(tmp_path, alias, field):
    path = tmp_path / "offices.csv"
    path.write_text(f"id,name,{alias.upper()}\n1,Ana,X1\n1,Ana,X2\n")
    (record,) = read(path)
    assert record.record["locations"] == [{field: "X1"}, {field: "X2"}]
    assert record.original[0][alias.upper()] == "X1"  # the row as read keeps its own names


def test_csv_office_aliases_read_a_whole_office(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text(
        "id,name,Address_1,Locality,Region,PostCode,Latitude,Longitude\n"
        "t1,Ana,1 Main St,New York,NY,10001,40.75,-73.99\n"
    )
    (record,) = read(path)
    assert record.record == {
        "id": "t1",
        "name": "Ana",
        "locations": [
            {
                "address": "1 Main St",
                "city": "New York",
                "state": "NY",
                "zip": "10001",
                "lat": "40.75",
                "lon": "-73.99",
            }
        ],
    }


def test_csv_an_alias_never_overrides_the_contract_column(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_text(
        "id,name,postal_code,zip,State,state_province,street,ZIP_CODE\n"
        "1,Ana,99999,10001,NY,Ohio,1 Main St,88888\n"
    )
    (record,) = read(path)
    # zip: the contract's own column; State: the contract's name in another case beats an alias.
    assert record.record["locations"] == [{"zip": "10001", "state": "NY", "address": "1 Main St"}]
    # The columns not chosen are ordinary unknown columns: kept, reported as ignored.
    assert record.record["postal_code"] == "99999" and record.record["ZIP_CODE"] == "88888"
    assert record.record["state_province"] == "Ohio"


@pytest.mark.skipif(not OHANA.is_dir(), reason="shared Ohana sample not present")
@pytest.mark.parametrize("fmt", ["auto", "csv"])
def test_ohana_locations_csv_is_refused_with_a_hint(fmt):
    # It has id, name, latitude and longitude: read as profiles, every location of a county
    # agency would go in as a "therapist". The hint says what it is and how its columns map.
    with pytest.raises(ReaderError) as caught:
        read_records(OHANA / "locations.csv", fmt)
    message = str(caught.value)
    assert "locations.csv is one table of an Ohana API CSV export" in message
    assert "addresses.csv" in message and "--format hsds" in message
    assert "latitude, longitude, address_1, city, state_province and postal_code" in message
    assert 'README.md, "Ingesting profiles"' in message


@pytest.mark.skipif(not OHANA.is_dir(), reason="shared Ohana sample not present")
def test_every_ohana_table_gets_a_hint():
    for path in sorted(OHANA.glob("*.csv")):
        with pytest.raises(ReaderError, match="Ohana") as caught:
            read_records(path)
        assert "The ingest does not join tables" in str(caught.value), path.name


@pytest.mark.skipif(not HSDS_EXAMPLES.is_dir(), reason="shared HSDS examples not present")
def test_every_file_of_an_hsds_tabular_package_gets_a_hint(tmp_path):
    package = HSDS_EXAMPLES / "csv"
    for path in sorted(package.iterdir()):
        with pytest.raises(ReaderError, match="HSDS tabular package") as caught:
            read_records(path, "csv" if path.suffix == ".csv" else "auto")
        assert "--format hsds" in str(caught.value), path.name
    # Without its datapackage.json beside it, a table is still known by its columns.
    lone = tmp_path / "services.csv"
    lone.write_bytes((package / "services.csv").read_bytes())
    with pytest.raises(ReaderError, match="HSDS tabular package"):
        read_records(lone)


def test_a_profile_csv_with_link_columns_is_read(tmp_path):
    path = tmp_path / "profiles.csv"
    path.write_text("id,name,organization_id,zip\n1,Ana,org-7,10001\n")
    (record,) = read(path)
    assert record.record["organization_id"] == "org-7"


# -- compression, BOM, progress


@pytest.mark.parametrize("name", ["profiles.jsonl", "profiles.json", "profiles.csv"])
def test_gzip_and_bom_give_the_same_records(tmp_path, name):
    plain = [(r.position, r.record, r.error) for r in read(DATA / name)]
    bom = b"\xef\xbb\xbf"
    for target, prefix in [(name + ".gz", b""), (name, bom), (name + ".gz", bom)]:
        path = copy_as(tmp_path, name, target, prefix)
        assert [(r.position, r.record, r.error) for r in read(path)] == plain


@pytest.mark.parametrize("target", ["p.jsonl", "p.jsonl.gz"])
def test_bytes_read_grows_to_the_file_size(tmp_path, target):
    path = copy_as(tmp_path, "profiles.jsonl", target)
    progress = [r.bytes_read for r in read(path)]
    assert progress == sorted(progress)
    assert progress[-1] == file_size(path)  # compressed bytes for .gz, like file_size


def test_truncated_gzip_ends_with_one_reject(tmp_path):
    lines = "".join(json.dumps({"id": str(i), "bio": f"{i}" * 50}) + "\n" for i in range(2000))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(lines.encode())[:-2000])
    records = read(path)
    assert records[-1].record is None and "cannot read past byte" in records[-1].error
    assert all(r.record for r in records[:-1])


# -- HSDS


def test_hsds_organization_gives_one_profile_per_service():
    records = read(DATA / "hsds_organization.json")
    assert [(r.position, r.error) for r in records] == [(1, None), (1, None)]
    couples, group = (r.record for r in records)
    assert couples == {
        "id": "svc-1",
        "name": "Couples Therapy",
        "bio": "Emotionally focused therapy for couples.",
        "email": "hello@harbor.example",
        "website": "https://harbor.example",
        "phone": "+1 212 555 0100",
        "languages": ["Spanish"],
        "specialties": ["Couples counseling"],
        "session_formats": ["in_person", "video"],
        "locations": [
            {
                "address": "5 River St, Suite 3",
                "city": "Hoboken",
                "state": "NJ",
                "zip": "07030",
                "lat": 40.74,
                "lon": -74.03,
            }
        ],
        "updated_at": "2024-05-01T12:00:00Z",
        "fee_min": 90,
        "fee_max": 150,
    }
    # No service_at_locations: the organization's offices; no fees in pounds.
    assert group["locations"][0]["address"] == "1 Main St"
    assert group["phone"] == "+1 212 555 0199" and "fee_min" not in group
    assert records[0].original["id"] == "svc-1"  # the HSDS service as it was in the file


def test_hsds_page_streams_contents_and_rejects_non_services():
    records = read(DATA / "hsds_page.json")
    assert [r.position for r in records] == [1, 2, 3]
    assert records[0].record["name"] == "Family Therapy"
    assert records[0].record["email"] == "elm@example.org"  # from the embedded organization
    assert records[1].error == "line 16: an HSDS location on its own, not a service or organization"
    assert records[2].error == "line 17: not a JSON object (got string)"


def test_hsds_as_json_lines(tmp_path):
    page = json.loads((DATA / "hsds_page.json").read_text())
    path = tmp_path / "services.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in page["contents"]))
    assert ids(read(path, "hsds")) == ["svc-9", None, None]


def test_hsds_to_profile_service_at_location():
    sal = {
        "id": "sal-1",
        "service": {"id": "svc-1", "name": "Counselling", "email": "a@example.org"},
        "location": {
            "latitude": 100,
            "longitude": 101,
            "addresses": [{"address_1": "1 Main", "postal_code": "10001"}],
        },
    }
    assert hsds_to_profile(sal) == {
        "id": "svc-1",
        "name": "Counselling",
        "email": "a@example.org",
        "session_formats": ["in_person"],
        "locations": [{"address": "1 Main", "zip": "10001", "lat": 100, "lon": 101}],
    }


@pytest.mark.skipif(not HSDS_EXAMPLES.is_dir(), reason="shared HSDS examples not present")
@pytest.mark.parametrize(
    "name",
    [
        "service_full.json",
        "organization_full.json",
        "service_at_location_full.json",
        "service_list.json",
    ],
)
def test_hsds_official_examples_map_to_the_counselling_service(name):
    path = HSDS_EXAMPLES / name
    assert detect_format(path) == "hsds"
    (record,) = read(path)
    profile = record.record
    assert profile["id"] == "ac148810-d857-441c-9679-408f346de14b"
    assert profile["name"] == "Community Counselling"
    assert profile["bio"].startswith("Counselling Services provided by trained professionals")
    assert profile["website"] == "http://example.com/counselling"
    if name != "service_list.json":  # the list page holds services without locations
        assert profile["languages"] == ["Urdu"]
        # Copied, not judged: the validator rejects the example's latitude 100.
        assert profile["locations"][0]["lat"] == 100
        assert profile["locations"][0]["city"] == "MyCity"


@pytest.mark.skipif(not HSDS_EXAMPLES.is_dir(), reason="shared HSDS examples not present")
def test_hsds_official_examples_other_shapes():
    (org,) = read(HSDS_EXAMPLES / "organization_list.json")
    assert org.record["name"] == "Example Organization Inc."  # no services: the organization
    (location,) = read(HSDS_EXAMPLES / "location.json", "hsds")
    assert location.record is None and "HSDS location" in location.error


# -- nothing read is lost; memory stays flat


def test_every_non_blank_line_is_one_raw_record(tmp_path):
    lines, bad = [], 0
    for i in range(300):
        if i % 13 == 0:
            lines.append("  ")  # blank: not a record
        elif i % 7 == 0:
            lines.append(f'{{"id": "{i}", "name": ')  # malformed
            bad += 1
        elif i % 11 == 0:
            lines.append(f"[{i}]")  # not an object
            bad += 1
        else:
            lines.append(json.dumps({"id": str(i), "name": "n"}))
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    records = read(path)
    assert len(records) == sum(1 for line in lines if line.strip())  # read = records, none lost
    assert [r.position for r in records] == [i + 1 for i, ln in enumerate(lines) if ln.strip()]
    assert sum(r.record is None for r in records) == bad


def _write_big(path: Path, kind: str, count: int) -> None:
    bio = "Works with couples and open relationships. " * 50  # ~2 KB: a big file, fast to read
    with open(path, "w", encoding="utf-8") as fh:
        if kind == "csv":
            fh.write("id,name,specialties,bio,address,city,state,zip\n")
        elif kind == "json":
            fh.write("[")
        for i in range(count):
            rec = {
                "id": f"t{i}",
                "name": f"Therapist {i}",
                "specialties": ["ENM", "EFT"],
                "bio": bio,
                "telehealth_states": ["NY"],
            }
            if kind == "csv":
                fh.write(f"t{i},Therapist {i},ENM;EFT,{bio},{i} Main St,New York,NY,10001\n")
            elif kind == "json":
                fh.write(("," if i else "") + json.dumps(rec))  # one line: the hardest case
            else:
                fh.write(json.dumps(rec) + "\n")
        if kind == "json":
            fh.write("]")


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "count"), [("jsonl", 10_000), ("json", 10_000), ("csv", 10_000)])
def test_memory_stays_flat(tmp_path, kind, count):
    path = tmp_path / f"big.{kind}"
    _write_big(path, kind, count)
    size = path.stat().st_size
    assert size > 20_000_000
    tracemalloc.start()
    try:
        seen = sum(1 for _ in read_records(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB reading a {size / 1e6:.0f} MB file"
