"""The service's operational endpoints and its JSON error shape."""

from __future__ import annotations

from sqlalchemy import inspect

from directory.db import engine

from .factories import profile


def test_healthz_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_not_ready_before_the_first_index(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["database"]["ok"] and not checks["index"]["ok"]


def test_readyz_reports_generation_and_document_count(client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a"), profile(id="b")]))
    response = client.get("/readyz")
    assert response.status_code == 200
    index = response.json["checks"]["index"]
    assert index["generation"].startswith("gen-") and index["documents"] == 2


def test_unknown_paths_get_a_json_error(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_wrong_method_keeps_the_allow_header(client):
    response = client.post("/healthz")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.json["error"]["code"] == "method_not_allowed"


def test_migrations_create_every_table_and_downgrade_cleanly(app, runner):
    with app.app_context():
        tables = set(inspect(engine()).get_table_names())
    assert {
        "therapists",
        "offices",
        "licenses",
        "taxonomy_terms",
        "taxonomy_synonyms",
        "ingest_runs",
        "rejects",
        "changes",
    } <= tables
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        engine().dispose()
        assert "therapists" not in inspect(engine()).get_table_names()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        engine().dispose()
        assert "therapists" in inspect(engine()).get_table_names()
