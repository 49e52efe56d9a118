"""Several threads of one web worker search one snapshot at once (gunicorn's gthread workers):
what they read from Whoosh is what one thread alone reads.

Whoosh reads a segment file by seeking and then reading one shared file object, so two
threads reading at once could each get the other's bytes: a wrong answer or an "unreadable
index" 503 on a healthy node (seen in the scale benchmark: 6 of 13,068 requests at 300,000)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from indexer.taxonomy import Taxonomy

from .test_evaluation_equivalence import BIO_WORDS, NAMES, RandomCorpus


def read_everything(snap, words: list[str], threads: int) -> list:
    def read(word: str):
        mask, tables, terms = snap.text_match(word, fuzzy=False)
        return mask, [(d.tolist(), s.tolist()) for d, s in tables], terms

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(read, words))


def test_threads_searching_one_snapshot_at_once_read_what_one_thread_reads(
    taxonomy: Taxonomy, tmp_path
):
    words = sorted({*BIO_WORDS, *(w for n in NAMES for w in n.split())}) * 3
    # Two indexes of the same documents: the caches one fills are not the other's.
    alone = RandomCorpus(taxonomy, 9, 4000, segments=16, folder=tmp_path / "alone").snap
    shared = RandomCorpus(taxonomy, 9, 4000, segments=16, folder=tmp_path / "shared").snap
    expected = read_everything(alone, words, threads=1)
    assert any(mask for mask, _, _ in expected)
    assert read_everything(shared, words, threads=8) == expected
    assert np.array_equal(alone.ids.of(np.arange(alone.size)), shared.ids.of(np.arange(alone.size)))
