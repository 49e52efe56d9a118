"""The change log cannot be skipped: several processes write to the database at once while
followers (`index sync --follow`, one per node) apply the log to their indexes; at the end each
node's index holds exactly the database's shown profiles, each once.

On PostgreSQL the change ids come from a sequence: without ordering, a writer could take ids
100-119, another 120-139 and commit first, a follower sync to 139, and the first writer's
changes would then never be applied (indexer/changelog.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from indexer.index import IndexStore
from indexer.index.documents import SHOWN
from indexer.models import Change, Therapist
from indexer.synthetic import write_sample

from .conftest import REPO

pytestmark = pytest.mark.slow

WRITERS = 3
PROFILES = 300
BATCH = 10  # small transactions: many chances to commit out of id order

# One ingesting process: run_ingest with small batches and no index of its own.
INGEST = """
import sys
from directory import create_app, db
from directory.parts import geocoder, taxonomy
from indexer.pipeline import run_ingest
app = create_app()
with app.app_context():
    run_ingest([sys.argv[1]], sessions=db.sessions(), taxonomy=taxonomy(), geocoder=geocoder(),
               source=sys.argv[2], index=None, batch_size=int(sys.argv[3]))
"""

# Unpublishes every seventh shown therapist while the others ingest, one transaction each
# that stays open a little after its change is written (as a transaction doing more work
# would): the flush is where an id would be taken if ids were not assigned at commit.
UNPUBLISH = """
import os, random, sys, time
from sqlalchemy import select
from directory import create_app, db
from indexer import store
from indexer.models import Therapist
app = create_app()
done = set()
with app.app_context():
    while not os.path.exists(sys.argv[1]):  # until the ingests are done
        with db.sessions()() as s:
            ids = s.scalars(select(Therapist.id).where(Therapist.published.is_(True))).all()
        for tid in [t for t in ids if t % 7 == 0 and t not in done][:5]:
            with db.sessions().begin() as s:
                store.unpublish(s, tid)
                s.flush()
                time.sleep(random.uniform(0.05, 0.3))
            done.add(tid)
        time.sleep(0.01)
"""


def environment(database_url: str, instance: Path, index_dir: Path | None = None) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DIRECTORY_DATABASE_URL": database_url,
        "DIRECTORY_INSTANCE_PATH": str(instance),
    }
    if index_dir is not None:
        env["DIRECTORY_INDEX_DIR"] = str(index_dir)
    return env


def indexed_ids(index_dir: Path) -> list[int]:
    ix = IndexStore(index_dir).open()
    try:
        with ix.searcher() as searcher:
            return [int(fields["id"]) for fields in searcher.all_stored_fields()]
    finally:
        ix.close()


# SQLite has one writer at a time: its change ids are in commit order already.
@pytest.mark.postgresql_only
def test_followers_miss_no_change_while_several_processes_write(db_kind, database_url, tmp_path):
    follow = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "directory",
        "index",
        "sync",
        "--follow",
        "--interval",
        "0.005",
    ]
    nodes = [tmp_path / f"node-{n}" for n in range(2)]
    followers = [
        subprocess.Popen(
            follow,
            cwd=REPO,
            env=environment(database_url, tmp_path / f"instance-{n}", node),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for n, node in enumerate(nodes)
    ]
    writers = []
    ingests_done = tmp_path / "ingests-done"
    try:
        for n in range(WRITERS):
            sample = tmp_path / f"sample-{n}.jsonl"
            write_sample(sample, PROFILES, seed=100 + n)
            writers.append(
                subprocess.Popen(
                    [sys.executable, "-c", INGEST, str(sample), f"writer-{n}", str(BATCH)],
                    cwd=tmp_path,
                    env=environment(database_url, tmp_path / f"writer-{n}"),
                )
            )
        unpublisher = subprocess.Popen(
            [sys.executable, "-c", UNPUBLISH, str(ingests_done)],
            cwd=tmp_path,
            env=environment(database_url, tmp_path / "unpublisher"),
        )
        for writer in writers:
            assert writer.wait(timeout=240) == 0
        ingests_done.touch()
        writers.append(unpublisher)
        assert unpublisher.wait(timeout=30) == 0

        engine = create_engine(database_url)
        try:
            with engine.connect() as conn:
                last = conn.scalar(select(func.max(Change.id)))
                shown = set(conn.scalars(select(Therapist.id).where(SHOWN)))
                unpublished = conn.scalar(
                    select(func.count()).where(Therapist.published.is_(False))
                )
        finally:
            engine.dispose()
        assert len(shown) > WRITERS * PROFILES // 2 and unpublished, (len(shown), unpublished)

        deadline = time.monotonic() + 60
        for node in nodes:
            store = IndexStore(node)
            while store.current(strict=False) is None or (
                store.state(store.current() or "")["change_id"] < last
            ):
                assert time.monotonic() < deadline, f"{node.name} never reached change {last}"
                time.sleep(0.1)
    finally:
        for process in followers + writers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in followers + writers:
            process.wait(timeout=30)

    for node in nodes:
        ids = indexed_ids(node)
        assert len(ids) == len(set(ids)), f"{node.name}: duplicate documents"
        missing, extra = shown - set(ids), set(ids) - shown
        assert not missing and not extra, (
            f"{node.name}: {len(missing)} shown profiles missing from the index "
            f"({sorted(missing)[:10]}), {len(extra)} indexed that should not be "
            f"({sorted(extra)[:10]})"
        )
