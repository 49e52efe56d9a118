"""A per-process cache of search response bodies, keyed by the index state and the query."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import current_app

from indexer.index import Snapshot


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
    cache = current_app.extensions.get("directory.responses")
    if cache is None:
        cache = current_app.extensions["directory.responses"] = ResponseCache(
            int(current_app.config["SEARCH_CACHE_SIZE"])
        )
    return cache


def etag(snap: Snapshot, query: bytes) -> str:
    """The ETag of a search response: the index state and the query string."""
    return hashlib.sha256(f"{snap.version}:".encode() + query).hexdigest()[:32]
