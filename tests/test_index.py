"""Index generations: atomic rebuilds, following the change log, several nodes."""

from __future__ import annotations

import threading
from importlib import metadata
from pathlib import Path

from directory import create_app
from directory.db import sessions
from directory.parts import index_store
from indexer import store

from .factories import profile


def test_exactly_one_whoosh_distribution_is_installed():
    names = {d.metadata["Name"].lower() for d in metadata.distributions()}
    assert "whoosh" in names
    assert metadata.version("whoosh") == "2.7.4"
    assert not names & {"whoosh-reloaded", "whoosh3", "whoosh-ng"}


def test_a_search_during_rebuild_answers_from_the_old_generation(app, ingest, write_jsonl):
    ingest(write_jsonl([profile(id=str(i), bio=f"bio number{i}") for i in range(30)]))
    with app.app_context():
        live = index_store()
        old = live.current()
        seen = {}

        def search_meanwhile(new_generation: str) -> None:
            # A second reader of the same directory, as another worker process would be.
            other = type(live)(live.root)
            seen["current"] = other.current()
            seen["hits"] = other.search_ids("number7")
            seen["documents"] = other.status()["documents"]
            seen["new"] = new_generation

        result = live.rebuild(sessions(), procs=1, before_switch=search_meanwhile)
        assert seen["current"] == old != seen["new"]
        assert len(seen["hits"]) == 1 and seen["documents"] == 30
        assert live.current() == result.generation == seen["new"]
        assert live.status()["documents"] == 30
        assert sorted(p.name for p in Path(live.root).glob("gen-*")) == [old, seen["new"]]


def test_searches_keep_answering_while_a_rebuild_runs_in_another_thread(app, ingest, write_jsonl):
    ingest(write_jsonl([profile(id=str(i)) for i in range(200)]))
    with app.app_context():
        live = index_store()
        done = threading.Event()
        counts = []
        factory = sessions()

        def rebuild() -> None:
            try:
                live.rebuild(factory, procs=1)
            finally:
                done.set()

        thread = threading.Thread(target=rebuild)
        thread.start()
        while not done.is_set() or not counts:
            counts.append(len(live.search_ids("couples", limit=500)))
        thread.join()
    assert set(counts) == {200}, "every search saw a complete generation"


def test_rebuild_with_two_writer_processes_indexes_everything(app, ingest, write_jsonl):
    ingest(write_jsonl([profile(id=str(i)) for i in range(300)]))
    with app.app_context():
        result = index_store().rebuild(sessions(), procs=2)
        assert result.applied == 300
        assert index_store().status()["documents"] == 300
        assert len(index_store().search_ids("Ana", limit=1000)) == 300


def test_index_sync_brings_a_second_node_up_to_date(app, ingest, write_jsonl, runner, tmp_path):
    node_b = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INDEX_DIR": str(tmp_path / "node-b-index"),
        },
        instance_path=str(tmp_path / "node-b"),
    )
    b_runner = node_b.test_cli_runner()
    ingest(write_jsonl([profile(id="a", bio="grief"), profile(id="b", bio="anxiety")]))
    first = b_runner.invoke(args=["index", "sync"])
    assert first.exit_code == 0, first.output
    with node_b.app_context():
        assert len(index_store().search_ids("anxiety")) == 1
    ingest(write_jsonl([profile(id="a", bio="infertility"), profile(id="b", bio="anxiety")]))
    second = b_runner.invoke(args=["index", "sync"])
    assert "applied 1 changes" in second.output
    with node_b.app_context():
        assert len(index_store().search_ids("infertility")) == 1
        assert index_store().search_ids("grief") == []
    node_b.extensions["directory.engine"].dispose()


def test_an_unpublished_therapist_leaves_the_index_on_sync(app, ingest, write_jsonl):
    ingest(write_jsonl([profile(id="a", bio="grief"), profile(id="b", bio="grief")]))
    with app.app_context():
        hits = index_store().search_ids("grief")
        with sessions().begin() as s:
            assert store.unpublish(s, hits[0])
        result = index_store().sync(sessions())
        assert result.applied == 1
        assert index_store().search_ids("grief") == hits[1:]


def test_index_status_reports_generation_documents_and_pending_changes(
    app, ingest, write_jsonl, runner
):
    ingest(write_jsonl([profile(id="a")]))
    result = runner.invoke(args=["index", "status"])
    assert '"documents": 1' in result.output and '"pending_changes": 0' in result.output
