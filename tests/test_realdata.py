"""Real public data from ../shared/realdata (see its SOURCES.md) through the real pipeline.

These files live beside the repository, not in it; the tests are skipped only where that
folder is absent (a checkout without the shared data).
"""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from directory.db import sessions
from indexer.models import Therapist

from .conftest import REALDATA

HSDS = REALDATA / "hsds3_openreferral_examples"
NPPES = REALDATA / "nppes_behavioral_health_sample.csv"

pytestmark = pytest.mark.skipif(not REALDATA.exists(), reason="shared realdata not present")

PRACTICE = "Provider Business Practice Location Address "


def nppes_as_input_csv(source, target) -> int:
    """Map NPPES columns onto the input format's CSV columns, bytes otherwise untouched."""
    with open(source, newline="", encoding="utf-8") as fh, open(target, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["id", "name", "credentials", "address", "city", "state", "zip", "phone", "licenses"]
        )
        rows = 0
        for row in csv.DictReader(fh):
            name = " ".join(
                filter(None, (row["Provider First Name"], row["Provider Last Name (Legal Name)"]))
            )
            name = name or row["Provider Organization Name (Legal Business Name)"]
            license_state = row.get("Provider License Number State Code_1", "")
            license_number = row.get("Provider License Number_1", "")
            writer.writerow(
                [
                    row["NPI"],
                    name,
                    row["Provider Credential Text"],
                    row["Provider First Line Business Practice Location Address"],
                    row[PRACTICE + "City Name"],
                    row[PRACTICE + "State Name"],
                    row[PRACTICE + "Postal Code"],
                    row[PRACTICE + "Telephone Number"],
                    f"LIC {license_number} {license_state}" if license_state else "",
                ]
            )
            rows += 1
    return rows


def test_nppes_float_mangled_zips_and_phones_are_repaired(app, ingest, tmp_path):
    path = tmp_path / "nppes.csv"
    rows = nppes_as_input_csv(NPPES, path)
    _, summary, rejects = ingest(path)
    assert summary["read"] == rows == summary["accepted"] + summary["rejected"]
    with app.app_context(), sessions()() as s:
        stored = list(s.scalars(select(Therapist).options(selectinload(Therapist.offices))))
    by_id = {t.source_id: t for t in stored}
    zips = [o.zip for t in stored for o in t.offices]
    assert zips and all(len(z) == 5 and z.isdigit() for z in zips)
    placed = [o for t in stored for o in t.offices if o.precision]
    assert len(placed) >= 0.9 * len(zips), "float-mangled ZIPs still geocode"
    assert all(t.phone is None or t.phone.startswith("+1") for t in stored)
    # The deactivated NPI has an empty record: no name, no office -> rejected with reasons.
    for row in rejects:
        assert row["reasons"], row
    assert len(by_id) == summary["accepted"]


def test_hsds_examples_go_in_and_invalid_coordinates_are_rejected(ingest):
    files = sorted(HSDS.glob("*.json"))
    _, summary, rejects = ingest(*files, extra=("--format", "hsds"))
    assert summary["read"] == summary["accepted"] + summary["rejected"]
    reasons = [field for r in rejects for field in r["reasons"]]
    assert any(field.endswith(".lat") for field in reasons), reasons
    for row in rejects:
        # The original record, as read, is kept whole.
        assert isinstance(row["record"], dict | str)
        json.dumps(row["record"])
