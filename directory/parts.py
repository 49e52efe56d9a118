"""The app's handles on the pipeline's parts: taxonomy, geocoder and this node's index."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from indexer.gazetteer import get_gazetteer
from indexer.gazetteer import use_cache as use_gazetteer_cache
from indexer.geocode import make_geocoder
from indexer.index import IndexStore, IndexUnavailable, SearchEngine
from indexer.taxonomy import Taxonomy, load_taxonomy


def init_app(app: Flask) -> None:
    """Nothing is loaded here: the parts are built on first use, per process. The gazetteer
    is kept in the instance folder once built, so that every later process reads it instead
    of building it (a second, and ~55 MB of memory that stays: indexer/gazetteer.py)."""
    app.extensions["directory.parts"] = {}
    use_gazetteer_cache(app.instance_path)


def _part(name: str, build: Callable[[], Any]) -> Any:
    parts = current_app.extensions["directory.parts"]
    if name not in parts:
        parts[name] = build()
    return parts[name]


def taxonomy() -> Taxonomy:
    """The taxonomy in use (the bundled one unless TAXONOMY_PATH says otherwise)."""
    return _part("taxonomy", lambda: load_taxonomy(current_app.config["TAXONOMY_PATH"]))


def geocoder() -> Any:
    """The configured geopy geocoder (offline by default)."""
    config = current_app.config
    return _part(
        "geocoder",
        lambda: make_geocoder(
            str(config["GEOCODER"]),
            min_delay_seconds=float(config["GEOCODER_MIN_DELAY"]),
            timeout=float(config["GEOCODER_TIMEOUT"]),
        ),
    )


def index_store() -> IndexStore:
    """This node's index directory and its generations."""
    config = current_app.config
    return _part(
        "index",
        lambda: IndexStore(config["INDEX_DIR"], lock_timeout=float(config["INDEX_LOCK_TIMEOUT"])),
    )


def search_engine() -> SearchEngine:
    """This process's search engine over this node's index."""
    return _part("engine", lambda: SearchEngine(index_store()))


def warm_up() -> None:
    """Build this process's parts before its first visitor does: the taxonomy, the gazetteer
    and the index snapshot with what its first searches read; then open and warm each new
    state of the index in the background, so no visitor waits for that either (a gunicorn
    worker calls it when it starts; see gunicorn_config.py)."""
    taxonomy()
    get_gazetteer()
    engine = search_engine()
    with contextlib.suppress(IndexUnavailable):  # nothing to warm yet: /readyz says why
        engine.snapshot().warm()
    engine.follow()
