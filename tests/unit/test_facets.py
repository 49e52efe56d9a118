"""Facet counts: over the whole result set, and exactly what selecting the value returns."""

from __future__ import annotations

import pytest

from directory.search.facets import FACETS, facet_counts
from directory.search.filters import TermFilter, apply_filters, build_filters
from indexer.index import doc_array

from ..search_corpus import CORPUS


@pytest.fixture(scope="module")
def corpus(corpus_of):
    return corpus_of(CORPUS)


def test_counts_cover_every_facet_kind_most_frequent_first(corpus, taxonomy):
    facets = facet_counts(corpus.snap, doc_array(corpus.snap.live), taxonomy)
    assert set(facets) == {name for name, _ in FACETS}
    specialties = facets["specialty"]
    assert specialties[0] == {
        "value": "polyamory",
        "label": "Polyamory & Ethical Non-Monogamy",
        "count": 5,
    }
    counts = [v["count"] for v in specialties]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("start", [{}, {"couples": True}, {"video": True, "specialty": ["ENM"]}])
def test_a_count_is_what_adding_that_value_as_a_filter_returns(corpus, taxonomy, start):
    base = build_filters(start, taxonomy)
    mask = apply_filters(corpus.snap, base)
    for name, values in facet_counts(corpus.snap, doc_array(mask), taxonomy).items():
        for value in values:
            narrowed = apply_filters(
                corpus.snap, [*base, TermFilter(name, f"{name}:{value['value']}", "")]
            )
            assert value["count"] == narrowed.bit_count(), (name, value)


def test_languages_and_insurers_are_shown_capitalised(corpus, taxonomy):
    facets = facet_counts(corpus.snap, doc_array(corpus.snap.live), taxonomy)
    assert {"value": "spanish", "label": "Spanish", "count": 1} in facets["language"]
    assert {"value": "aetna", "label": "Aetna", "count": 1} in facets["insurance"]


def test_an_empty_result_has_empty_facets(corpus, taxonomy):
    assert facet_counts(corpus.snap, doc_array(0), taxonomy) == {name: [] for name, _ in FACETS}
