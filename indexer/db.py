"""Engines and sessions, without Flask: the pipeline and the CLI share these."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for `url`, with SQLite tuned for one writer and many readers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # psycopg 3 prepares a statement after five uses; PostgreSQL may then keep a generic plan
    # made while a table was nearly empty (a sequential scan), which made batched upserts
    # slow down quadratically as an ingest grew a table. Plan each statement afresh.
    connect_args = {"prepare_threshold": None} if "psycopg" in url else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets searches read while an ingest writes; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the CLI prints from them)."""
    return sessionmaker(engine, expire_on_commit=False)
