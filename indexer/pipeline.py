"""The ingest pipeline, stage by stage, each a module of its own:

    readers/ -> validate.py -> terms.py -> store.py (geocode.py for new and changed offices)
    -> index/ (the change log, or writer processes for large inputs)

Generators wrapping generators; writes in batches of `batch_size` records, one transaction each.

Bad-record policy: a record that cannot be parsed or fails validation is rejected whole and
unchanged, with its file, position and field-level reasons, to the rejects file (JSON Lines) and
the rejects table; the rest of the file still goes in, and read = accepted + rejected. A batch
the database refuses is stored again record by record, so a record that still cannot be stored
is rejected with the database's reason instead of losing the batch.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .index import IndexLocked, IndexStore, IndexUnavailable
from .index.writers import BulkWriter
from .models import Reject
from .readers import RawRecord, file_size, read_records
from .rejects import Rejected, RejectsWriter
from .runs import beat, end_run, start_run
from .store import Prepared, Stored, content_hash, sync_taxonomy, upsert_batch
from .summary import IngestSummary
from .taxonomy import Taxonomy
from .terms import map_terms
from .validate import ignored_fields, validate_profile

# Inputs at least this large are indexed while they are stored, by writer processes, rather
# than applied from the change log afterwards (about 4,000 profiles of typical size).
# Smaller ones are applied from the change log when the run ends.
BULK_BYTES = 8 * 1024 * 1024


def prepare(raw: RawRecord, taxonomy: Taxonomy, summary: IngestSummary) -> Prepared | Rejected:
    """Validate and term-map one raw record."""
    if raw.record is None:
        return Rejected(raw, {"_record": [raw.error or "Could not be read."]})
    profile, reasons = validate_profile(raw.record)
    if profile is None:
        return Rejected(raw, reasons or {"_record": ["Not a valid profile."]})
    summary.ignored_fields.update(ignored_fields(raw.record))
    mapping = map_terms(profile, taxonomy)
    summary.unknown_terms.update(mapping.tags)
    if mapping.tags:
        summary.counts["with_unknown_terms"] += 1
    return Prepared(profile, mapping, content_hash(profile), raw, taxonomy.fingerprint)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of `size` items (the last one shorter)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


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
    bulk_bytes: int = BULK_BYTES,
    lock_timeout: float | None = None,
) -> IngestSummary:
    """Ingest files into the database and bring the index up to date; returns the summary.

    The run is a row in ingest_runs: `finished`, `failed` (an exception ended it, recorded
    before it propagates) or `interrupted` (KeyboardInterrupt or SystemExit, such as the CLI's
    SIGTERM; a SIGKILL is recorded by the next run). Inputs of `bulk_bytes` or more are
    indexed by writer processes while they are stored. When another writer holds the node's
    index lock past `lock_timeout` (default: the store's), the run still stores everything and
    says the index is pending: the change log keeps the changes for that writer or the next
    sync."""
    started = time.perf_counter()
    files = [str(p) for p in paths]
    job = _Job(
        files,
        fmt,
        sessions,
        taxonomy,
        geocoder,
        index,
        progress,
        batch_size,
        IngestSummary(files=files, source=source, dry_run=dry_run),
    )
    if not dry_run:
        with sessions.begin() as session:
            sync_taxonomy(session, taxonomy)
            job.summary.run_id = start_run(session, source, files).id
    try:
        bulk = job.bulk_writer(bulk_bytes, lock_timeout)
        job.store_all(RejectsWriter(rejects_path), bulk)
        job.update_index(bulk, lock_timeout)
    except BaseException as exc:
        job.end("failed" if isinstance(exc, Exception) else "interrupted", exc)
        raise
    job.summary.seconds = time.perf_counter() - started
    job.end("finished")
    return job.summary


@dataclass
class _Job:
    """One ingest run's parts and its summary."""

    files: list[str]
    fmt: str
    sessions: sessionmaker[Session]
    taxonomy: Taxonomy
    geocoder: Any
    index: IndexStore | None
    progress: Callable[[int], None] | None
    batch_size: int
    summary: IngestSummary

    def bulk_writer(self, bulk_bytes: int, lock_timeout: float | None) -> BulkWriter | None:
        """Writer processes for a large input, when the node's lock can be had."""
        if self.index is None or self.summary.dry_run:
            return None
        if sum(file_size(p) for p in self.files) < bulk_bytes:
            return None
        try:
            return self.index.bulk_writer(procs=2, lock_timeout=lock_timeout)
        except (IndexLocked, IndexUnavailable):
            return None  # store first; the change log brings the index up to date after

    def store_all(self, rejects: RejectsWriter, bulk: BulkWriter | None) -> None:
        """Read, prepare and store every batch (and index it, with a bulk writer)."""
        run_id = self.summary.run_id
        try:
            for batch in batched(self.records(), self.batch_size):
                stored, relinked = self.ingest_batch(batch, rejects)
                if bulk is not None and (stored or relinked):
                    rows = [(s.index_row, s.offices) for s in stored]
                    bulk.add(rows, [s.row["id"] for s in stored if s.updated], relinked)
                if run_id is not None:
                    beat(self.sessions, run_id)
        except BaseException:
            if bulk is not None:
                bulk.cancel()
            raise
        finally:
            rejects.close()
        self.summary.rejects_path = rejects.path

    def update_index(self, bulk: BulkWriter | None, lock_timeout: float | None) -> None:
        """Bring the node's index up to date with what this run stored."""
        counts = self.summary.counts
        changed = counts["created"] + counts["updated"]
        if bulk is not None:
            self.summary.index = bulk.finish(self.sessions, changes_written=counts["changes"])
        elif self.index is not None and not self.summary.dry_run and changed:
            try:
                self.summary.index = self.index.sync(self.sessions, lock_timeout=lock_timeout)
            except (IndexLocked, IndexUnavailable) as err:
                self.summary.index_pending = str(err)

    def end(self, status: str, error: BaseException | None = None) -> None:
        """Record how the run ended."""
        if self.summary.run_id is not None:
            message = f"{type(error).__name__}: {error}" if error is not None else None
            end_run(self.sessions, self.summary.run_id, status, self.summary.as_dict(), message)

    def records(self) -> Iterator[RawRecord]:
        """Every record of every file, reporting bytes read to `progress`."""
        for path in self.files:
            last = 0
            for raw in read_records(path, self.fmt):
                if self.progress is not None:
                    self.progress(raw.bytes_read - last)
                last = raw.bytes_read
                yield raw

    def ingest_batch(
        self, batch: list[RawRecord], rejects: RejectsWriter
    ) -> tuple[list[Stored], list[int]]:
        """Prepare, store and commit one batch; returns what changed (nothing in a dry run):
        the therapists written, and others of the same people whose shown state changed."""
        counts = self.summary.counts
        accepted: list[Prepared] = []
        rejected: list[Rejected] = []
        for raw in batch:
            outcome = prepare(raw, self.taxonomy, self.summary)
            if isinstance(outcome, Prepared):
                accepted.append(outcome)
            else:
                rejected.append(outcome)
        try:
            stored, relinked = self.store(accepted, rejected)
        except SQLAlchemyError:
            stored, relinked = [], []
            for item in accepted:
                try:
                    one, linked = self.store([item], [])
                    stored += one
                    relinked += linked
                except SQLAlchemyError as err:
                    assert item.raw is not None
                    reason = f"The database refused it: {_first_line(err)}"
                    rejected.append(Rejected(item.raw, {"_record": [reason]}))
            self.store([], rejected)
        counts["read"] += len(batch)
        counts["accepted"] += len(batch) - len(rejected)
        counts["rejected"] += len(rejected)
        for reject in rejected:
            rejects.write(reject)
        return stored, relinked

    def store(
        self, accepted: list[Prepared], rejected: list[Rejected]
    ) -> tuple[list[Stored], list[int]]:
        """One transaction: upsert the accepted profiles and record the rejects. The counts of
        what was created or updated are added only once it commits."""
        run_id, attempt = self.summary.run_id, Counter[str]()
        with self.sessions() as session:
            upserted = upsert_batch(
                session,
                self.summary.source,
                accepted,
                run_id=run_id,
                geocoder=self.geocoder,
                counts=attempt,
            )
            if rejected and run_id is not None:
                session.execute(insert(Reject), [r.as_row(run_id) for r in rejected])
            if self.summary.dry_run:
                session.rollback()
                self.summary.counts.update(attempt)
                return [], []
            session.commit()
        self.summary.counts.update(attempt)
        return upserted.stored, upserted.relinked


def _first_line(err: Exception) -> str:
    """The database's own words, without the SQL statement SQLAlchemy appends."""
    message = str(getattr(err, "orig", None) or err).strip().splitlines()
    return (message[0] if message else type(err).__name__)[:300]
