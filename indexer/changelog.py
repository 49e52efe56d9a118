"""The change log (the `changes` table), written so that a follower cannot skip a change.

Every node's index follows the log by position: it applies the rows after the last id it
applied (index/generations.py). That is only safe if a row never becomes visible after a row
with a higher id. On PostgreSQL ids come from a sequence, handed out when a row is inserted,
while rows become visible when their transaction commits: two ingesting processes could take
ids 100-119 and 120-139, the second commit first, a follower sync up to 139, and the first
writer's changes would never reach that node.

So change ids are assigned in commit order:

- `log_changes` only queues the rows on the session;
- just before the transaction commits (the session's `before_commit`), the queued rows are
  inserted while holding a transaction-level advisory lock (`pg_advisory_xact_lock`), which
  PostgreSQL releases only after the commit is visible. Change-writing transactions thus take
  their ids and commit one at a time: every row a follower can see has a lower id than every
  row it cannot see yet.

The lock is taken after the transaction's other writes, and nothing else is locked while it is
held (an insert into `changes` waits for no row), so it cannot deadlock with the writers'
row locks, and it is held for one insert and the commit: concurrent ingests still validate,
geocode and store their batches in parallel. SQLite needs none of this: it has one writer at
a time, so its ids are in commit order already.

(The alternative, followers re-reading a window behind their position, needs a window longer
than any transaction can stay open, which nothing bounds.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session, SessionTransaction

from .models import Change, table

# Advisory lock keys (arbitrary, fixed): change-id assignment, and the taxonomy mirror.
CHANGE_ORDER_LOCK = 0x6469_7265_6301  # "direc" 1
TAXONOMY_LOCK = 0x6469_7265_6302

_QUEUE = "indexer.changes"


def log_changes(session: Session, therapist_ids: Iterable[int], op: str = "upsert") -> None:
    """Record that these therapists changed (`upsert`) or left search (`delete`): the rows are
    written when the session's transaction commits, in commit order (see above), and dropped
    if it rolls back."""
    session.info.setdefault(_QUEUE, []).extend(
        {"therapist_id": int(tid), "op": op} for tid in therapist_ids
    )


def pending_changes(session: Session) -> int:
    """How many change rows this session's transaction will write when it commits."""
    return len(session.info.get(_QUEUE, ()))


def serialise(session: Session, key: int) -> None:
    """On PostgreSQL, wait for the transaction-level advisory lock `key` (released when this
    transaction ends); elsewhere nothing (SQLite has one writer at a time)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@event.listens_for(Session, "before_commit")
def _write_queued_changes(session: Session) -> None:
    rows = session.info.pop(_QUEUE, None)
    if rows:
        serialise(session, CHANGE_ORDER_LOCK)
        session.execute(insert(table(Change)), rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_queued_changes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed or rolled back)
        session.info.pop(_QUEUE, None)
