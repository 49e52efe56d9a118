"""A large ingest, indexed by writer processes while it stores (indexer/index/writers.py):
what it leaves in the index is what the change log would have, whatever it replaces."""

from __future__ import annotations

import pytest
from whoosh.query import Every

from directory import create_app
from directory.db import sessions
from directory.parts import index_store
from indexer.models import Therapist

from .factories import office, profile
from .test_people import CLINIC, REGISTRY


@pytest.fixture
def app(database_url, tmp_path):
    """The app with every ingest taken as a large one (writer processes, chunked segments)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "RATE_LIMIT": "",
            "BULK_INGEST_BYTES": 1,
        },
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    app.extensions["directory.engine"].dispose()


def indexed_ids(app) -> list[int]:
    """The therapist id of every live document, duplicates kept."""
    ix = index_store().open()
    try:
        with ix.searcher() as searcher:
            return sorted(int(searcher.stored_fields(d)["id"]) for d in Every().docs(searcher))
    finally:
        ix.close()


def shown_ids(app) -> list[int]:
    with sessions()() as s:
        return sorted(t.id for t in s.query(Therapist).filter(Therapist.merged_into.is_(None)))


def many(count: int, bio: str) -> list[dict]:
    return [
        profile(
            id=f"t{n}",
            name=f"Therapist {n}",
            bio=f"{bio} number{n}",
            locations=[office("10001", "New York", "NY")],
        )
        for n in range(count)
    ]


def test_a_large_reingest_replaces_every_document_once(app, ingest, write_jsonl):
    result, summary, _ = ingest(write_jsonl(many(30, "Gottman trained")))
    assert summary["created"] == 30 and summary["index"]["generation"]
    # The same file again with every bio changed: one document per profile, the new words.
    result, summary, _ = ingest(write_jsonl(many(30, "Attachment focused")))
    assert summary["updated"] == 30
    with app.app_context():
        assert indexed_ids(app) == shown_ids(app)
        assert len(index_store().search_ids("attachment")) == 30
        assert index_store().search_ids("gottman") == []


def test_a_profile_twice_in_one_large_file_is_indexed_once_as_its_last_version(
    app, ingest, write_jsonl
):
    records = [
        profile(id="same", bio="first words"),
        *many(5, "filler"),
        profile(id="same", bio="second words"),
    ]
    ingest(write_jsonl(records))
    with app.app_context():
        assert indexed_ids(app) == shown_ids(app)
        assert index_store().search_ids("second") and not index_store().search_ids("first")


def test_one_person_from_two_sources_in_large_ingests_is_one_document(app, ingest, write_jsonl):
    ingest(write_jsonl([REGISTRY], "nppes.jsonl"), source="nppes")
    ingest(write_jsonl([CLINIC], "clinic.jsonl"), source="clinic")
    with app.app_context():
        ids = indexed_ids(app)
        assert ids == shown_ids(app) and len(ids) == 1
