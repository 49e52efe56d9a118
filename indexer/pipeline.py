"""The ingest pipeline, stage by stage, each a module of its own:

    readers/ -> validate.py -> terms.py -> store.py (geocode.py for new and changed offices)
    -> index/ (the change log, or writer processes for large inputs)

Generators wrapping generators; writes in batches of `batch_size` records, one transaction each.

Bad-record policy: a record that cannot be parsed or fails validation is rejected whole and
unchanged, with its file, position and field-level reasons, to the rejects file (JSON Lines) and
the rejects table; the rest of the file still goes in, and read = accepted + rejected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from .index import IndexStore
from .models import IngestRun, Reject
from .readers import RawRecord, file_size, read_records
from .rejects import Rejected, RejectsWriter
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
    files = [str(p) for p in paths]
    summary = IngestSummary(files=files, source=source, dry_run=dry_run)
    run_id = None
    if not dry_run:
        with sessions.begin() as session:
            sync_taxonomy(session, taxonomy)
            run = IngestRun(source=source, files=files, dry_run=dry_run)
            session.add(run)
            session.flush()
            run_id = summary.run_id = run.id
    rejects = RejectsWriter(rejects_path)
    bulk = None
    if index is not None and not dry_run and sum(file_size(p) for p in files) >= BULK_BYTES:
        bulk = index.bulk_writer(procs=2)
    try:
        for batch in batched(_records(files, fmt, progress), batch_size):
            stored = _ingest_batch(
                batch, sessions, taxonomy, geocoder, summary, rejects, run_id, dry_run
            )
            if bulk is not None and stored:
                bulk.add(
                    [(s.index_row, s.offices) for s in stored],
                    [s.row["id"] for s in stored if s.updated],
                )
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
            finished = session.get_one(IngestRun, run_id)
            finished.status, finished.finished_at = "finished", datetime.now(UTC)
            finished.counts = summary.as_dict()
    return summary


def _records(
    paths: list[str], fmt: str, progress: Callable[[int], None] | None
) -> Iterator[RawRecord]:
    """Every record of every file, reporting bytes read to `progress`."""
    for path in paths:
        last = 0
        for raw in read_records(path, fmt):
            if progress is not None:
                progress(raw.bytes_read - last)
            last = raw.bytes_read
            yield raw


def _ingest_batch(
    batch, sessions, taxonomy, geocoder, summary, rejects, run_id, dry_run
) -> list[Stored]:
    """Prepare, store and commit one batch; returns what changed (nothing in a dry run)."""
    counts = summary.counts
    accepted: list[Prepared] = []
    rejected: list[Rejected] = []
    for raw in batch:
        counts["read"] += 1
        outcome = prepare(raw, taxonomy, summary)
        if isinstance(outcome, Prepared):
            accepted.append(outcome)
        else:
            rejected.append(outcome)
    counts["accepted"] += len(accepted)
    counts["rejected"] += len(rejected)
    for item in rejected:
        rejects.write(item)
    session = sessions()
    try:
        stored = upsert_batch(
            session, summary.source, accepted, run_id=run_id, geocoder=geocoder, counts=counts
        )
        if rejected and run_id is not None:
            session.execute(
                insert(Reject),
                [
                    {
                        "run_id": run_id,
                        "file": r.raw.file,
                        "position": r.raw.position,
                        "record": r.raw.original,
                        "reasons": r.reasons,
                    }
                    for r in rejected
                ],
            )
        if dry_run:
            session.rollback()
            return []
        session.commit()
        return stored
    finally:
        session.close()
