"""Alembic environment: runs against the engine that `directory.db` hands over."""

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from directory.partners.model import Partner  # noqa: F401 - its table is in the metadata
from indexer.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("Run migrations with `flask --app directory db upgrade`.")
        engine = create_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode copies a table and drops the old one; with foreign keys enforced,
            # SQLite's DROP TABLE deletes every row first and cascades: a migration of
            # `therapists` would delete every office and licence. The pragma only takes
            # effect outside a transaction, so before anything begins.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # Python's sqlite3 commits before every CREATE, DROP or ALTER unless it is told to
            # leave transactions alone: then one BEGIN covers the whole migration, and one
            # interrupted half-way changes nothing (instead of leaving a half-copied table).
            driver: Any = connection.connection.driver_connection
            driver.isolation_level = None
            connection.exec_driver_sql("BEGIN")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: batch mode recreates tables instead.
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows without parents: {broken[:5]}")
        connection.commit()
        if sqlite:
            driver.isolation_level = ""  # sqlite3's default again, for the pooled connection
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations_online()
