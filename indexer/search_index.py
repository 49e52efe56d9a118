"""The Whoosh index: its schema, its generations, and how it follows the database.

Layout of an index directory::

    CURRENT              name of the live generation, replaced atomically
    gen-000001/          a complete Whoosh index plus state.json (the change id it reflects)
    .lock                serialises writers on this node (sync, and the switch of a rebuild)

`rebuild` builds a new generation beside the live one and switches CURRENT when it is complete,
so searches never see a half-built index. `sync` applies the change log to the live generation.
Only this module and the search layer import Whoosh.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from whoosh import index as whoosh_index
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema
from whoosh.multiproc import MpWriter
from whoosh.qparser import AndGroup, MultifieldParser

from .analysis import FoldingTokenizer, LeanCodec
from .geo import cell_terms
from .models import Change, License, Office, Therapist

# Stemmed and accent-folded: "Núñez" finds "nunez", "couples" finds "couple".
TEXT_ANALYZER = FoldingTokenizer(stem=True)
# Names are not stemmed ("Rivers" is not "River") and keep every word, only folded.
NAME_ANALYZER = FoldingTokenizer(stem=False, stoplist=frozenset(), minsize=1)

# The `kw` field holds every structured attribute as one term ("specialty:polyamory",
# "flag:couples", "cell:4:dr5r"), so that a document costs one field, and a filter or a facet
# count is a set of documents per term.
def build_schema() -> Schema:
    """The index schema. Nothing is stored that the database already holds, except what the
    search layer needs for every document without a database round trip (`doc`)."""
    return Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=NAME_ANALYZER, field_boost=2.0),
        # Bios without positions: they were 30% of indexing time. A phrase in a query is
        # matched on `name` (with positions) and as taxonomy terms; in bios, as its words.
        body=TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        kw=KEYWORD(commas=True, lowercase=False),
        # "id|fee_min|lat,lon;lat,lon": read for every document at once when a searcher
        # opens (a column is read in bulk; stored fields are unpickled one by one, 50x slower).
        doc=COLUMN(VarBytesColumn()),
    )


def kw_term(prefix: str, value: Any) -> str:
    """One structured term: lowercased, without the commas that separate terms."""
    return f"{prefix}:{str(value).replace(',', ' ').strip().lower()}"


def document(t: dict[str, Any], offices: list[dict[str, Any]]) -> dict:
    """The index document of one therapist row (a mapping of Therapist columns)."""
    placed = [o for o in offices if o["lat"] is not None]
    licensed = set(t["telehealth_states"] or ()) | set(t.get("license_states") or ())
    tags = t["tags"] or []
    flags = {
        "couples": t["sees_couples"], "video": t["offers_video"],
        "intro_video": t["video_url"], "accepting": t["accepting_new_clients"],
        "free_consultation": t["free_consultation"], "sliding_scale": t["sliding_scale"],
    }
    kw = [kw_term("flag", name) for name, on in flags.items() if on]
    for prefix, values in (
        ("specialty", t["specialties"]), ("modality", t["modalities"]),
        ("client_type", t["client_types"]), ("format", t["session_formats"]),
        ("language", t["languages"]), ("insurance", t["insurance"]),
        ("licensed", licensed), ("office_state", {o["state"] for o in offices if o["state"]}),
        ("tag", tags),
        ("cell", {c for o in placed for c in cell_terms(o["lat"], o["lon"])}),
    ):
        kw.extend(kw_term(prefix, v) for v in values or () if v)
    # Taxonomy terms are matched as `kw` terms (the search layer maps words and synonyms to
    # them); the therapist's own words for unknown terms stay searchable as text.
    return {
        "id": str(t["id"]),
        "name": t["name"],
        "body": " ".join(filter(None, (t["bio"], t["approach"], *tags))),
        "kw": ",".join(sorted(set(kw))),
        "doc": encode_doc(t["id"], t["fee_min"], [(o["lat"], o["lon"]) for o in placed]),
    }


def encode_doc(therapist_id: int, fee_min: int | None, offices: list[tuple[float, float]]
               ) -> bytes:
    """The per-document column value: id, lowest fee, office coordinates."""
    coords = ";".join(f"{lat:.5f},{lon:.5f}" for lat, lon in offices)
    return f"{therapist_id}|{'' if fee_min is None else fee_min}|{coords}".encode()


def decode_doc(value: bytes) -> tuple[int, int | None, tuple[tuple[float, float], ...]]:
    """The inverse of encode_doc."""
    tid, fee, coords = value.decode().split("|")
    offices = tuple(tuple(map(float, pair.split(","))) for pair in coords.split(";") if pair)
    return int(tid), (int(fee) if fee else None), offices


def _writer_args(limitmb: int) -> dict[str, Any]:
    # Separate files, not one compound file: every searcher process would otherwise map the
    # whole index into memory (~900 MB at 100k profiles).
    return {"compound": False, "limitmb": limitmb, "codec": LeanCodec()}


@dataclass
class SyncResult:
    """What one sync did."""

    generation: str
    applied: int
    change_id: int
    seconds: float


class IndexStore:
    """The generations of one node's index directory."""

    def __init__(self, index_dir: str | os.PathLike) -> None:
        self.root = Path(index_dir)

    # -- generations -------------------------------------------------------------------
    def current(self) -> str | None:
        """Name of the live generation, or None before the first build."""
        try:
            return (self.root / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def generation_path(self, name: str) -> Path:
        return self.root / name

    def open(self, name: str | None = None) -> whoosh_index.Index:
        """The Whoosh index of a generation (the live one by default)."""
        name = name or self.current()
        if name is None:
            raise FileNotFoundError(f"no index generation in {self.root}; run `index rebuild`")
        return whoosh_index.open_dir(str(self.root / name))

    def state(self, name: str) -> dict[str, Any]:
        try:
            return json.loads((self.root / name / "state.json").read_text())
        except FileNotFoundError:
            return {"change_id": 0}

    def _write_state(self, name: str, **state: Any) -> None:
        path = self.root / name / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**self.state(name), **state}))
        os.replace(tmp, path)

    def _switch(self, name: str) -> None:
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(name + "\n")
        os.replace(tmp, self.root / "CURRENT")

    def _new_generation(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        (self.root / name).mkdir()
        whoosh_index.create_in(str(self.root / name), build_schema())
        return name

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One writer per node: sync and the switch of a rebuild take this lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def status(self) -> dict[str, Any]:
        """Live generation, its document count and the change id it reflects."""
        name = self.current()
        if name is None:
            return {"generation": None, "documents": 0, "change_id": 0}
        ix = self.open(name)
        try:
            return {"generation": name, "documents": ix.doc_count(), **self.state(name)}
        finally:
            ix.close()

    def search_ids(self, text: str, limit: int = 100) -> list[int]:
        """Therapist ids whose name or text match `text` (a plain check for operators
        and tests; the search layer does the real ranking)."""
        ix = self.open()
        try:
            parser = MultifieldParser(["name", "body"], ix.schema, group=AndGroup)
            with ix.searcher() as searcher:
                hits = searcher.search(parser.parse(text), limit=limit)
                return [int(hit["id"]) for hit in hits]
        finally:
            ix.close()

    # -- building ----------------------------------------------------------------------
    def rebuild(
        self,
        sessions: sessionmaker[Session],
        procs: int = 2,
        before_switch: Callable[[str], None] | None = None,
    ) -> SyncResult:
        """Build a new generation from the database, catch it up, and switch to it.

        `before_switch(name)` runs once the new generation is complete but not yet live.
        """
        started = time.perf_counter()
        name = self._new_generation()
        with sessions() as session:
            snapshot = session.scalar(select(func.max(Change.id))) or 0
            ix = self.open(name)
            writer = ChunkedWriter(ix, procs=procs, processes=procs > 1)
            try:
                for doc in self._documents(session, Therapist.published.is_(True)):
                    writer.add(doc)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            finally:
                ix.close()
            count = writer.documents
        self._write_state(name, change_id=snapshot, built_at=time.time())
        if before_switch is not None:
            before_switch(name)
        with self.lock():
            # Changes committed while we built are applied before anyone searches this one.
            self._apply_changes(sessions, name)
            old = self.current()
            self._switch(name)
        self._prune(keep={name, old})
        return SyncResult(name, count, self.state(name)["change_id"], time.perf_counter() - started)

    def sync(self, sessions: sessionmaker[Session]) -> SyncResult:
        """Apply the database's change log to the live generation (built first if missing)."""
        if self.current() is None:
            # Writer processes only pay for themselves on large builds.
            return self.rebuild(sessions, procs=2 if self.pending(sessions) > 5000 else 1)
        started = time.perf_counter()
        with self.lock():
            name = self.current()
            applied = self._apply_changes(sessions, name)
        seconds = time.perf_counter() - started
        return SyncResult(name, applied, self.state(name)["change_id"], seconds)

    def pending(self, sessions: sessionmaker[Session]) -> int:
        """How many change-log rows the live generation has not applied yet."""
        name = self.current()
        since = self.state(name)["change_id"] if name else 0
        with sessions() as session:
            return session.scalar(select(func.count()).where(Change.id > since)) or 0

    def bulk_writer(self, procs: int = 2) -> BulkWriter:
        """A writer for a large ingest: documents are indexed while the run stores them."""
        return BulkWriter(self, procs)

    def _apply_changes(self, sessions: sessionmaker[Session], name: str, chunk: int = 20000) -> int:
        applied = 0
        since = self.state(name)["change_id"]
        ix = self.open(name)
        try:
            while True:
                with sessions() as session:
                    rows = session.execute(
                        select(Change.id, Change.therapist_id)
                        .where(Change.id > since).order_by(Change.id).limit(chunk)
                    ).all()
                    if not rows:
                        break
                    ids = {r.therapist_id for r in rows}
                    docs = list(self._documents(
                        session, Therapist.published.is_(True), Therapist.id.in_(ids)
                    ))
                writer = ix.writer(**_writer_args(256))
                for tid in ids:
                    writer.delete_by_term("id", str(tid))
                for doc in docs:
                    writer.add_document(**doc)
                writer.commit()
                since = rows[-1].id
                self._write_state(name, change_id=since)
                applied += len(rows)
        finally:
            ix.close()
        return applied

    def _documents(self, session: Session, *where: Any, chunk: int = 2000) -> Iterator[dict]:
        """Index documents for the therapists matching `where`, read in id order, by chunks."""
        columns = [c for c in Therapist.__table__.columns if c.key not in ("content_hash",)]
        last_id = 0
        while True:
            rows = session.execute(
                select(*columns).where(*where, Therapist.id > last_id)
                .order_by(Therapist.id).limit(chunk)
            ).mappings().all()
            if not rows:
                return
            ids = [r["id"] for r in rows]
            offices: dict[int, list[dict]] = {}
            for office in session.execute(
                select(Office.therapist_id, Office.lat, Office.lon, Office.state)
                .where(Office.therapist_id.in_(ids)).order_by(Office.therapist_id, Office.position)
            ).mappings():
                offices.setdefault(office["therapist_id"], []).append(office)
            license_states: dict[int, set[str]] = {}
            for lic in session.execute(
                select(License.therapist_id, License.state)
                .where(License.therapist_id.in_(ids), License.state.is_not(None))
            ):
                license_states.setdefault(lic.therapist_id, set()).add(lic.state)
            for row in rows:
                t = dict(row, license_states=license_states.get(row["id"], ()))
                yield document(t, offices.get(row["id"], []))
            last_id = ids[-1]

    def _prune(self, keep: set[str | None]) -> None:
        # Open searchers keep their files alive (POSIX), so older generations can go at once.
        for path in self.root.glob("gen-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)


class _YieldingMpWriter(MpWriter):
    """Writer processes at a lower CPU priority than the process feeding them.

    During an ingest the feeding process (validation, geocoding, the database) is the serial
    part; the writers catch up with whatever CPU is left and finish on every core at the end.
    """

    def _new_task(self):
        task = super()._new_task()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, task.pid, 10)
        return task


class ChunkedWriter:
    """Adds documents, committing one segment per writer every `chunk` documents.

    Past its memory limit a Whoosh writer spills sorted runs to disk and merges them, which
    made a 10,000-document segment 1.7x slower per document than two of 5,000 here.
    """

    def __init__(self, ix: whoosh_index.Index, procs: int, processes: bool,
                 chunk: int = 5000) -> None:
        self.ix, self.procs, self.processes = ix, procs, processes
        self.chunk = chunk * procs
        self.documents = 0
        self._in_chunk = 0
        self._writer = self._open()

    def _open(self) -> Any:
        args = _writer_args(160)
        if self.processes:
            return _YieldingMpWriter(self.ix, procs=self.procs, multisegment=True,
                                     subargs=args, **args)
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

    def delete(self, doc_id: str) -> None:
        """Delete committed documents with this id."""
        self._writer.delete_by_term("id", doc_id)

    def commit(self) -> None:
        self._writer.commit(merge=False)

    def cancel(self) -> None:
        self._writer.cancel()


class BulkWriter:
    """Indexes a large ingest's documents as it stores them, in writer processes.

    Holds the node's index lock from start to finish, so no sync interleaves. Searches keep
    answering from the live generation's committed segments until `finish` commits. With no
    live generation yet, it builds a new one and switches to it at the end.
    """

    def __init__(self, store: IndexStore, procs: int) -> None:
        self.store = store
        self._lock = store.lock()
        self._lock.__enter__()
        try:
            self.name = store.current()
            self.created = self.name is None
            if self.created:
                self.name = store._new_generation()
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

    def add(self, rows: list[tuple[dict, list[dict]]], replaced: list[int]) -> None:
        """Index therapist rows with their offices; `replaced` ids had older documents."""
        for tid in replaced:
            if str(tid) in self.pending:
                # Added in this chunk: not committed yet, so not deletable; fixed up at the end.
                self.redo.add(tid)
            else:
                self.writer.delete(str(tid))
        for row, offices in rows:
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
                self.store._write_state(self.name, change_id=last)
            # Changes this run did not write itself (another writer's) are applied normally.
            self.store._apply_changes(sessions, self.name)
            if self.created:
                self.store._switch(self.name)
        finally:
            self.ix.close()
            self._lock.__exit__(None, None, None)
        return SyncResult(self.name, self.documents, self.store.state(self.name)["change_id"],
                          time.perf_counter() - self.started)

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
        writer = self.ix.writer(**_writer_args(64))
        with sessions() as session:
            for tid in self.redo:
                writer.delete_by_term("id", str(tid))
            for doc in self.store._documents(session, Therapist.published.is_(True),
                                             Therapist.id.in_(self.redo)):
                writer.add_document(**doc)
        writer.commit()
