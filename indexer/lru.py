"""A least-recently-used cache bounded by the total weight of what it holds.

Per-process caches of a search service are fed by what visitors type: bounded by count alone,
a cache of BM25 tables (one entry per document holding a word) or of document sets (bytes per
document of the index) could still grow to gigabytes. Each value here is weighed, and the
least recently used go once the total passes the bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A thread-safe LRU cache holding at most `max_weight` in total (`weigh` of each value;
    1 each by default)."""

    def __init__(self, max_weight: int, weigh: Callable[[V], int] | None = None) -> None:
        self.max_weight = max_weight
        self.weight = 0
        self._weigh = weigh or (lambda _value: 1)
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        """The cached value, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: K, value: V) -> V:
        """Cache `value` (unless it alone weighs more than the bound) and return it."""
        weight = self._weigh(value)
        if weight > self.max_weight:
            return value
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while self.weight > self.max_weight:
                _, (_, dropped) = self._items.popitem(last=False)
                self.weight -= dropped
        return value

    def recent(self, count: int) -> list[K]:
        """The keys of the `count` most recently used entries, most recent first."""
        with self._lock:
            keys = list(self._items)
        return keys[: -count - 1 : -1] if count > 0 else []


def mask_weight(mask: int) -> int:
    """What a document set costs to keep, in machine words: its own, and about 16 more for
    its key and its place in the cache."""
    return mask.bit_length() // 64 + 16
