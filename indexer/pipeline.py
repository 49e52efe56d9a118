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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .index import IndexStore
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
    return Prepared(profile, mapping, content_hash(profile, taxonomy.fingerprint), raw)


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
    bulk_bytes: int = BULK_BYTES,
) -> IngestSummary:
    """Ingest files into the database and bring the index up to date; returns the summary.

    The run is a row in ingest_runs: `finished`, `failed` (an exception ended it, recorded
    before it propagates) or `interrupted` (KeyboardInterrupt or SystemExit, such as the CLI's
    SIGTERM; a SIGKILL is recorded by the next run). Inputs of `bulk_bytes` or more are
    indexed by writer processes while they are stored."""
    started = time.perf_counter()
    files = [str(p) for p in paths]
    summary = IngestSummary(files=files, source=source, dry_run=dry_run)
    run_id = None
    if not dry_run:
        with sessions.begin() as session:
            sync_taxonomy(session, taxonomy)
            run_id = summary.run_id = start_run(session, source, files).id
    try:
        _run(
            files,
            fmt,
            sessions,
            taxonomy,
            geocoder,
            summary,
            rejects_path,
            index,
            progress,
            batch_size,
            bulk_bytes,
        )
    except BaseException as exc:
        if run_id is not None:
            status = "failed" if isinstance(exc, Exception) else "interrupted"
            end_run(sessions, run_id, status, summary.as_dict(), f"{type(exc).__name__}: {exc}")
        raise
    summary.seconds = time.perf_counter() - started
    if run_id is not None:
        end_run(sessions, run_id, "finished", summary.as_dict())
    return summary


def _run(
    files,
    fmt,
    sessions,
    taxonomy,
    geocoder,
    summary,
    rejects_path,
    index,
    progress,
    batch_size,
    bulk_bytes,
) -> None:
    """Read, prepare and store every batch, then bring the index up to date."""
    dry_run, run_id = summary.dry_run, summary.run_id
    rejects = RejectsWriter(rejects_path)
    bulk = None
    if index is not None and not dry_run and sum(file_size(p) for p in files) >= bulk_bytes:
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
            if run_id is not None:
                beat(sessions, run_id)
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
    """Prepare, store and commit one batch; returns what changed (nothing in a dry run).

    A batch the database refuses is stored again record by record, so one record that still
    cannot be stored is rejected with the database's reason instead of losing the batch."""
    counts = summary.counts
    accepted: list[Prepared] = []
    rejected: list[Rejected] = []
    for raw in batch:
        outcome = prepare(raw, taxonomy, summary)
        if isinstance(outcome, Prepared):
            accepted.append(outcome)
        else:
            rejected.append(outcome)
    try:
        stored = _store(
            sessions, summary.source, accepted, rejected, run_id, geocoder, counts, dry_run
        )
    except SQLAlchemyError:
        stored = []
        for item in accepted:
            try:
                stored += _store(
                    sessions, summary.source, [item], [], run_id, geocoder, counts, dry_run
                )
            except SQLAlchemyError as err:
                reason = f"The database refused it: {_first_line(err)}"
                assert item.raw is not None
                rejected.append(Rejected(item.raw, {"_record": [reason]}))
        _store(sessions, summary.source, [], rejected, run_id, geocoder, counts, dry_run)
    counts["read"] += len(batch)
    counts["accepted"] += len(batch) - len(rejected)
    counts["rejected"] += len(rejected)
    for reject in rejected:
        rejects.write(reject)
    return stored


def _store(sessions, source, accepted, rejected, run_id, geocoder, counts, dry_run) -> list[Stored]:
    """One transaction: upsert the accepted profiles and record the rejects. The counts of
    what was created or updated are added only once it commits."""
    attempt: Counter = Counter()
    with sessions() as session:
        stored = upsert_batch(
            session, source, accepted, run_id=run_id, geocoder=geocoder, counts=attempt
        )
        if rejected and run_id is not None:
            session.execute(insert(Reject), [r.as_row(run_id) for r in rejected])
        if dry_run:
            session.rollback()
            counts.update(attempt)
            return []
        session.commit()
    counts.update(attempt)
    return stored


def _first_line(err: Exception) -> str:
    """The database's own words, without the SQL statement SQLAlchemy appends."""
    message = str(getattr(err, "orig", None) or err).strip().splitlines()
    return (message[0] if message else type(err).__name__)[:300]
