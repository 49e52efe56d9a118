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


def test_migrating_down_and_up_keeps_every_office_and_licence(app, runner, ingest, write_jsonl):
    # SQLite migrations recreate tables; with foreign keys enforced, that used to delete the
    # child rows of every therapist.
    licence = {"type": "LMFT", "number": "123", "state": "NY"}
    ingest(write_jsonl([profile(id="a", licenses=[licence]), profile(id="b")]))

    def counts() -> dict[str, int]:
        with app.app_context():
            engine().dispose()
            with engine().connect() as conn:
                return {
                    table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                    for table in ("therapists", "offices", "licenses")
                }

    before = counts()
    assert before["offices"] >= 2 and before["licenses"] >= 1
    for revision in ("0001", "head"):
        result = runner.invoke(
            args=["db", "downgrade" if revision != "head" else "upgrade", revision]
        )
        assert result.exit_code == 0, result.output
        assert counts() == before
    response = app.test_client().get("/api/v1/therapists?near=10001&radius=25")
    assert response.status_code == 200 and response.json["total"] >= 1
