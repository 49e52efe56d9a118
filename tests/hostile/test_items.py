"""One regression test per failure the hardening issue listed (the ones not covered by the
ingest, lock and index tests): bounded search work, bounded caches, bounded admin answers,
the database down, deep JSON, forged hosts, headers, and gunicorn's own errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc

import pytest

from directory import create_app
from directory.parts import search_engine
from directory.search import evaluate, params
from indexer.index import snapshot as snapshot_module

from ..conftest import REPO
from ..factories import profile
from .corpus import UNKNOWN_WORDS, repeated

TOKEN = {"Authorization": "Bearer test-admin-token"}


def test_repeated_values_and_long_free_text_are_refused_with_reasons(corpus_app):
    client = corpus_app.test_client()
    response = client.get(f"/api/v1/therapists?{repeated('language', 300)}")
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {
        "language": [f"At most {params.MAX_VALUES} values of this parameter."]
    }
    words = " ".join(["anxiety"] * (params.MAX_WORDS + 1))
    response = client.get("/api/v1/therapists", query_string={"q": words})
    assert response.json["error"]["fields"] == {"q": [f"At most {params.MAX_WORDS} words."]}


def test_the_words_of_a_query_are_matched_once_per_request(corpus_app, monkeypatch):
    """An empty result tries many suggestions; none of them matches the words again (typo
    expansion included)."""
    matched = []
    real = evaluate.match_concept

    def counting(snap, concept):
        matched.append(concept.text)
        return real(snap, concept)

    monkeypatch.setattr(evaluate, "match_concept", counting)
    query = f"near=10001&couples=true&video=true&accepting=true&q={UNKNOWN_WORDS}"
    response = corpus_app.test_client().get(f"/api/v1/therapists?{query}")
    assert response.status_code == 200 and response.json["total"] == 0
    # It tried wider radii, video, one filter fewer... and found what would help.
    suggestions = [s["label"] for s in response.json["suggestions"]]
    assert suggestions == ["Without the words"]
    assert sorted(matched) == sorted(UNKNOWN_WORDS.split())


def test_unknown_terms_asked_for_stay_within_the_caches_bounds(corpus_app, monkeypatch):
    monkeypatch.setattr(snapshot_module, "MASK_CACHE_WORDS", 2000)
    with corpus_app.app_context():
        search_engine().invalidate()
        search_engine()._snapshot = None  # a new snapshot, with the small bound
        snap = search_engine().snapshot()
        blocks = [len(b._masks) for b, _ in snap.blocks]
    client = corpus_app.test_client()
    for i in range(300):
        client.get(f"/api/v1/therapists?language=lang{i}&insurance=ins{i}")
    with corpus_app.app_context():
        snap = search_engine().snapshot()
        # Blocks keep only terms their documents hold; the snapshot keeps its bound.
        assert [len(b._masks) for b, _ in snap.blocks] == blocks
        assert snap._terms.weight <= 2000 and len(snap._terms) < 600


def test_the_admin_ingest_answer_is_bounded_whatever_the_rejects(app, client):
    bad = "\n".join(f'{{"id": "{i}", "name": "", "bio": "{"x" * 300}"}}' for i in range(2500))
    assert len(bad) > 800_000
    tracemalloc.start()
    response = client.post("/api/v1/admin/ingest", headers=TOKEN, data=bad)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 422
    body = response.json
    assert body["rejected"] == 2500 and len(body["rejects"]) == 100
    assert {r["file"] for r in body["rejects"]} == {"request body"}
    assert len(response.get_data()) < 200_000
    assert peak < 100 * 2**20


def test_the_database_down_is_503_json_and_a_framed_page(tmp_path, db_kind):
    url = (
        "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
        if db_kind == "postgresql"
        else f"sqlite:///{tmp_path}/missing/folder/db.sqlite3"
    )
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "RATE_LIMIT": ""},
        instance_path=str(tmp_path / "instance"),
    )
    client = app.test_client()
    api = client.get("/api/v1/therapists/1")
    assert api.status_code == 503 and api.json["error"]["code"] == "unavailable"
    assert "database" in api.json["error"]["message"]
    widget = client.get("/embed/v1/widget?partner=abcdefghijklmnopqrstuvwxyz")
    assert widget.status_code == 503 and widget.mimetype == "text/html"
    assert "frame-ancestors" in widget.headers["Content-Security-Policy"]
    assert client.get("/readyz").status_code == 503


def test_json_nested_too_deeply_is_a_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/v1/admin/partners", data=body, headers={**TOKEN, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The JSON body is nested too deeply."


def test_a_host_outside_the_trusted_hosts_is_a_400(app, client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a")]))
    app.config["TRUSTED_HOSTS"] = ["directory.example"]
    forged = client.get("/", headers={"Host": "evil.example"})
    assert forged.status_code == 400 and b"evil.example" in forged.get_data()
    slug = client.get("/api/v1/therapists", headers={"Host": "directory.example"}).json["results"][
        0
    ]["slug"]
    page = client.get(f"/therapists/{slug}", headers={"Host": "directory.example"})
    assert page.status_code == 200
    assert f"http://directory.example/therapists/{slug}" in page.get_data(as_text=True)


def test_oembed_answers_vary_by_host(client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a")]))
    slug = client.get("/api/v1/therapists").json["results"][0]["slug"]
    response = client.get(f"/oembed?url=http://localhost/therapists/{slug}")
    assert response.status_code == 200 and "Host" in response.headers["Vary"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/taxonomy",
        "/embed/v1/embed.js",
        "/static/css/site.css",
        "/healthz",
        "/api/v1/nowhere",
    ],
)
def test_every_answer_says_nosniff_and_https_ones_hsts(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get(path, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.fixture
def gunicorn(app, tmp_path):
    """The app behind gunicorn with the project's gunicorn settings."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DIRECTORY_DATABASE_URL": app.config["DATABASE_URL"],
        "DIRECTORY_INDEX_DIR": app.config["INDEX_DIR"],
        "DIRECTORY_INSTANCE_PATH": str(tmp_path / "gunicorn-instance"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:directory.gunicorn_config",
            "--no-control-socket",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "directory:create_app()",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    server.terminate()
    server.wait()


def raw(port: int, request: bytes) -> tuple[str, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), json.loads(body)


@pytest.mark.slow
def test_gunicorns_own_errors_are_json(gunicorn):
    head, body = raw(gunicorn, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head.startswith("HTTP/1.1 414") and "application/json" in head
    assert body == {
        "error": {"code": "uri_too_long", "message": "The request line is longer than 4 KB."}
    }
    head, body = raw(gunicorn, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n")
    assert head.startswith("HTTP/1.1 431") and body["error"]["code"] == "headers_too_large"


@pytest.mark.parametrize(
    "path", ["/therapists/abc%00def", "/therapists/abc%ED%A0%80", "/api/v1/therapists/1%00"]
)
def test_a_nul_or_a_surrogate_in_an_address_is_not_found(corpus_app, path):
    response = corpus_app.test_client().get(path)
    assert response.status_code == 404
