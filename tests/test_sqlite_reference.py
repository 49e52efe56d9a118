"""The benchmark's SQLite reference (bench/sqlite_reference.py) answers what find_page answers:
totals, pages in order and facet counts, on the hand-written corpus plus a synthetic sample.
A yardstick that drifts from the engine would time another question."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from bench.sqlite_reference import Reference, build_reference, disagreements, mix

from .conftest import fresh_database
from .search_corpus import CORPUS

QUERIES = [
    {"near": "10001", "couples": "true"},
    {"near": "10001", "video": "true", "couples": "true"},  # remote ones, after local ones
    {"near": "10001", "radius": "1"},
    {"near": "10001", "specialty": "ENM", "per_page": "2", "page": "2"},
    {"lat": "40.75", "lon": "-74.0", "radius": "30", "unit": "km", "max_fee": "150"},
    {"near": "NY", "video": "true"},  # a state: every office in it, distance to the nearest
    {"q": "anxiety"},
    {"q": "anxeity poly"},  # typo and synonym
    {"q": "jose"},
    {"q": "attachment trust", "near": "10001", "radius": "100"},
    {"q": "therapy", "near": "10001", "sort": "distance"},
    {"q": "couples", "language": "spanish"},
    *(query for queries in mix().values() for query in queries),
]


# The reference reads an SQLite database: a run on PostgreSQL leaves this module out.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def instance(db_kind, migrated_template, tmp_path_factory):
    """An app over the corpus and 200 synthetic profiles, and its reference file."""
    from directory import create_app

    tmp = tmp_path_factory.mktemp("reference")
    with fresh_database(db_kind, migrated_template, tmp) as url:
        app = create_app(
            {"TESTING": True, "DATABASE_URL": url, "RATE_LIMIT": "", "INDEX_DIR": str(tmp / "ix")},
            instance_path=str(tmp / "instance"),
        )
        cli = app.test_cli_runner()
        corpus, sample = tmp / "corpus.jsonl", tmp / "sample.jsonl"
        corpus.write_text("\n".join(json.dumps(p) for p in CORPUS))
        result = cli.invoke(args=["sample", "--count", "200", "--seed", "3", "-o", str(sample)])
        assert result.exit_code == 0, result.output
        for path in (corpus, sample):
            result = cli.invoke(args=["ingest", str(path), "--source", path.stem])
            assert result.exit_code == 0, result.output
        build_reference(url.removeprefix("sqlite:///"), tmp / "reference.sqlite3")
        yield app, tmp / "reference.sqlite3"
        app.extensions["directory.engine"].dispose()


@pytest.mark.parametrize("query", QUERIES, ids=[json.dumps(q) for q in QUERIES])
def test_reference_agrees_with_find_page(instance, query):
    from directory.parts import geocoder, taxonomy
    from directory.search.params import load_args
    from directory.search.response import find_page

    app, path = instance
    with app.app_context():
        ref = Reference(path, taxonomy(), geocoder())
        args = load_args(MultiDict(query))
        ours, theirs = find_page(args), ref.search(args)
        ref.close()
    assert not disagreements(ours, theirs)
    assert ours.total == theirs.total  # and the comparison compares something
