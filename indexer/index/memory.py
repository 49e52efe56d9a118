"""A snapshot of documents indexed in memory, with the real schema, analysis and codec.

For unit tests and reference checks of the search layer: the same Snapshot the service
searches, without a directory on disk or a database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from whoosh.filedb.filestore import RamStorage

from .analysis import LeanCodec
from .schema import build_schema
from .snapshot import Snapshot

_names = itertools.count(1)


def memory_snapshot(
    documents: Iterable[dict[str, Any]], *, segments: int = 1, deleted: Iterable[str] = ()
) -> Snapshot:
    """A snapshot over an in-memory index of `documents` (as `schema.document` makes them),
    written as `segments` segments, with the documents of the `deleted` ids deleted after, as
    an index that has been synced looks."""
    ix = RamStorage().create_index(build_schema())
    docs = list(documents)
    size = max(1, -(-len(docs) // segments))
    for start in range(0, max(1, len(docs)), size):
        writer = ix.writer(codec=LeanCodec())
        for doc in docs[start : start + size]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    gone = list(deleted)
    if gone:
        writer = ix.writer(codec=LeanCodec())
        for doc_id in gone:
            writer.delete_by_term("id", doc_id)
        writer.commit(merge=False)
    # A name of its own, so the per-segment cache never mixes two of them up.
    return Snapshot.open(ix.searcher(), f"memory-{next(_names)}")
