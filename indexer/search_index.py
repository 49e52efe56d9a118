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
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.fields import BOOLEAN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.support.charset import accent_map

from .geo import cell_terms
from .models import Change, License, Office, Therapist

# Stemmed and accent-folded: "Núñez" finds "nunez", "couples" finds "couple".
TEXT_ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)
# Names are not stemmed ("Rivers" is not "River"), only folded.
NAME_ANALYZER = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)

KEYWORD_FIELDS = (
    "specialty", "modality", "client_type", "format", "language", "insurance",
    "licensed", "office_state", "tag",
)


def build_schema() -> Schema:
    """The index schema. Nothing is stored that the database already holds, except what the
    search layer needs per hit without a database round trip (id and office coordinates)."""
    keyword = {name: KEYWORD(commas=True, lowercase=False) for name in KEYWORD_FIELDS}
    return Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=NAME_ANALYZER, field_boost=2.0),
        terms=TEXT(analyzer=TEXT_ANALYZER, field_boost=1.5, phrase=False),
        body=TEXT(analyzer=TEXT_ANALYZER),
        cell=KEYWORD(commas=False),
        couples=BOOLEAN(),
        video=BOOLEAN(),
        intro_video=BOOLEAN(),
        accepting=BOOLEAN(),
        free_consultation=BOOLEAN(),
        sliding_scale=BOOLEAN(),
        fee_min=NUMERIC(int, bits=32, signed=False),
        # "lat,lon;lat,lon" of the offices that could be placed, for distances per hit.
        offices=STORED(),
        **keyword,
    )


def _join(values: Any) -> str:
    return ",".join(str(v).replace(",", " ").lower() for v in values or () if v)


def document(t: dict[str, Any], offices: list[dict[str, Any]], labels: Callable) -> dict:
    """The index document of one therapist row (a mapping of Therapist columns)."""
    placed = [o for o in offices if o["lat"] is not None]
    cells = sorted({c for o in placed for c in cell_terms(o["lat"], o["lon"])})
    licensed = set(t["telehealth_states"] or ()) | set(t.get("license_states") or ())
    tags = t["tags"] or []
    term_words = [labels(t)] + list((t["term_sources"] or {}).values()) + tags
    doc = {
        "id": str(t["id"]),
        "name": t["name"],
        "terms": " ".join(term_words),
        "body": " ".join(filter(None, (t["bio"], t["approach"]))),
        "cell": " ".join(cells),
        "couples": bool(t["sees_couples"]),
        "video": bool(t["offers_video"]),
        "intro_video": bool(t["video_url"]),
        "accepting": bool(t["accepting_new_clients"]),
        "free_consultation": bool(t["free_consultation"]),
        "sliding_scale": bool(t["sliding_scale"]),
        "offices": ";".join(f"{o['lat']:.5f},{o['lon']:.5f}" for o in placed),
        "specialty": _join(t["specialties"]),
        "modality": _join(t["modalities"]),
        "client_type": _join(t["client_types"]),
        "format": _join(t["session_formats"]),
        "language": _join(t["languages"]),
        "insurance": _join(t["insurance"]),
        "licensed": _join(sorted(licensed)),
        "office_state": _join(sorted({o["state"] for o in offices if o["state"]})),
        "tag": _join(tags),
    }
    if t["fee_min"] is not None:
        doc["fee_min"] = int(t["fee_min"])
    return doc


@dataclass
class SyncResult:
    """What one sync did."""

    generation: str
    applied: int
    change_id: int
    seconds: float


class IndexStore:
    """The generations of one node's index directory."""

    def __init__(self, index_dir: str | os.PathLike, labels: Callable[[dict], str]) -> None:
        self.root = Path(index_dir)
        self.labels = labels  # therapist row -> the taxonomy labels of its terms, as text

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
        """Therapist ids whose name, terms or text match `text` (a plain check for operators
        and tests; the search layer does the real ranking)."""
        ix = self.open()
        try:
            parser = MultifieldParser(["name", "terms", "body"], ix.schema, group=AndGroup)
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
            writer = (
                ix.writer(procs=procs, multisegment=True, limitmb=128,
                          subargs={"compound": False, "limitmb": 128}, compound=False)
                if procs > 1 else ix.writer(compound=False, limitmb=256)
            )
            count = 0
            for doc in self._documents(session, Therapist.published.is_(True)):
                writer.add_document(**doc)
                count += 1
            writer.commit(merge=False)
            ix.close()
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
            return self.rebuild(sessions)
        started = time.perf_counter()
        with self.lock():
            name = self.current()
            applied = self._apply_changes(sessions, name)
        return SyncResult(name, applied, self.state(name)["change_id"], time.perf_counter() - started)

    def pending(self, sessions: sessionmaker[Session]) -> int:
        """How many change-log rows the live generation has not applied yet."""
        name = self.current()
        since = self.state(name)["change_id"] if name else 0
        with sessions() as session:
            return session.scalar(select(func.count()).where(Change.id > since)) or 0

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
                writer = ix.writer(compound=False, limitmb=256)
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
                yield document(t, offices.get(row["id"], []), self.labels)
            last_id = ids[-1]

    def _prune(self, keep: set[str | None]) -> None:
        # Open searchers keep their files alive (POSIX), so older generations can go at once.
        for path in self.root.glob("gen-*"):
            if path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
