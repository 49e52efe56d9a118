"""Free text as concepts: taxonomy terms by any synonym or misspelling, phrases, plain words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.search.query import match_concept, parse_query

from ..search_corpus import CORPUS


def concepts(q: str, taxonomy) -> list[tuple[str, list[str]]]:
    return [
        (c.text, [f"{r.term.kind}:{r.term.slug}" for r in c.terms])
        for c in parse_query(q, taxonomy)
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", []),
        ("poly", [("poly", ["specialty:polyamory"])]),
        (
            "poly EFT anxeity",
            [
                ("poly", ["specialty:polyamory"]),
                ("EFT", ["modality:eft"]),
                ("anxeity", ["specialty:anxiety"]),
            ],
        ),
        ("gotman", [("gotman", ["modality:gottman"])]),
        # The longest run of words that names a term wins.
        (
            "gottman method couples",
            [
                ("gottman method", ["modality:gottman"]),
                ("couples", ["client_type:couples", "specialty:couples-counseling"]),
            ],
        ),
        # Stop words are not concepts; other words are plain text.
        ("a therapist for the bay", [("therapist", []), ("bay", [])]),
        # A quoted phrase is one concept.
        (
            '"open relationships" Brooklyn',
            [("open relationships", ["specialty:polyamory"]), ("Brooklyn", [])],
        ),
        # Nothing is query syntax; "OR" and "AND" are stop words like any other.
        (
            "name:ana OR (kink* AND",
            [("name", []), ("ana", []), ("kink", ["specialty:kink"])],
        ),
    ],
)
def test_free_text_becomes_concepts(taxonomy, q, expected):
    got = [(text, sorted(terms)) for text, terms in concepts(q, taxonomy)]
    assert got == [(text, sorted(terms)) for text, terms in expected]


def test_short_misspellings_are_not_corrected(taxonomy):
    # "anx" is too short to be read as anxiety: a wrong term is worse than none.
    assert concepts("anx", taxonomy) == [("anx", [])]


@given(st.text(max_size=200))
def test_no_text_is_an_error(q):
    from indexer.taxonomy import load_taxonomy

    for concept in parse_query(q, load_taxonomy()):
        assert concept.text.strip()


@pytest.fixture(scope="module")
def corpus(corpus_of):
    return corpus_of(CORPUS)


def test_a_client_type_in_free_text_matches_only_listed_client_types(corpus, taxonomy):
    # Gus's bio says "I do not work with couples": that is no couples match.
    [couples] = parse_query("couples", taxonomy)
    assert "gus" not in corpus.ids(match_concept(corpus.snap, couples).mask)


def test_a_term_matches_profiles_listing_it_and_bios_mentioning_it(corpus, taxonomy):
    [gottman] = parse_query("gottman", taxonomy)
    match = match_concept(corpus.snap, gottman)
    assert corpus.ids(match.structured) == {"ben"}
    assert "gus" in corpus.ids(match.text)  # "I trained in the Gottman method"


def test_plain_words_match_names_without_accents(corpus, taxonomy):
    [jose, nunez] = parse_query("jose nunez", taxonomy)
    both = match_concept(corpus.snap, jose).mask & match_concept(corpus.snap, nunez).mask
    assert corpus.ids(both) == {"jose"}
