"""One writer per node: a writer that has to wait says whom for, gives up naming the holder,
and a web request never hangs on it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from directory.db import sessions
from directory.parts import index_store
from indexer.index.locking import holder_of, node_lock

from .factories import profile


def test_the_lock_records_its_holder(tmp_path):
    with node_lock(tmp_path):
        holder = holder_of(tmp_path / ".lock")
        assert holder["pid"] == os.getpid() and holder["alive"] is True
        assert os.getpid() in holder["open_by"]


def test_an_ingest_waits_says_for_whom_and_leaves_the_index_to_the_holder(
    app, runner, write_jsonl, tmp_path
):
    app.config["INDEX_LOCK_TIMEOUT"] = 0.5
    path = write_jsonl([profile(id="a")])
    with node_lock(Path(app.config["INDEX_DIR"])):
        result = runner.invoke(args=["ingest", str(path), "--source", "t", "--json"])
    assert result.exit_code == 0, result.output
    assert f"waiting for the index lock, held by pid {os.getpid()}" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["created"] == 1 and summary["index"] is None
    assert f"locked by pid {os.getpid()}" in summary["index_pending"]
    # The change log still has it: the next sync indexes it.
    with app.app_context():
        assert index_store().sync(sessions()).applied == 1


def test_index_sync_gives_up_with_the_holder_named(app, runner):
    app.config["INDEX_LOCK_TIMEOUT"] = 0.3
    with node_lock(Path(app.config["INDEX_DIR"])):
        result = runner.invoke(args=["index", "sync"])
    assert result.exit_code == 1
    assert f"is locked by pid {os.getpid()}" in result.output
    assert "gave up after 0 s" in result.output or "gave up after 1 s" in result.output


def test_unpublishing_while_another_writer_holds_the_index_answers_at_once(
    app, client, ingest, write_jsonl
):
    ingest(write_jsonl([profile(id="a")]))
    [hit] = client.get("/api/v1/therapists").json["results"]
    auth = {"Authorization": "Bearer test-admin-token"}
    with node_lock(Path(app.config["INDEX_DIR"])):
        response = client.delete(f"/api/v1/admin/therapists/{hit['id']}", headers=auth)
        assert response.status_code == 202
        assert response.json["status"] == "pending"
        assert client.get(f"/api/v1/therapists/{hit['id']}").status_code == 404
    with app.app_context():
        index_store().sync(sessions())
        from directory.parts import search_engine

        search_engine().invalidate()
    assert client.get("/api/v1/therapists").json["total"] == 0
