"""A damaged or misnamed index generation: every search answers 503 in its own form (JSON,
page, widget), /readyz says the node is not ready and why, and nothing outside the index
directory is ever opened."""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import pytest

from indexer.index import CHECK_INTERVAL_SECONDS

from .factories import profile

PROFILES = [
    profile(id=f"p{i}", name=f"Therapist {i}", bio="Anxiety and couples work") for i in range(30)
]


@pytest.fixture
def built(app, ingest, write_jsonl):
    """An app over an index with one live generation; returns its folder."""
    ingest(write_jsonl(PROFILES))
    index = Path(app.config["INDEX_DIR"])
    return index / (index / "CURRENT").read_text().strip()


def partner_key(app) -> str:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["partners", "add", "Clinic", "--origin", "https://clinic.example", "--json"]
    )
    return json.loads(result.stdout)["key"]


def assert_unavailable(app, client, why: str):
    api = client.get("/api/v1/therapists?q=anxiety")
    assert api.status_code == 503, api.get_data()
    assert api.json["error"]["code"] == "unavailable"
    assert why in api.json["error"]["message"]
    page = client.get("/?q=anxiety")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert why in page.get_data(as_text=True)
    widget = client.get(f"/embed/v1/widget?partner={partner_key(app)}&q=anxiety")
    assert (
        widget.status_code == 503
        and "frame-ancestors https://clinic.example" in (widget.headers["Content-Security-Policy"])
    )
    ready = client.get("/readyz")
    assert ready.status_code == 503 and not ready.json["checks"]["index"]["ok"]
    return ready.json["checks"]["index"]["error"]


def test_a_truncated_segment_file_is_503_and_fails_readiness(app, client, built):
    postings = next(built.glob("*.pst"))
    os.truncate(postings, 16)  # a copy or a disk that stopped early
    error = assert_unavailable(app, client, "cannot be read")
    assert "cannot be read" in error
    # A rebuild from the database repairs the node.
    assert app.test_cli_runner().invoke(args=["index", "rebuild"]).exit_code == 0
    time.sleep(CHECK_INTERVAL_SECONDS)  # when a process next looks for a new generation
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/therapists?q=anxiety").json["total"] == 30


def test_a_deleted_segment_file_is_unreadable_not_being_built(app, client, built):
    next(built.glob("*.trm")).unlink()
    error = assert_unavailable(app, client, "cannot be read")
    assert "being built" not in error


@pytest.mark.parametrize("current", ["gen-999999", "garbage\x00\n", "gen-1"])
def test_current_naming_no_generation_is_503(app, client, built, current):
    (built.parent / "CURRENT").write_text(current)
    error = assert_unavailable(app, client, "cannot be read")
    assert "not a generation" in error


def test_current_pointing_outside_the_index_is_never_opened(app, client, built, tmp_path):
    # A folder that Whoosh would unpickle if it opened it: doing so would create `marker`.
    evil, marker = tmp_path / "evil", tmp_path / "marker"
    evil.mkdir()

    class Trap:
        def __reduce__(self):
            return (os.mkdir, (str(marker),))

    (evil / "_MAIN_1.toc").write_bytes(pickle.dumps(Trap()))
    (built.parent / "CURRENT").write_text(os.path.relpath(evil, built.parent))
    assert_unavailable(app, client, "cannot be read")
    assert not marker.exists()


def test_before_the_first_build_the_index_is_being_built(client):
    response = client.get("/api/v1/therapists")
    assert response.status_code == 503
    assert "being built" in response.json["error"]["message"]
    assert "no index yet" in client.get("/readyz").json["checks"]["index"]["error"]


def test_an_index_with_no_documents_answers(app, client):
    assert app.test_cli_runner().invoke(args=["index", "rebuild"]).exit_code == 0
    response = client.get("/api/v1/therapists?near=10001&q=anxiety")
    assert response.status_code == 200 and response.json["total"] == 0
    assert client.get("/readyz").json["checks"]["index"]["documents"] == 0
