"""The columns of a generation on disk: written by the writers, shared by every process, and
never mistaken for another index's."""

from __future__ import annotations

import time

from directory import create_app
from directory.db import sessions
from directory.parts import index_store, search_engine
from indexer.index import columns
from indexer.index.columns import bases

from .factories import profile


def names(client, **params) -> list[str]:
    response = client.get("/api/v1/therapists", query_string=params)
    assert response.status_code == 200, response.json
    return [r["name"] for r in response.json["results"]]


def live_bases(app) -> list[str]:
    with app.app_context():
        store = index_store()
        return [p.name for p in bases(store.root / store.current())]


def test_a_rebuild_writes_one_base_that_every_search_reads(app, client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id=str(i), name=f"Person {i}") for i in range(12)]))
    with app.app_context():
        index_store().rebuild(sessions(), procs=1)
        search_engine().invalidate()
        snap = search_engine().snapshot()
        [(block, offset)] = snap.blocks
        assert offset == 0 and block.size == 12
    assert live_bases(app) == ["columns-000001"]
    assert len(names(client, near="10001", couples="true")) == 12


def test_an_edit_is_searchable_at_once_without_a_new_base(app, client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id=str(i), name=f"Person {i}") for i in range(12)]))
    with app.app_context():
        index_store().rebuild(sessions(), procs=1)
    ingest(write_jsonl([profile(id="3", name="Renamed Person", specialties=["grief"])]))
    # The edit is a small segment after the base: read by each process, no new base.
    assert live_bases(app) == ["columns-000001"]
    with app.app_context():
        search_engine().invalidate()
        blocks = search_engine().snapshot().blocks
        assert [b.size for b, _ in blocks] == [12, 1]
    assert names(client, near="10001", specialty="grief") == ["Renamed Person"]
    assert "Person 3" not in names(client, near="10001", per_page=50)


def test_many_small_edits_merge_only_after_the_base_and_keep_it(app, client, ingest, write_jsonl):
    ingest(write_jsonl([profile(id=str(i), name=f"Person {i}") for i in range(12)]))
    with app.app_context():
        index_store().rebuild(sessions(), procs=1)
    sizes = []
    for i in range(6):
        ingest(write_jsonl([profile(id=f"new-{i}", name=f"Newcomer {i}")]))
        with app.app_context():
            sizes.append(index_store().segment_sizes())
            search_engine().invalidate()
            assert [b.size for b, _ in search_engine().snapshot().blocks] == [12, i + 1]
    # Whoosh's own policy would merge the base's segment with the small ones and reorder
    # them, and every process would then read the whole index again.
    assert sizes[3] == [12, 1, 1, 1, 1]
    assert sizes[4] == [12, 5]  # four small segments and the new one, merged in order
    assert sizes[5] == [12, 5, 1]
    assert live_bases(app) == ["columns-000001"]
    assert len(names(client, near="10001", per_page=50)) == 18


def test_segments_past_the_bound_get_a_new_base_and_old_ones_go(
    app, client, ingest, write_jsonl, monkeypatch
):
    monkeypatch.setattr(columns, "TAIL_DOCS", 0)
    monkeypatch.setattr(columns, "TAIL_SHARE", 0.0)
    for round_ in range(4):
        ingest(write_jsonl([profile(id=f"{round_}-{i}", name=f"P{round_}{i}") for i in range(3)]))
    assert live_bases(app) == ["columns-000004", "columns-000003"]
    with app.app_context():
        search_engine().invalidate()
        [(block, _)] = search_engine().snapshot().blocks
        assert block.size == 12
    assert len(names(client, near="10001", per_page=50)) == 12


def test_a_following_process_opens_each_edit_before_its_next_search(
    app, client, ingest, write_jsonl
):
    ingest(write_jsonl([profile(id="a", name="Ana First")]))
    with app.app_context():
        engine = search_engine()
        before = engine.snapshot()
        engine.follow(interval=0.02)
        try:
            ingest(write_jsonl([profile(id="b", name="Bea Second")]))
            deadline = time.monotonic() + 10
            while engine.snapshot() is before and time.monotonic() < deadline:
                time.sleep(0.02)
            after = engine.snapshot()
            # Opened and warmed in the background: the search takes it as it is.
            assert after is not before and after.doc_count == 2
            assert after.warmed
            assert sorted(names(client, near="10001")) == ["Ana First", "Bea Second"]
        finally:
            engine.stop_following()


def test_two_indexes_in_one_process_never_share_columns(app, client, ingest, write_jsonl, tmp_path):
    # Both have gen-000001/columns-000001: what they hold must not be mixed up.
    other = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "INDEX_DIR": str(tmp_path / "other-index"),
            "RATE_LIMIT": "",
        },
        instance_path=str(tmp_path / "other"),
    )
    ingest(write_jsonl([profile(id="a", name="Ana First")]))
    assert names(client, near="10001") == ["Ana First"]
    ingest(write_jsonl([profile(id="b", name="Bo Second")]))
    result = other.test_cli_runner().invoke(args=["index", "sync"])
    assert result.exit_code == 0, result.output
    assert live_bases(app) == live_bases(other) == ["columns-000001"]
    assert names(other.test_client(), near="10001") == ["Ana First", "Bo Second"]
    with app.app_context():
        search_engine().invalidate()  # an ingest in this process: look again at once
    assert names(client, near="10001") == ["Ana First", "Bo Second"]
    other.extensions["directory.engine"].dispose()


def test_an_index_without_columns_is_still_searched_and_a_sync_writes_them(
    app, client, ingest, write_jsonl, runner, caplog, monkeypatch
):
    ingest(write_jsonl([profile(id=str(i), name=f"Person {i}") for i in range(12)]))
    with app.app_context():
        index_store().rebuild(sessions(), procs=1)
        for path in bases(index_store().root / index_store().current()):
            for file in path.iterdir():
                file.unlink()
            path.rmdir()
    monkeypatch.setattr(columns, "TAIL_DOCS", 5)
    with app.app_context():
        search_engine().invalidate()
        search_engine()._snapshot = None
    assert len(names(client, near="10001", per_page=50)) == 12
    assert "flask index sync" in caplog.text
    result = runner.invoke(args=["index", "sync"])
    assert result.exit_code == 0, result.output
    assert live_bases(app) == ["columns-000001"]
