"""This node's index directory: its generations, and how it follows the database.

Layout of an index directory::

    CURRENT              name of the live generation, replaced atomically
    HEARTBEAT            the follower's (`index sync --follow`) last beat: time, position, pid
    gen-000001/          a complete Whoosh index plus state.json (the change id it reflects)
    .lock                serialises writers on this node (sync, bulk ingests, the switch of
                         a rebuild) and records who holds it (locking.py)

`rebuild` builds a new generation beside the live one and switches CURRENT when it is complete,
so searches never see a half-built index. `sync` applies the change log to the live generation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from whoosh import index as whoosh_index
from whoosh.qparser import AndGroup, MultifieldParser

from ..models import Change, Therapist
from . import columns
from .columns import newest_base, read_segments, write_base
from .documents import SHOWN, documents
from .errors import IndexUnreadable, NoIndexYet
from .locking import node_lock
from .schema import build_schema
from .writers import BulkWriter, ChunkedWriter, SyncResult, replace_documents

GENERATION = re.compile(r"gen-\d{6}")


class IndexStore:
    """The generations of one node's index directory."""

    def __init__(
        self,
        index_dir: str | os.PathLike,
        *,
        lock_timeout: float | None = None,
        on_wait: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """`lock_timeout`: seconds a writer waits for the node's lock before IndexLocked
        (None: for ever); `on_wait` hears once whom a writer waits for."""
        self.root = Path(index_dir)
        self.lock_timeout = lock_timeout
        self.on_wait = on_wait

    # -- generations -------------------------------------------------------------------
    def current(self, strict: bool = True) -> str | None:
        """Name of the live generation, or None before the first build. IndexUnreadable when
        CURRENT names anything but a generation folder of this index (with `strict`; else
        None, for the writers that replace it)."""
        try:
            name = (self.root / "CURRENT").read_text(errors="replace").strip()
        except FileNotFoundError:
            return None
        if GENERATION.fullmatch(name) and (self.root / name).is_dir():
            return name
        if not strict:
            return None
        raise IndexUnreadable(
            f"CURRENT in {self.root} names {name[:60]!r}, which is not a generation of this "
            "index; run `flask index rebuild`."
        )

    def open(self, name: str | None = None) -> whoosh_index.Index:
        """The Whoosh index of a generation (the live one by default). Never anything but a
        generation folder of this index: Whoosh unpickles what it finds there."""
        name = name or self.current()
        if name is None:
            raise NoIndexYet(f"no index generation in {self.root}; run `flask index rebuild`")
        if not GENERATION.fullmatch(name):
            raise IndexUnreadable(f"{name[:60]!r} is not a generation name")
        return whoosh_index.open_dir(str(self.root / name))

    def state(self, name: str) -> dict[str, Any]:
        """A generation's state.json: the change id it reflects, when it was built."""
        try:
            return json.loads((self.root / name / "state.json").read_text())
        except FileNotFoundError:
            return {"change_id": 0}

    def write_state(self, name: str, **state: Any) -> None:
        """Update a generation's state.json atomically. A new `change_id` without its
        `change_stamp` forgets the old stamp (see `diverged`)."""
        if "change_id" in state:
            state.setdefault("change_stamp", None)
        path = self.root / name / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**self.state(name), **state}))
        os.replace(tmp, path)

    def switch(self, name: str) -> None:
        """Make `name` the live generation (an atomic rename of CURRENT)."""
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(name + "\n")
        os.replace(tmp, self.root / "CURRENT")

    def new_generation(self) -> str:
        """Create an empty generation beside the others and return its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        (self.root / name).mkdir()
        whoosh_index.create_in(str(self.root / name), build_schema())
        return name

    def write_columns(self, name: str, *, force: bool = False) -> Path | None:
        """Write the generation's columns (columns.py) for the segments its newest base lacks,
        when they have grown (or whenever any are missing, with `force`). Every writer calls
        this after its commits, holding the node's lock (or owning a generation that is not
        live yet); searches then share the arrays."""
        ix = self.open(name)
        try:
            with ix.reader() as reader:
                return write_base(self.root / name, reader, force=force)
        finally:
            ix.close()

    def columns_missing(self, name: str, reader: Any) -> bool:
        """Whether the generation's segments hold many documents its newest base lacks."""
        leaves = [leaf for leaf, _ in reader.leaf_readers() if leaf.segment() is not None]
        base = newest_base(self.root / name, [leaf.segment().segment_id() for leaf in leaves])
        covered = len(read_segments(base) or ()) if base is not None else 0
        return sum(leaf.doc_count_all() for leaf in leaves[covered:]) > columns.TAIL_DOCS

    def lock(self, timeout: float | None = None) -> AbstractContextManager[None]:
        """One writer per node. Waits `timeout` seconds (default: the store's lock_timeout)
        for a writer holding it, then raises IndexLocked naming the holder."""
        wait = self.lock_timeout if timeout is None else timeout
        return node_lock(self.root, wait, self.on_wait)

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

    def segment_sizes(self, name: str | None = None) -> list[int]:
        """The documents (deleted ones included) of each segment of a generation, in order."""
        ix = self.open(name)
        try:
            with ix.reader() as reader:
                return [leaf.doc_count_all() for leaf, _ in reader.leaf_readers()]
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
        lock_timeout: float | None = None,
    ) -> SyncResult:
        """Build a new generation from the database, catch it up, and switch to it.

        `before_switch(name)` runs once the new generation is complete but not yet live.
        """
        started = time.perf_counter()
        name = self.new_generation()
        with sessions() as session:
            snapshot = session.scalar(select(func.max(Change.id))) or 0
            stamp = change_stamp(session, snapshot)
            ix = self.open(name)
            writer = ChunkedWriter(ix, procs=procs, processes=procs > 1)
            try:
                for doc in documents(session, SHOWN):
                    writer.add(doc)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            finally:
                ix.close()
            count = writer.documents
        self.write_columns(name, force=True)  # not live yet: no lock needed
        self.write_state(name, change_id=snapshot, change_stamp=stamp, built_at=time.time())
        if before_switch is not None:
            before_switch(name)
        with self.lock(lock_timeout):
            # Changes committed while we built are applied before anyone searches this one.
            self.apply_changes(sessions, name)
            self.write_columns(name)
            old = self.current(strict=False)
            self.switch(name)
        self._prune(keep={name, old})
        return SyncResult(name, count, self.state(name)["change_id"], time.perf_counter() - started)

    def sync(
        self, sessions: sessionmaker[Session], lock_timeout: float | None = None
    ) -> SyncResult:
        """Apply the database's change log to the live generation (built first if missing).
        IndexLocked when another writer holds the node's lock past `lock_timeout`."""
        name = self.current()
        if name is None:
            # Writer processes only pay for themselves on large builds.
            procs = 2 if self.pending(sessions) > 5000 else 1
            return self.rebuild(sessions, procs=procs, lock_timeout=lock_timeout)
        with sessions() as session:
            if self.diverged(session, name):
                # The database is not the one this index followed (restored from an older
                # backup, or replaced): only a rebuild from it is right.
                return self.rebuild(sessions, procs=2, lock_timeout=lock_timeout)
        started = time.perf_counter()
        with self.lock(lock_timeout):
            name = self.current() or name
            applied = self.apply_changes(sessions, name)
            self.write_columns(name)
        seconds = time.perf_counter() - started
        return SyncResult(name, applied, self.state(name)["change_id"], seconds)

    def pending(self, sessions: sessionmaker[Session]) -> int:
        """How many change-log rows the live generation has not applied yet."""
        name = self.current()
        since = self.state(name)["change_id"] if name else 0
        with sessions() as session:
            return session.scalar(select(func.count()).where(Change.id > since)) or 0

    def diverged(self, session: Session, name: str) -> bool:
        """Whether the database lacks the change this generation's position names, or holds
        another one under its id: after a restore from an older backup (or pointing the node
        at another database) the position means nothing, and following the log from it would
        skip changes and keep profiles the database no longer has."""
        state = self.state(name)
        position = int(state.get("change_id") or 0)
        if position == 0:
            return False
        stamp, known = change_stamp(session, position), state.get("change_stamp")
        return stamp is None or (known is not None and stamp != known)

    def lag(self, session: Session) -> dict[str, Any]:
        """How far the live generation is behind the database: its position, the newest change
        id, the rows between (`changes_behind`) and the age in seconds of the oldest of them
        (`lag_seconds`, 0 when there is none). Change ids are in commit order
        (indexer/changelog.py), so the oldest unapplied change is the one after the position."""
        name = self.current(strict=False)
        position = int(self.state(name)["change_id"]) if name else 0
        latest = session.scalar(select(func.max(Change.id))) or 0
        oldest = session.scalar(
            select(Change.changed_at).where(Change.id > position).order_by(Change.id).limit(1)
        )
        seconds = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:  # SQLite keeps UTC without a zone
                oldest = oldest.replace(tzinfo=UTC)
            seconds = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        return {
            "position": position,
            "latest": latest,
            "changes_behind": max(0, latest - position),
            "lag_seconds": round(seconds, 3),
            "diverged": bool(name) and self.diverged(session, name or ""),
        }

    def write_heartbeat(self, **fields: Any) -> None:
        """The follower's beat: when, which process, and what it says (`status`, `change_id`,
        ...), replaced atomically in HEARTBEAT."""
        beat = {"at": time.time(), "pid": os.getpid(), "host": socket.gethostname(), **fields}
        tmp = self.root / f"HEARTBEAT.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(beat))
        os.replace(tmp, self.root / "HEARTBEAT")

    def heartbeat(self) -> dict[str, Any] | None:
        """The follower's last beat with its age in seconds, or None when no follower ever ran
        on this node (or its file cannot be read)."""
        try:
            beat = json.loads((self.root / "HEARTBEAT").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(beat, dict) or not isinstance(beat.get("at"), int | float):
            return None
        beat["age_seconds"] = round(max(0.0, time.time() - beat["at"]), 3)
        return beat

    def bulk_writer(self, procs: int = 2, lock_timeout: float | None = None) -> BulkWriter:
        """A writer for a large ingest: documents are indexed while the run stores them. It
        holds the node's lock until it finishes."""
        return BulkWriter(self, procs, lock_timeout)

    def apply_changes(self, sessions: sessionmaker[Session], name: str, chunk: int = 20000) -> int:
        """Apply the change-log rows after the generation's position to it; the caller holds
        the lock. Returns how many rows were applied."""
        applied = 0
        since = self.state(name)["change_id"]
        ix = self.open(name)
        try:
            while True:
                with sessions() as session:
                    rows = session.execute(
                        select(Change.id, Change.therapist_id, Change.changed_at)
                        .where(Change.id > since)
                        .order_by(Change.id)
                        .limit(chunk)
                    ).all()
                    if not rows:
                        break
                    ids = {r.therapist_id for r in rows}
                    docs = list(documents(session, SHOWN, Therapist.id.in_(ids)))
                replace_documents(ix, ids, docs, self.root / name)
                since = rows[-1].id
                self.write_state(
                    name,
                    change_id=since,
                    change_stamp=_stamp(rows[-1].therapist_id, rows[-1].changed_at),
                )
                applied += len(rows)
        finally:
            ix.close()
        return applied

    def _prune(self, keep: set[str | None]) -> None:
        # Open searchers keep their files alive (POSIX), so older generations can go at once.
        for path in self.root.glob("gen-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)


def change_stamp(session: Session, change_id: int) -> str | None:
    """What identifies change `change_id` in this database (its therapist and time: to the
    microsecond on PostgreSQL, to the second on SQLite), or None when there is no such
    change."""
    row = session.execute(
        select(Change.therapist_id, Change.changed_at).where(Change.id == change_id)
    ).first()
    return _stamp(row.therapist_id, row.changed_at) if row is not None else None


def _stamp(therapist_id: int, changed_at: datetime) -> str:
    return f"{therapist_id}@{changed_at.isoformat()}"
