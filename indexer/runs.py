"""Ingest runs as rows: started, alive, and how they ended.

A run records the host and process that does it and a heartbeat at every committed batch. A
run killed outright (SIGKILL, a power cut) cannot record its own end, so every new run first
marks as `interrupted` the runs left `running` whose process is gone (same host) or whose
heartbeat is older than STALE_AFTER (any host).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from .models import IngestRun
from .processes import alive

# A run whose last batch committed longer ago than this is taken for dead, on any host.
STALE_AFTER = timedelta(hours=1)


def start_run(session: Session, source: str, files: list[str]) -> IngestRun:
    """A new `running` run for this process, after closing runs that died unannounced."""
    reap_dead_runs(session)
    now = datetime.now(UTC)
    run = IngestRun(
        source=source,
        files=files,
        dry_run=False,
        host=socket.gethostname(),
        pid=os.getpid(),
        started_at=now,
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def reap_dead_runs(session: Session) -> int:
    """Mark as interrupted the runs left running by processes that are gone; how many."""
    host, now = socket.gethostname(), datetime.now(UTC)
    running = session.scalars(select(IngestRun).where(IngestRun.status == "running"))
    dead = [run.id for run in running if _gone(run, host, now)]
    if dead:
        session.execute(
            update(IngestRun)
            .where(IngestRun.id.in_(dead))
            .values(
                status="interrupted",
                finished_at=now,
                error="The process stopped without finishing (killed, or the machine stopped).",
            )
        )
    return len(dead)


def beat(sessions: sessionmaker[Session], run_id: int) -> None:
    """Record that the run is alive (after each committed batch)."""
    with sessions.begin() as session:
        session.execute(
            update(IngestRun).where(IngestRun.id == run_id).values(heartbeat_at=datetime.now(UTC))
        )


def end_run(
    sessions: sessionmaker[Session],
    run_id: int,
    status: str,
    counts: dict[str, Any],
    error: str | None = None,
) -> None:
    """Record how a run ended: finished, failed (with the error) or interrupted."""
    with sessions.begin() as session:
        session.execute(
            update(IngestRun)
            .where(
                IngestRun.id == run_id,
                or_(IngestRun.status == "running", IngestRun.status == status),
            )
            .values(status=status, finished_at=datetime.now(UTC), counts=counts, error=error)
        )


def _gone(run: IngestRun, host: str, now: datetime) -> bool:
    """Whether a running run's process is gone: dead on this host, or silent for too long."""
    if run.host == host and run.pid is not None and not alive(run.pid):
        return True
    return run.heartbeat_at is not None and _aware(run.heartbeat_at) < now - STALE_AFTER


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive times
