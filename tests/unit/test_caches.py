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


def test_recent_keys_come_most_recently_used_first():
    cache: BoundedCache[str, int] = BoundedCache(100)
    for key in "abcd":
        cache.put(key, 1)
    cache.get("b")
    assert cache.recent(3) == ["b", "d", "c"]
    assert cache.recent(10) == ["b", "d", "c", "a"] and cache.recent(0) == []


def test_a_new_state_starts_with_the_word_tables_the_old_one_was_searched_with(taxonomy):
    # An edit adds a document: the new state's BM25 statistics differ, so its tables are
    # computed again, before its first search, and equal what it would compute itself.
    from indexer.index import document, memory_snapshot

    from .conftest import index_row
    from .test_evaluation_equivalence import random_profiles

    rows = [index_row(n, p, taxonomy) for n, p in enumerate(random_profiles(taxonomy, 4, 60), 1)]
    docs = [document(row, offices) for row, offices in rows]
    old = memory_snapshot(docs[:-1])
    old.text_match("trust", fuzzy=False)
    new, alone = memory_snapshot(docs), memory_snapshot(docs)
    new.warm_like(old)
    assert ("body", "trust") in old._scores.recent(10)
    assert new._scores.recent(10) == old._scores.recent(10)
    for key in new._scores.recent(10):
        got, want = new._scores.get(key), alone.term_scores(*key)
        assert got is not None
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
