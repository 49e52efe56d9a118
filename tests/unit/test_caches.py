"""Per-process caches are bounded by what they hold, whatever visitors ask for."""

from __future__ import annotations

from indexer.lru import BoundedCache, mask_weight


def test_the_least_recently_used_go_once_the_bound_is_passed():
    cache: BoundedCache[str, list[int]] = BoundedCache(10, len)
    cache.put("a", [1] * 4)
    cache.put("b", [1] * 4)
    assert cache.get("a") == [1] * 4  # "a" is now the most recently used
    cache.put("c", [1] * 4)
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    assert cache.weight == 8


def test_a_value_heavier_than_the_bound_is_not_kept():
    cache: BoundedCache[str, list[int]] = BoundedCache(3, len)
    assert cache.put("big", [1] * 4) == [1] * 4
    assert len(cache) == 0 and cache.weight == 0


def test_replacing_a_key_does_not_count_it_twice():
    cache: BoundedCache[str, int] = BoundedCache(100, mask_weight)
    cache.put("a", 1 << 640)
    cache.put("a", 1)
    assert cache.weight == mask_weight(1)


def test_a_document_set_weighs_its_words_and_its_place():
    assert mask_weight(0) == 16
    assert mask_weight(1 << 6400) == 100 + 16
