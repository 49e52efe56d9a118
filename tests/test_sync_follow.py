"""A node's follower (`index sync --follow`) as a long-running process: its heartbeat, its clean
stop on SIGTERM, and /readyz reporting the node's lag behind the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, text, update

from directory import create_app, db
from directory.parts import geocoder, taxonomy
from indexer import store
from indexer.index import IndexStore
from indexer.models import Change, Therapist
from indexer.pipeline import run_ingest

from .conftest import REPO
from .factories import profile

TOKEN = {"Authorization": "Bearer test-admin-token"}


def ingest(client, *profiles) -> None:
    response = client.post("/api/v1/admin/ingest", headers=TOKEN, data=json.dumps(list(profiles)))
    assert response.status_code == 200, response.json


def unpublish_without_sync(app, therapist_id: int) -> None:
    """A change written by another node: in the database, not in this node's index."""
    with app.app_context(), db.sessions().begin() as s:
        assert store.unpublish(s, therapist_id)


def node(app, tmp_path: Path, **config):
    settings = {
        "TESTING": True,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INDEX_DIR": app.config["INDEX_DIR"],
        "RATE_LIMIT": "",
        **config,
    }
    return create_app(settings, instance_path=str(tmp_path / "node-instance"))


def test_readyz_reports_the_lag_behind_the_database(app, client):
    ingest(client, profile(id="a"), profile(id="b", name="Bea Other"))
    sync = client.get("/readyz").json["checks"]["sync"]
    assert sync["ok"] and sync["changes_behind"] == 0 and sync["lag_seconds"] == 0
    assert sync["position"] == sync["latest"] > 0
    assert sync["heartbeat"] is None  # no follower ran on this node

    unpublish_without_sync(app, 1)
    sync = client.get("/readyz").json["checks"]["sync"]
    assert sync["ok"], "no limit configured: behind, but ready"
    assert sync["changes_behind"] == 1 and sync["latest"] == sync["position"] + 1
    assert 0 <= sync["lag_seconds"] < 60


def test_readyz_answers_503_past_the_configured_lag(app, client, tmp_path):
    ingest(client, profile(id="a"), profile(id="b", name="Bea Other"))
    unpublish_without_sync(app, 1)
    unpublish_without_sync(app, 2)
    by_changes = node(app, tmp_path, READY_MAX_LAG_CHANGES=1).test_client()
    response = by_changes.get("/readyz")
    assert response.status_code == 503 and response.json["status"] == "not_ready"
    assert "changes_behind 2 > 1" in response.json["checks"]["sync"]["error"]
    assert response.json["checks"]["index"]["ok"], "the index itself answers"

    by_seconds = node(app, tmp_path, READY_MAX_LAG_SECONDS=30).test_client()
    assert by_seconds.get("/readyz").status_code == 200, "the changes are seconds old"
    position = by_seconds.get("/readyz").json["checks"]["sync"]["position"]
    with app.app_context(), db.sessions().begin() as s:  # the unapplied ones, 5 minutes old
        s.execute(
            update(Change)
            .where(Change.id > position)
            .values(changed_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    response = by_seconds.get("/readyz")
    assert response.status_code == 503
    sync = response.json["checks"]["sync"]
    assert sync["lag_seconds"] > 290 and "lag_seconds" in sync["error"]

    with app.app_context():  # caught up: ready again
        IndexStore(app.config["INDEX_DIR"]).sync(db.sessions())
    for client_ in (by_changes, by_seconds):
        response = client_.get("/readyz")
        assert response.status_code == 200, response.json
        assert response.json["checks"]["sync"]["lag_seconds"] == 0


def test_the_follower_beats_applies_changes_and_stops_cleanly_on_sigterm(app, client, tmp_path):
    ingest(client, profile(id="a"), profile(id="b", name="Bea Other"))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DIRECTORY_DATABASE_URL": app.config["DATABASE_URL"],
        "DIRECTORY_INDEX_DIR": app.config["INDEX_DIR"],
        "DIRECTORY_INSTANCE_PATH": str(tmp_path / "follower"),
    }
    follower = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "directory", "index", "sync", "--follow"]
        + ["--interval", "0.1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    index = IndexStore(app.config["INDEX_DIR"])
    try:
        beat = wait_for(lambda: index.heartbeat(), "a first heartbeat")
        assert beat["pid"] == follower.pid and beat["status"] == "following"
        assert indexed_ids(index) == {1, 2}
        unpublish_without_sync(app, 1)
        latest = client.get("/readyz").json["checks"]["sync"]["latest"]
        wait_for(
            lambda: (b := index.heartbeat()) and b["change_id"] == latest, "the change applied"
        )
        assert indexed_ids(index) == {2}
        ready = client.get("/readyz").json["checks"]["sync"]
        assert ready["changes_behind"] == 0 and ready["heartbeat"]["pid"] == follower.pid
        assert ready["heartbeat"]["age_seconds"] < 5
    finally:
        follower.send_signal(signal.SIGTERM)
        out, err = follower.communicate(timeout=20)
    assert follower.returncode == 0, err
    assert "applied 1 changes" in out and err.rstrip().endswith("stopped"), (out, err)
    beat = index.heartbeat()
    assert beat is not None and beat["status"] == "stopped" and beat["change_id"] == latest


def indexed_ids(index: IndexStore) -> set[int]:
    ix = index.open()
    try:
        with ix.searcher() as searcher:
            return {int(fields["id"]) for fields in searcher.all_stored_fields()}
    finally:
        ix.close()


def wait_for(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_after_a_restore_from_an_older_backup_the_index_is_rebuilt(app, client, db_kind):
    index = IndexStore(app.config["INDEX_DIR"])
    ingest(client, profile(id="a"))
    backup_position = index.state(index.current() or "")["change_id"]
    ingest(client, profile(id="b", name="Bea Other"))
    assert indexed_ids(index) == {1, 2}
    # Restore the database as it was after "a": "b" and its change are gone, and the change
    # ids start again after the backup's.
    with app.app_context(), db.sessions().begin() as s:
        s.delete(s.get(Therapist, 2))
        s.execute(delete(Change).where(Change.id > backup_position))
        if db_kind == "postgresql":
            s.execute(
                text("SELECT setval(pg_get_serial_sequence('changes', 'id'), :n)"),
                {"n": backup_position},
            )
    # Another node writes "c": its change takes the id the index's position names (and on
    # SQLite, which reuses ids, the therapist id of "b" too; its times are to the second).
    if db_kind == "sqlite":
        time.sleep(1.1)
    with app.app_context():
        run_ingest(
            [write_profiles(app, [profile(id="c", name="Cy Third")])],
            sessions=db.sessions(),
            taxonomy=taxonomy(),
            geocoder=geocoder(),
            source="test",
            index=None,
        )
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["sync"]["diverged"]
    assert "restored" in ready.json["checks"]["sync"]["error"]

    with app.app_context():
        index.sync(db.sessions())
    c = 2 if db_kind == "sqlite" else 3
    assert indexed_ids(index) == {1, c}, "rebuilt from the restored database"
    assert index.search_ids("Bea") == [] and index.search_ids("Cy") == [c]
    ready = client.get("/readyz")
    assert ready.status_code == 200 and not ready.json["checks"]["sync"]["diverged"]


def write_profiles(app, profiles: list[dict]) -> Path:
    path = Path(app.instance_path) / "restore-test.json"
    path.write_text(json.dumps(profiles))
    return path
