"""The database for the Flask app: one engine per app, a session per request, migrations."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from indexer.db import make_engine, make_sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory; close request sessions on teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["directory.engine"] = engine
    app.extensions["directory.sessions"] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)
    app.cli.add_command(db_cli)


def engine() -> Engine:
    return current_app.extensions["directory.engine"]


def sessions() -> sessionmaker[Session]:
    """The app's session factory, for work that manages its own transactions (CLI, ingest)."""
    return current_app.extensions["directory.sessions"]


def session() -> Session:
    """The session of the current request or CLI command."""
    if "db_session" not in g:
        g.db_session = sessions()()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def alembic_config() -> Config:
    """Alembic configured for the current app's database, without an alembic.ini."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine()
    return cfg


def upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema, then mirror the taxonomy into it."""
    command.upgrade(alembic_config(), revision)
    from indexer.store import sync_taxonomy

    from .parts import taxonomy

    with sessions().begin() as s:
        sync_taxonomy(s, taxonomy())


@click.group(cls=AppGroup, name="db")
def db_cli() -> None:
    """Database schema (Alembic migrations)."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Create or migrate the database to REVISION (default: the current schema)."""
    upgrade(revision)
    click.echo(f"database at {revision}: {engine().url.render_as_string(hide_password=True)}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate the database down to REVISION ("base" drops every table)."""
    command.downgrade(alembic_config(), revision)
    click.echo(f"database at {revision}")
