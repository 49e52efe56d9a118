"""The ingest pipeline: read -> validate -> map terms -> store (geocoding new and changed
offices) -> update the index. Generators wrapping generators; writes in batches.

Bad-record policy: a record that cannot be parsed or fails validation is rejected whole and
unchanged, with its file, position and field-level reasons, to the rejects file (JSON Lines) and
the rejects table; the rest of the file still goes in, and read = accepted + rejected.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from .models import IngestRun, Reject, TaxonomySynonym, TaxonomyTerm
from .normalise import content_hash, map_terms
from .readers import RawRecord, file_size, read_records
from .search_index import IndexStore, SyncResult
from .store import Prepared, Stored, upsert_batch
from .taxonomy import Taxonomy
from .validate import ignored_fields, validate_profile

# Inputs at least this large are indexed while they are stored, by writer processes, rather
# than applied from the change log afterwards (about 4,000 profiles of typical size).
# Smaller ones are applied from the change log when the run ends.
BULK_BYTES = 8 * 1024 * 1024


@dataclass
class Rejected:
    """A record that did not go in, with why."""

    raw: RawRecord
    reasons: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.raw.file,
            "position": self.raw.position,
            "record": self.raw.original,
            "reasons": self.reasons,
        }


@dataclass
class IngestSummary:
    """What an ingest run did; `read == accepted + rejected` always holds."""

    files: list[str]
    source: str
    dry_run: bool = False
    run_id: int | None = None
    counts: Counter = field(default_factory=Counter)
    unknown_terms: Counter = field(default_factory=Counter)
    ignored_fields: Counter = field(default_factory=Counter)
    rejects_path: str | None = None
    index: SyncResult | None = None
    seconds: float = 0.0

    @property
    def read(self) -> int:
        return self.counts["read"]

    @property
    def accepted(self) -> int:
        return self.counts["accepted"]

    @property
    def rejected(self) -> int:
        return self.counts["rejected"]

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON: the same shape for the CLI (`--json`) and the admin API."""
        keys = ("read", "accepted", "created", "updated", "unchanged", "superseded",
                "rejected", "offices_not_geolocated")
        return {
            "run_id": self.run_id,
            "source": self.source,
            "files": self.files,
            "dry_run": self.dry_run,
            **{k: self.counts[k] for k in keys},
            "unknown_terms": dict(self.unknown_terms.most_common()),
            "ignored_fields": dict(self.ignored_fields.most_common()),
            "rejects_file": self.rejects_path,
            "index": None if self.index is None else {
                "generation": self.index.generation,
                "applied_changes": self.index.applied,
                "change_id": self.index.change_id,
            },
            "seconds": round(self.seconds, 3),
        }

    def lines(self) -> list[str]:
        """A summary a person reads at the end of a run."""
        c = self.counts
        superseded = (f", superseded {c['superseded']} (same id again later in the run)"
                      if c["superseded"] else "")
        out = [
            f"read {c['read']} = accepted {c['accepted']} + rejected {c['rejected']}"
            + (" (dry run: nothing was written)" if self.dry_run else ""),
            f"  created {c['created']}, updated {c['updated']}, unchanged {c['unchanged']}"
            + superseded,
            f"  offices not geolocated: {c['offices_not_geolocated']}",
        ]
        if self.unknown_terms:
            top = ", ".join(f"{t!r} ({n})" for t, n in self.unknown_terms.most_common(5))
            out.append(f"  unknown terms kept as tags: {sum(self.unknown_terms.values())} "
                       f"({len(self.unknown_terms)} distinct; most common: {top})")
        if self.ignored_fields:
            names = ", ".join(f"{k} ({n})" for k, n in self.ignored_fields.most_common())
            out.append(f"  fields not in the input format, ignored: {names}")
        if self.rejects_path:
            out.append(f"  rejects written to {self.rejects_path}")
        if self.index is not None:
            out.append(f"  index {self.index.generation}: {self.index.applied} changes applied "
                       f"in {self.index.seconds:.1f} s")
        rate = c["read"] / self.seconds if self.seconds else 0
        out.append(f"  {self.seconds:.1f} s ({rate:.0f} profiles/s)")
        return out


def prepare(raw: RawRecord, taxonomy: Taxonomy, summary: IngestSummary) -> Prepared | Rejected:
    """Validate and term-map one raw record."""
    if raw.record is None:
        return Rejected(raw, {"_record": [raw.error or "Could not be read."]})
    profile, reasons = validate_profile(raw.record)
    if reasons is not None:
        return Rejected(raw, reasons)
    summary.ignored_fields.update(ignored_fields(raw.record))
    mapping = map_terms(profile, taxonomy)
    summary.unknown_terms.update(mapping.tags)
    return Prepared(profile, mapping, content_hash(profile, taxonomy.fingerprint))


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def sync_taxonomy(session: Session, taxonomy: Taxonomy) -> None:
    """Mirror the taxonomy file into the taxonomy tables (for SQL reports and joins)."""
    session.execute(delete(TaxonomySynonym))
    session.execute(delete(TaxonomyTerm))
    for by_slug in taxonomy.terms.values():
        for term in by_slug.values():
            row = TaxonomyTerm(kind=term.kind, slug=term.slug, label=term.label,
                               group=term.group or None, implies=list(term.implies))
            row.synonyms = [TaxonomySynonym(text=s) for s in term.synonyms]
            session.add(row)


def run_ingest(
    paths: Iterable[str | Path],
    *,
    sessions: sessionmaker[Session],
    taxonomy: Taxonomy,
    geocoder: Any,
    source: str = "default",
    fmt: str = "auto",
    rejects_path: str | Path | None = None,
    dry_run: bool = False,
    index: IndexStore | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
) -> IngestSummary:
    """Ingest files into the database and bring the index up to date; returns the summary."""
    started = time.perf_counter()
    paths = [str(p) for p in paths]
    summary = IngestSummary(files=paths, source=source, dry_run=dry_run)
    run_id = None
    if not dry_run:
        with sessions.begin() as session:
            sync_taxonomy(session, taxonomy)
            run = IngestRun(source=source, files=paths, dry_run=dry_run)
            session.add(run)
            session.flush()
            run_id = summary.run_id = run.id
    rejects = _RejectsWriter(rejects_path)
    bulk = None
    if index is not None and not dry_run and sum(file_size(p) for p in paths) >= BULK_BYTES:
        bulk = index.bulk_writer(procs=2)
    try:
        for batch in batched(_records(paths, fmt, progress), batch_size):
            stored = _ingest_batch(batch, sessions, taxonomy, geocoder, summary, rejects,
                                   run_id, dry_run)
            if bulk is not None and stored:
                bulk.add([(s.index_row, s.offices) for s in stored],
                         [s.row["id"] for s in stored if s.updated])
    except BaseException:
        if bulk is not None:
            bulk.cancel()
        raise
    finally:
        rejects.close()
    summary.rejects_path = rejects.path
    changed = summary.counts["created"] + summary.counts["updated"]
    if bulk is not None:
        summary.index = bulk.finish(sessions, changes_written=changed)
    elif index is not None and not dry_run and changed:
        summary.index = index.sync(sessions)
    summary.seconds = time.perf_counter() - started
    if run_id is not None:
        with sessions.begin() as session:
            run = session.get(IngestRun, run_id)
            run.status, run.finished_at = "finished", datetime.now(UTC)
            run.counts = summary.as_dict()
    return summary


def _records(paths: list[str], fmt: str, progress: Callable[[int], None] | None
             ) -> Iterator[RawRecord]:
    """Every record of every file, reporting bytes read to `progress`."""
    for path in paths:
        last = 0
        for raw in read_records(path, fmt):
            if progress is not None:
                progress(raw.bytes_read - last)
            last = raw.bytes_read
            yield raw


def _ingest_batch(batch, sessions, taxonomy, geocoder, summary, rejects, run_id, dry_run
                  ) -> list[Stored]:
    """Prepare, store and commit one batch; returns what changed (nothing in a dry run)."""
    counts = summary.counts
    accepted: list[Prepared] = []
    rejected: list[Rejected] = []
    for raw in batch:
        counts["read"] += 1
        outcome = prepare(raw, taxonomy, summary)
        (accepted if isinstance(outcome, Prepared) else rejected).append(outcome)
    counts["accepted"] += len(accepted)
    counts["rejected"] += len(rejected)
    for item in rejected:
        rejects.write(item)
    session = sessions()
    try:
        stored = upsert_batch(session, summary.source, accepted, run_id=run_id,
                              geocoder=geocoder, counts=counts)
        if rejected and run_id is not None:
            session.execute(insert(Reject), [
                {"run_id": run_id, "file": r.raw.file, "position": r.raw.position,
                 "record": r.raw.original, "reasons": r.reasons} for r in rejected
            ])
        if dry_run:
            session.rollback()
            return []
        session.commit()
        return stored
    finally:
        session.close()


class _RejectsWriter:
    """Writes rejects as JSON Lines, creating the file only when there is something to write."""

    def __init__(self, path: str | Path | None) -> None:
        self.target = Path(path) if path else None
        self.path: str | None = None
        self._fh: IO[str] | None = None

    def write(self, item: Rejected) -> None:
        if self.target is None:
            return
        if self._fh is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.target, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self.path = str(self.target)
        self._fh.write(json.dumps(item.as_json(), ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
