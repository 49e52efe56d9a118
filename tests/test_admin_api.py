"""The admin API: POST /api/v1/admin/ingest and DELETE /api/v1/admin/therapists/<id>, behind
the bearer token (the `app` fixture sets ADMIN_TOKEN to "test-admin-token")."""

from __future__ import annotations

import io
import json

import pytest
from jsonschema import Draft202012Validator

from directory.api import admin

from .factories import profile

TOKEN = {"Authorization": "Bearer test-admin-token"}
INGEST = "/api/v1/admin/ingest"


def ingest(
    client,
    body,
    *,
    query: str = "",
    content_type: str = "application/json",
    headers: dict | None = None,
):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        f"{INGEST}{query}",
        data=data,
        content_type=content_type,
        headers=TOKEN if headers is None else headers,
    )


def search(client, query: str) -> dict:
    response = client.get(f"/api/v1/therapists?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def documented(client, name: str, body) -> None:
    """`body` matches component `name` of /openapi.json."""
    components = client.get("/openapi.json").json["components"]
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": components}
    )
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, errors


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "test-admin-token"},
        {"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbg=="},
        {"Authorization": "Bearer test-admin-token-and-more"},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong", "no-scheme", "basic", "longer", "empty"],
)
def test_admin_endpoints_need_the_right_bearer_token(client, headers):
    response = ingest(client, [profile(id="a")], headers=headers)
    assert_error(response, 401, "unauthorized")
    assert_error(client.delete("/api/v1/admin/therapists/1", headers=headers), 401, "unauthorized")
    assert client.get("/readyz").json["checks"]["index"]["documents"] == 0, "nothing went in"


@pytest.mark.parametrize("configured", [None, ""], ids=["unset", "empty"])
def test_without_a_configured_token_every_admin_request_is_refused(app, client, configured):
    app.config["ADMIN_TOKEN"] = configured
    for headers in ({}, TOKEN, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert_error(ingest(client, [profile(id="a")], headers=headers), 401, "unauthorized")
        assert_error(
            client.delete("/api/v1/admin/therapists/1", headers=headers), 401, "unauthorized"
        )


def test_a_json_array_goes_in_and_is_searchable_at_once(client):
    good = profile(
        id="a1",
        name="Mira Solberg",
        bio="Couples work grounded in saxophone improvisation and trust.",
    )
    bad = {"id": "a2", "name": "No Office"}  # neither an office nor a telehealth state
    response = ingest(client, [good, bad])
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.json
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (2, 1, 1)
    assert summary["created"] == 1 and summary["files"] == ["request body"]
    assert summary["rejects_file"] is None
    [reject] = summary["rejects"]
    assert reject["record"] == bad, "the reject is the original record, unchanged"
    assert reject["position"] == 2 and "locations" in reject["reasons"]
    documented(client, "IngestSummary", summary)

    found = search(client, "q=saxophone")
    assert [r["name"] for r in found["results"]] == ["Mira Solberg"]


def test_a_json_lines_body_goes_in_with_broken_lines_rejected(client):
    lines = [
        json.dumps(profile(id="l1", name="Oskar Lind", bio="Gentle harmonica therapy.")),
        "{this is not json",
        json.dumps(
            profile(
                id="l2",
                name="Petra Holm",
                bio="Harmonica and attachment.",
                locations=None,
                telehealth_states=["CA"],
            )
        ),
    ]
    response = ingest(client, "\n".join(lines) + "\n", content_type="application/x-ndjson")
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.json
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (3, 2, 1)
    [reject] = summary["rejects"]
    assert reject["position"] == 2 and reject["reasons"]
    documented(client, "IngestSummary", summary)

    names = {r["name"] for r in search(client, "q=harmonica")["results"]}
    assert names == {"Oskar Lind", "Petra Holm"}


def test_re_ingesting_changes_only_what_changed_and_edits_are_searchable_at_once(client):
    body = [profile(id="u1", bio="Cello and couples."), profile(id="u2", name="Ivo Sand")]
    assert ingest(client, body).json["created"] == 2
    assert search(client, "q=cello")["total"] == 1
    body[0]["bio"] = "Violin and couples."
    again = ingest(client, body).json
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 1, 1)
    assert search(client, "q=cello")["total"] == 0
    assert search(client, "q=violin")["total"] == 1


def test_a_body_with_nothing_acceptable_is_422_with_the_summary(client):
    response = ingest(client, [{"id": "x"}, {"name": "No id"}])
    assert response.status_code == 422
    assert (response.json["read"], response.json["accepted"], response.json["rejected"]) == (
        2,
        0,
        2,
    )
    assert len(response.json["rejects"]) == 2


def test_a_dry_run_writes_nothing(client):
    response = ingest(client, [profile(id="d1", bio="Theremin lessons.")], query="?dry_run=true")
    assert response.status_code == 200 and response.json["dry_run"] is True
    assert response.json["accepted"] == 1
    assert client.get("/readyz").json["checks"]["index"]["documents"] == 0


@pytest.mark.parametrize("body", ["", "   \n\t\n"], ids=["empty", "blank"])
def test_an_empty_body_is_400(client, body):
    assert_error(ingest(client, body), 400, "invalid_request")


def test_a_body_over_the_limit_is_413(client, monkeypatch):
    monkeypatch.setattr(admin, "MAX_INGEST_BYTES", 100)
    response = ingest(client, [profile(id="big", bio="x" * 200)])
    assert_error(response, 413, "payload_too_large")


def test_unpublishing_removes_the_therapist_from_search_and_its_profile(client):
    ingest(client, [profile(id="g1", name="Greta Strand"), profile(id="g2", name="Hugo Berg")])
    results = search(client, "near=10118")["results"]
    assert {r["name"] for r in results} == {"Greta Strand", "Hugo Berg"}
    greta = next(r for r in results if r["name"] == "Greta Strand")
    assert client.get(greta["api_url"]).status_code == 200

    response = client.delete(f"/api/v1/admin/therapists/{greta['id']}", headers=TOKEN)
    assert response.status_code == 204 and response.get_data() == b""

    assert [r["name"] for r in search(client, "near=10118")["results"]] == ["Hugo Berg"]
    assert client.get("/readyz").json["checks"]["index"]["documents"] == 1
    assert_error(client.get(greta["api_url"]), 404, "not_found")
    again = client.delete(f"/api/v1/admin/therapists/{greta['id']}", headers=TOKEN)
    assert again.status_code == 204, "unpublishing is idempotent"


def test_text_search_after_an_unpublish(client):
    ingest(
        client,
        [
            profile(id="g1", name="Greta Strand", bio="Bagpipe-informed care."),
            profile(id="g2", name="Hugo Berg", bio="Bagpipe and grief work."),
        ],
    )
    greta = search(client, "q=bagpipe+greta")["results"][0]
    assert (
        client.delete(f"/api/v1/admin/therapists/{greta['id']}", headers=TOKEN).status_code == 204
    )
    response = client.get("/api/v1/therapists?q=bagpipe")
    assert response.status_code == 200, response.json
    assert [r["name"] for r in response.json["results"]] == ["Hugo Berg"]


@pytest.mark.parametrize("therapist_id", ["999999", str(2**31), str(2**64)])
def test_unpublishing_an_unknown_id_is_404(client, therapist_id):
    ingest(client, [profile(id="k1")])
    assert_error(
        client.delete(f"/api/v1/admin/therapists/{therapist_id}", headers=TOKEN), 404, "not_found"
    )


def test_admin_endpoints_answer_only_their_methods(client):
    response = client.get(INGEST, headers=TOKEN)
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_a_chunked_body_over_the_limit_is_413(client, monkeypatch):
    monkeypatch.setattr(admin, "MAX_INGEST_BYTES", 100)
    body = json.dumps([profile(id="big", bio="x" * 200)]).encode()
    # As a server that de-chunks the body passes it on: no Content-Length, input terminated.
    response = client.post(
        INGEST,
        input_stream=io.BytesIO(body),
        headers={**TOKEN, "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_error(response, 413, "payload_too_large")


def test_a_body_of_many_reads_is_read_whole(client):
    # Fields outside the input format are ignored (and counted): a cheap way to a large body.
    body = [
        profile(id=f"w{i}", name=f"Wren Number{i}", bio="Ocarina.", notes="x" * 70_000)
        for i in range(3)
    ]
    assert len(json.dumps(body)) > 3 * 65536
    response = ingest(client, body)
    assert response.status_code == 200 and response.json["accepted"] == 3
    assert response.json["ignored_fields"] == {"notes": 3}
    assert search(client, "q=ocarina")["total"] == 3
