"""Filters on the hand-written corpus (tests/search_corpus.py): which profiles each selects,
and what each says about itself."""

from __future__ import annotations

import pytest

from directory.errors import ApiError
from directory.search.filters import MaxFeeFilter, apply_filters, build_filters, flag_filter

from ..search_corpus import CORPUS


@pytest.fixture(scope="module")
def corpus(corpus_of):
    return corpus_of(CORPUS)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, {"ana", "ben", "cara", "dev", "eve", "fay", "gus", "jose", "kim"}),
        ({"couples": True}, {"ana", "ben", "cara", "dev", "eve", "fay", "kim"}),
        ({"video": True}, {"ana", "dev", "eve", "fay", "jose"}),
        ({"intro_video": True}, {"kim"}),
        ({"accepting": True}, {"ana"}),
        # "ENM", "poly", "open relationships" and the slug all mean polyamory.
        ({"specialty": ["ENM"]}, {"ana", "cara", "dev", "eve", "fay"}),
        ({"specialty": ["polyamory"]}, {"ana", "cara", "dev", "eve", "fay"}),
        ({"specialty": ["kink"]}, {"ben"}),
        ({"specialty": ["polyamory", "anxiety"]}, {"dev"}),
        ({"modality": ["gottman"]}, {"ben"}),
        ({"modality": ["Emotionally Focused Therapy"]}, {"cara"}),
        ({"format": ["video"]}, {"ana", "dev", "eve", "fay", "jose"}),
        ({"language": ["spanish"]}, {"ana"}),
        ({"language": ["Spanish"], "insurance": ["AETNA"]}, {"ana"}),
        ({"max_fee": 150}, {"ana"}),
        ({"max_fee": 200}, {"ana", "ben"}),
        ({"couples": True, "video": True, "specialty": ["ENM"]}, {"ana", "dev", "eve", "fay"}),
    ],
)
def test_filters_select_exactly_the_matching_profiles(corpus, taxonomy, args, expected):
    filters = build_filters(args, taxonomy)
    assert corpus.ids(apply_filters(corpus.snap, filters)) == expected


def test_a_premarital_specialist_counts_as_seeing_couples(corpus, taxonomy):
    # Kim lists no client types: "premarital" implies couples work.
    assert "kim" in corpus.ids(apply_filters(corpus.snap, [flag_filter("couples")]))


def test_profiles_without_a_fee_never_pass_a_fee_limit(corpus):
    assert corpus.ids(MaxFeeFilter(100_000).mask(corpus.snap)) == {"ana", "ben"}


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        ({"couples": True}, "sees couples"),
        (
            {"specialty": ["ENM"]},
            'specialty: Polyamory & Ethical Non-Monogamy (you asked for "ENM")',
        ),
        ({"specialty": ["polyamory"]}, "specialty: Polyamory & Ethical Non-Monogamy"),
        ({"language": ["Spanish"]}, "language: Spanish"),
        ({"max_fee": 150}, "fees from $150 or less"),
    ],
)
def test_each_filter_says_what_it_requires(taxonomy, args, phrase):
    [only] = build_filters(args, taxonomy)
    assert only.describe() == phrase


def test_an_unknown_term_is_a_400_with_close_matches(taxonomy):
    with pytest.raises(ApiError) as caught:
        build_filters({"specialty": ["polyamry", "kink"], "modality": ["gotman"]}, taxonomy)
    err = caught.value
    assert err.status == 400
    assert set(err.fields) == {"specialty", "modality"}
    assert "polyamory" in err.fields["specialty"][0]
    assert {"value": "polyamory", "label": taxonomy.get("specialty", "polyamory").label} in (
        err.extra["close_matches"]["specialty"]
    )
