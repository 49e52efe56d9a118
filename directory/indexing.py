"""The app's handles on the pipeline's parts: taxonomy, geocoder and this node's index."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app

from indexer.geocode import make_geocoder
from indexer.search_index import IndexStore
from indexer.taxonomy import Taxonomy, load_taxonomy

from .search.engine import SearchEngine


def init_app(app: Flask) -> None:
    """Nothing is loaded here: the parts are built on first use, per process."""
    app.extensions["directory.parts"] = {}


def _part(name: str, build) -> Any:
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
    return _part("geocoder", lambda: make_geocoder(
        str(config["GEOCODER"]), min_delay_seconds=float(config["GEOCODER_MIN_DELAY"])
    ))


def index_store() -> IndexStore:
    """This node's index directory and its generations."""
    return _part("index", lambda: IndexStore(current_app.config["INDEX_DIR"]))


def search_engine() -> SearchEngine:
    """This process's search engine over this node's index."""
    return _part("engine", lambda: SearchEngine(index_store()))


class ResponseCache:
    """A bounded, least-recently-used cache of response bodies for this process.

    Keys include the index state (generation and segments), so an edit makes old entries
    unreachable; they age out.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def response_cache() -> ResponseCache:
    """This process's cache of search responses (SEARCH_CACHE_SIZE entries)."""
    return _part("responses", lambda: ResponseCache(
        int(current_app.config["SEARCH_CACHE_SIZE"])))
