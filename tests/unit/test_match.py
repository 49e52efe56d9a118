"""`match`: why a result matched, in the API's shape and as the phrases the pages show."""

from __future__ import annotations

import pytest

from directory.pages.display import why_matched
from directory.search.evaluate import find
from directory.search.filters import build_filters
from directory.search.place import resolve_location
from directory.search.results import match_explanation
from indexer.geocode import OfflineGeocoder
from indexer.models import Office, Therapist

from ..search_corpus import CORPUS


@pytest.fixture(scope="module")
def corpus(corpus_of):
    return corpus_of(CORPUS)


def explain(corpus, taxonomy, source_id: str, **args):
    """The match explanation of one profile for a search with `args`."""
    args = {"radius": 25.0, "unit": "mi", **args}
    place = resolve_location(args, OfflineGeocoder())
    outcome = find(corpus.snap, args, place, build_filters(args, taxonomy), taxonomy)
    row = corpus.row(source_id)
    [hit] = [h for h in outcome.page(0, 50) if corpus.snap.ids[h.doc] == row["id"]]
    columns = {c.key for c in Therapist.__table__.columns}
    therapist = Therapist(**{k: v for k, v in row.items() if k in columns})
    therapist.offices = [Office(lat=40.75, lon=-74.0)]
    return match_explanation(therapist, hit, outcome, args, taxonomy)


def test_a_synonym_is_named_with_the_therapists_own_word(corpus, taxonomy):
    match = explain(corpus, taxonomy, "ana", specialty=["ENM"])
    [term] = match["terms"]
    assert term == {
        "field": "specialty",
        "value": "polyamory",
        "label": "Polyamory & Ethical Non-Monogamy",
        "how": "listed on the profile",
        "query": "ENM",
        "synonym": '"ENM" means Polyamory & Ethical Non-Monogamy',
        "profile_term": "ENM",
    }
    assert why_matched(match) == [
        'Polyamory & Ethical Non-Monogamy ("ENM" means Polyamory & Ethical Non-Monogamy)'
    ]


def test_the_distance_and_the_radius_come_first(corpus, taxonomy):
    match = explain(corpus, taxonomy, "ben", near="10001", couples=True)
    # Brooklyn Heights is about 4 miles from Chelsea.
    assert match["filters"][0] == "office 3.8 mi away (within 25 mi)"
    assert match["filters"][1] == "sees couples"
    assert match["remote"] is False


def test_a_remote_match_says_where_it_is_licensed(corpus, taxonomy):
    match = explain(corpus, taxonomy, "eve", near="10001", video=True)
    assert match["remote"] is True
    assert match["filters"][0] == "offers video sessions and is licensed in NY"


def test_words_found_only_in_the_text_say_so(corpus, taxonomy):
    match = explain(corpus, taxonomy, "gus", q="gottman")
    assert match["terms"] == [
        {"query": "gottman", "how": "mentioned in the profile text", "words": ["gottman"]}
    ]
    assert why_matched(match) == ["\u201cgottman\u201d mentioned in the profile text"]
