"""Per-test fixtures on real parts: a fresh SQLite file or PostgreSQL database per test,
a real Whoosh index on disk, and the real CLI.

`pytest` runs on SQLite; `pytest --db postgresql` runs the same tests on PostgreSQL
(DIRECTORY_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from directory import create_app

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
REPO = TESTS.parent
REALDATA = REPO.parent / "shared" / "realdata"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database the tests run against",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `sqlite_only` or `postgresql_only` check something that exists on that
    database alone (the benchmark's SQLite reference; concurrent writers and the several-node
    deployment on PostgreSQL): a run on the other database leaves them out rather than
    skipping them."""
    other = "postgresql_only" if config.getoption("--db") == "sqlite" else "sqlite_only"
    kept = [item for item in items if item.get_closest_marker(other) is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def migrated_template(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per run; each test gets a copy of it."""
    if db_kind == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        _migrate(f"sqlite:///{path}", tmp_path_factory.mktemp("template-instance"))
        yield str(path)
        return
    admin_url = os.environ.get("DIRECTORY_TEST_POSTGRES_URL", PG_DEFAULT)
    name = f"directory_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    _migrate(url, tmp_path_factory.mktemp("template-instance"))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _migrate(url: str, instance: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": url}, instance_path=str(instance))
    with app.app_context():
        from directory.db import engine, upgrade

        upgrade()
        engine().dispose()


@contextmanager
def fresh_database(db_kind: str, template: str, directory: Path) -> Iterator[str]:
    """A new migrated database: a copy of the template file, or CREATE DATABASE ... TEMPLATE."""
    if db_kind == "sqlite":
        path = directory / "directory.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    admin_url = os.environ.get("DIRECTORY_TEST_POSTGRES_URL", PG_DEFAULT)
    with postgres_database(admin_url, "directory_t", template) as url:
        yield url


@contextmanager
def postgres_database(admin_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database `<prefix>_<random>` (a copy of `template`, or empty), dropped
    afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(db_kind: str, migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    with fresh_database(db_kind, migrated_template, tmp_path) as url:
        yield url


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    """The app on a fresh database and an empty index directory."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INDEX_DIR": str(tmp_path / "index"),
            "ADMIN_TOKEN": "test-admin-token",
            "RATE_LIMIT": "",
        },
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    app.extensions["directory.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write profiles (dicts, or raw strings for broken lines) to a .jsonl file."""

    def write(records: list, name: str = "profiles.jsonl") -> Path:
        path = tmp_path / name
        with open(path, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write((rec if isinstance(rec, str) else json.dumps(rec)) + "\n")
        return path

    return write


@pytest.fixture
def ingest(runner, tmp_path: Path):
    """Run the real `ingest` command; returns (result, summary dict, rejects list)."""

    def run(*paths: Path | str, source: str = "test", extra: tuple = ()):
        rejects = tmp_path / f"rejects-{uuid.uuid4().hex[:6]}.jsonl"
        result = runner.invoke(
            args=[
                "ingest",
                *map(str, paths),
                "--source",
                source,
                "--rejects",
                str(rejects),
                "--json",
                *extra,
            ]
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        summary = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
        rows = (
            [json.loads(line) for line in rejects.read_text().splitlines()]
            if rejects.exists()
            else []
        )
        return result, summary, rows

    return run


@pytest.fixture(scope="module")
def corpus_app(db_kind: str, migrated_template: str, tmp_path_factory: pytest.TempPathFactory):
    """One app over tests/search_corpus.py for a whole module, for tests that only read."""
    from .search_corpus import CORPUS

    tmp = tmp_path_factory.mktemp("corpus")
    with fresh_database(db_kind, migrated_template, tmp) as url:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "RATE_LIMIT": "",
                "INDEX_DIR": str(tmp / "index"),
            },
            instance_path=str(tmp / "instance"),
        )
        path = tmp / "corpus.jsonl"
        path.write_text("\n".join(json.dumps(p) for p in CORPUS))
        result = app.test_cli_runner().invoke(
            args=[
                "ingest",
                str(path),
                "--source",
                "corpus",
                "--rejects",
                str(tmp / "rejects.jsonl"),
            ]
        )
        assert result.exit_code == 0, result.output
        yield app
        app.extensions["directory.engine"].dispose()
