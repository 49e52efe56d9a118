"""Writing documents into a generation: chunked segments, writer processes, bulk ingests."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from whoosh.index import Index
from whoosh.reading import SegmentReader

from ..models import Change, Therapist
from . import columns
from .analysis import LeanCodec
from .documents import SHOWN, documents
from .internals import YieldingMpWriter
from .schema import document

if TYPE_CHECKING:
    from .generations import IndexStore


@dataclass
class SyncResult:
    """What one write to a generation did (a sync, a rebuild, a bulk ingest)."""

    generation: str
    applied: int
    change_id: int
    seconds: float


def writer_args(limitmb: int) -> dict[str, Any]:
    """Arguments of every Whoosh writer here."""
    # Separate files, not one compound file: every searcher process would otherwise map the
    # whole index into memory (~900 MB at 100k profiles).
    return {"compound": False, "limitmb": limitmb, "codec": LeanCodec()}


class ChunkedWriter:
    """Adds documents, committing one segment per writer every `chunk` documents.

    Past its memory limit a Whoosh writer spills sorted runs to disk and merges them, which
    made a 10,000-document segment 1.7x slower per document than two of 5,000 here.
    """

    def __init__(self, ix: Index, procs: int, processes: bool, chunk: int = 5000) -> None:
        self.ix, self.procs, self.processes = ix, procs, processes
        self.chunk = chunk * procs
        self.documents = 0
        self._in_chunk = 0
        self._writer = self._open()

    def _open(self) -> Any:
        args = writer_args(160)
        if self.processes:
            return YieldingMpWriter(
                self.ix, procs=self.procs, multisegment=True, subargs=args, **args
            )
        return self.ix.writer(**args)

    def add(self, doc: dict) -> bool:
        """Add one document; True when that closed a chunk (everything so far is committed)."""
        self._writer.add_document(**doc)
        self.documents += 1
        self._in_chunk += 1
        if self._in_chunk < self.chunk:
            return False
        self._writer.commit(merge=False)
        self._writer, self._in_chunk = self._open(), 0
        return True

    def delete(self, doc_ids: Iterable[str]) -> None:
        """Delete committed documents with these ids."""
        delete_ids(self._writer, doc_ids)

    def commit(self) -> None:
        self._writer.commit(merge=False)

    def cancel(self) -> None:
        self._writer.cancel()


# Whoosh's default merge policy sorts the segments by size and merges the smallest until a
# Fibonacci bound: on a bulk-built index of 5,000-document segments that merges about twenty
# of them (100,000 documents, seconds) on every small write, and the reordered segments no
# longer start with the ones the generation's columns base covers, so every process reads the
# whole index again and the next base is written from scratch (minutes at a million).
# Writes after a bulk build therefore merge only the small segments at the end, in order.
TAIL_MERGE_SEGMENTS = 4  # merge the small segments at the end once there are this many
TAIL_MERGE_DOCS = 10_000  # ... holding at most this many documents in all


def merge_tail(generation: Path) -> Callable[[Any, list], list]:
    """A Whoosh merge policy for the writes to a generation after its build: the segments its
    newest columns base covers are never merged; of those after them, a run of small segments
    at the end is merged with the new documents, which keeps the segments' order."""

    def policy(writer: Any, segments: list) -> list:
        base = columns.newest_base(generation, [s.segment_id() for s in segments])
        start = end = len(segments)
        total = 0
        covered = len(columns.read_segments(base) or ()) if base is not None else 0
        while start > covered and total + segments[start - 1].doc_count_all() <= TAIL_MERGE_DOCS:
            start -= 1
            total += segments[start].doc_count_all()
        if end - start < TAIL_MERGE_SEGMENTS:
            return list(segments)
        for segment in segments[start:]:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            writer.add_reader(reader)
            reader.close()
        return list(segments[:start])

    return policy


def delete_ids(writer: Any, ids: Iterable[int | str]) -> None:
    """Delete the committed documents of therapist `ids` through one searcher: Whoosh's
    `delete_by_term` opens a searcher over every segment per call when given none, which
    made 10,000 deletions in an index of 100 segments take over ten minutes."""
    with writer.searcher() as searcher:
        for tid in ids:
            writer.delete_by_term("id", str(tid), searcher=searcher)


def replace_documents(ix: Index, ids: set[int], docs: list[dict], generation: Path) -> None:
    """Delete the documents of `ids` and add `docs` in one commit to the generation's index."""
    writer = ix.writer(**writer_args(256))
    delete_ids(writer, ids)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit(mergetype=merge_tail(generation))


class BulkWriter:
    """Indexes a large ingest's documents as it stores them, in writer processes.

    Holds the node's index lock from start to finish, so no sync interleaves. Searches keep
    answering from the live generation's committed segments until `finish` commits. With no
    live generation yet, it builds a new one and switches to it at the end.
    """

    def __init__(self, store: IndexStore, procs: int, lock_timeout: float | None = None) -> None:
        self.store = store
        self._lock = store.lock(lock_timeout)
        self._lock.__enter__()
        try:
            current = store.current()
            self.created = current is None
            self.name = store.new_generation() if current is None else current
            self.start_change = store.state(self.name)["change_id"]
            self.ix = store.open(self.name)
            # Writer processes even for procs=1: the ingest keeps this process busy.
            self.writer = ChunkedWriter(self.ix, procs=max(1, procs), processes=True)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self.pending: set[str] = set()  # added since the last chunk commit
        self.redo: set[int] = set()
        self.started = time.perf_counter()

    @property
    def documents(self) -> int:
        return self.writer.documents

    def add(
        self, rows: list[tuple[dict, list[dict]]], replaced: list[int], redo: Iterable[int] = ()
    ) -> None:
        """Index therapist rows with their offices; `replaced` ids had older documents;
        `redo` ids are indexed again from the database at the end (their state changed with
        others': indexer/people.py)."""
        self.redo.update(redo)
        # Added in this chunk: not committed yet, so not deletable; fixed up at the end.
        self.redo.update(tid for tid in replaced if str(tid) in self.pending)
        committed = [str(tid) for tid in replaced if str(tid) not in self.pending]
        if committed:
            self.writer.delete(committed)
        for row, offices in rows:
            if row.get("merged_into"):
                continue  # shown as another profile of the same person
            doc = document(row, offices)
            if doc["id"] in self.pending:
                continue
            if self.writer.add(doc):
                self.pending.clear()
            else:
                self.pending.add(doc["id"])

    def finish(self, sessions: sessionmaker[Session], changes_written: int) -> SyncResult:
        """Commit, record the change log position, apply anything else, and go live."""
        try:
            self.writer.commit()
            self._fix_up(sessions)
            with sessions() as session:
                newer, last = session.execute(
                    select(func.count(), func.max(Change.id)).where(Change.id > self.start_change)
                ).one()
            if newer == changes_written and last is not None:
                self.store.write_state(self.name, change_id=last)
            # Changes this run did not write itself (another writer's) are applied normally.
            self.store.apply_changes(sessions, self.name)
            self.store.write_columns(self.name)
            if self.created:
                self.store.switch(self.name)
        finally:
            self.ix.close()
            self._lock.__exit__(None, None, None)
        return SyncResult(
            self.name,
            self.documents,
            self.store.state(self.name)["change_id"],
            time.perf_counter() - self.started,
        )

    def cancel(self) -> None:
        """Abandon uncommitted documents (the change log still has them for the next sync)."""
        try:
            self.writer.cancel()
        finally:
            self.ix.close()
            self._lock.__exit__(None, None, None)
            if self.created:
                shutil.rmtree(self.store.root / self.name, ignore_errors=True)

    def _fix_up(self, sessions: sessionmaker[Session]) -> None:
        if not self.redo:
            return
        with sessions() as session:
            docs = list(documents(session, SHOWN, Therapist.id.in_(self.redo)))
        replace_documents(self.ix, self.redo, docs, self.store.root / self.name)
