"""The Whoosh internals the index relies on (indexer/index/internals.py), checked against
Whoosh's own public answers on the pinned 2.7.4: an upgrade that changes them fails here
instead of returning wrong scores."""

from __future__ import annotations

import os

import pytest
import whoosh
from whoosh.filedb.filestore import RamStorage

from indexer.index.analysis import LeanCodec
from indexer.index.internals import (
    YieldingMpWriter,
    field_length_array,
    leaf_posting_ids,
    leaf_postings,
)
from indexer.index.schema import build_schema

BIOS = [
    "couples couples couples therapy in brooklyn",
    "anxiety and couples",
    "trauma informed anxiety care with anxiety groups",
    "grief",
    "couples",
    "polyamory kink and couples work over many many sessions with partners",
]


def test_the_pinned_whoosh_is_installed():
    assert whoosh.versionstring() == "2.7.4"


@pytest.fixture
def reader():
    """Three segments, one with a deletion: the shapes a live index has."""
    ix = RamStorage().create_index(build_schema())
    for chunk in (BIOS[:2], BIOS[2:4], BIOS[4:]):
        writer = ix.writer(codec=LeanCodec())
        for i, bio in enumerate(chunk):
            doc_id = str(BIOS.index(bio))
            writer.add_document(id=doc_id, name=f"n{i}", body=bio, kw="flag:x", doc=b"1||")
        writer.commit(merge=False)
    writer = ix.writer(codec=LeanCodec())
    writer.delete_by_term("id", "1")
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        yield searcher.reader()


def test_leaf_postings_give_whoosh_postings_with_their_frequencies(reader):
    assert len(list(reader.leaf_readers())) == 3
    deleted = set(range(reader.doc_count_all())) - set(reader.all_doc_ids())
    assert deleted
    for term in reader.field_terms("body"):
        public = {}
        matcher = reader.postings("body", term)
        while matcher.is_active():
            public[matcher.id()] = matcher.weight()
            matcher.next()
        ours = {
            doc + offset: freq
            for leaf, offset in reader.leaf_readers()
            for doc, freq in zip(*map(list, leaf_postings(leaf, "body", term)), strict=True)
            if doc + offset not in deleted
        }
        assert ours == public, term


def test_field_lengths_give_whoosh_document_lengths(reader):
    for leaf, _ in reader.leaf_readers():
        lengths = field_length_array(leaf, "body").tolist()
        assert len(lengths) == leaf.doc_count_all()
        assert lengths == [leaf.doc_field_length(d, "body", 0) for d in range(leaf.doc_count_all())]
        assert any(lengths)


def test_leaf_posting_ids_give_every_document_of_a_term_deleted_or_not(reader):
    for leaf, _ in reader.leaf_readers():
        public = sorted(leaf.postings("kw", "flag:x").all_ids())
        deleted = set(leaf.segment().deleted_docs())
        ours = leaf_posting_ids(leaf, "kw", "flag:x").tolist()
        assert sorted(set(ours) - deleted) == public


def test_writer_processes_start_through_the_overridden_hook(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(os, "setpriority", lambda which, pid, value: started.append((pid, value)))
    from whoosh import index

    ix = index.create_in(str(tmp_path), build_schema())
    writer = YieldingMpWriter(ix, procs=2, multisegment=True, codec=LeanCodec())
    # 300 documents are 3 batches of Whoosh's 100: both writer processes start.
    for i, bio in enumerate(BIOS * 50):
        writer.add_document(id=str(i), name="n", body=bio, kw="flag:x", doc=b"1||")
    writer.commit(merge=False)
    assert [value for _, value in started] == [10, 10]
    assert len({pid for pid, _ in started} - {os.getpid()}) == 2
    assert ix.doc_count() == len(BIOS) * 50
