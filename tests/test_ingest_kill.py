"""An ingest killed with SIGKILL at any point wedges nothing: its writer processes die with
it, the next writer gets the node's lock at once, the run is recorded as interrupted, and a
re-run leaves the database and the index holding exactly the input's profiles."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from indexer.index import IndexStore, SearchEngine, docs_of
from indexer.index.locking import node_lock
from indexer.synthetic import generate_profiles

pytestmark = pytest.mark.slow

COUNT = 4000


@pytest.fixture(scope="module")
def profiles_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "profiles.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for profile in generate_profiles(COUNT, seed=7):
            out.write(json.dumps(profile) + "\n")
    return path


class Node:
    """One node's database and index, and `flask ingest` run as a real process."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp, self.index_dir = url, tmp, tmp / "index"
        self.engine = create_engine(url)
        self.env = {
            **os.environ,
            "FLASK_APP": "directory",
            "DIRECTORY_DATABASE_URL": url,
            "DIRECTORY_INDEX_DIR": str(self.index_dir),
            "DIRECTORY_INSTANCE_PATH": str(tmp / "instance"),
            "DIRECTORY_BULK_INGEST_BYTES": "1",  # writer processes even for this small input
            "DIRECTORY_INDEX_LOCK_TIMEOUT": "10",
        }

    def start_ingest(self, path: Path) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "flask",
            "ingest",
            str(path),
            "--source",
            "kill",
            "--rejects",
            str(self.tmp / "rejects.jsonl"),
            "--json",
        ]
        return subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def scalar(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar() or 0

    def statuses(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(text("SELECT status FROM ingest_runs ORDER BY id")).scalars())

    def database_ids(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM therapists WHERE published ORDER BY id"))
            return [str(r) for r in rows.scalars()]

    def index_ids(self) -> list[str]:
        snap = SearchEngine(IndexStore(self.index_dir)).snapshot()
        return sorted((str(snap.ids[d]) for d in docs_of(snap.live)), key=int)


def wait_until(condition, timeout: float = 60.0, step: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except OSError:
                continue
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# Where to kill: a condition on the running ingest, checked every 10 ms.
KILL_POINTS = {
    # The run has started and is reading its first batch: nothing stored yet.
    "reading": lambda node, pid: node.statuses() == ["running"],
    # Some batches are stored, others not yet read.
    "storing": lambda node, pid: node.scalar("SELECT count(*) FROM therapists") >= COUNT // 4,
    # The writer processes are indexing what has been stored.
    "indexing": lambda node, pid: (
        len(children(pid)) >= 2 and node.scalar("SELECT count(*) FROM therapists") >= COUNT // 2
    ),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_ingest_wedges_nothing_and_a_rerun_completes_it(
    point, database_url, tmp_path, profiles_file
):
    node = Node(database_url, tmp_path)
    ingest = node.start_ingest(profiles_file)
    wait_until(lambda: KILL_POINTS[point](node, ingest.pid))
    writers = children(ingest.pid)
    ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    stored = node.scalar("SELECT count(*) FROM therapists")
    assert (stored == 0) if point == "reading" else (0 < stored < COUNT)

    # Its writer processes die with it, and the node's lock is free at once.
    wait_until(lambda: not any(alive(pid) for pid in writers), timeout=5)
    with node_lock(node.index_dir, timeout=1):
        pass

    rerun = node.start_ingest(profiles_file)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    summary = json.loads(out)
    assert summary["read"] == COUNT and summary["rejected"] == 0
    assert summary["created"] + summary["unchanged"] + summary["updated"] == COUNT
    assert node.statuses() == ["interrupted", "finished"]
    # Every input profile once in the database, and the index holds exactly those.
    assert node.scalar("SELECT count(DISTINCT source_id) FROM therapists") == COUNT
    database = node.database_ids()
    assert len(database) == COUNT
    assert node.index_ids() == database
