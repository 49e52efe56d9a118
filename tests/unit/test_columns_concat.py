"""Joining the columns of consecutive segments gives what one segment of all of them would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.index.columns import ARRAYS, Columns, _assemble, concat, load, save
from indexer.index.masks import mask_of

TERMS = [f"specialty:t{n}" for n in range(12)]


def columns_of(docs: list[dict], first: int, segment: str) -> Columns:
    """Columns of documents `docs` (terms, offices as (lat, lon, cell code)), numbered from 0."""
    size = len(docs)
    vocab = sorted({t for d in docs for t in d["terms"]})
    postings = [
        np.array([i for i, d in enumerate(docs) if t in d["terms"]], dtype=np.int32) for t in vocab
    ]
    cells = [(code, i) for i, d in enumerate(docs) for code in sorted({o[2] for o in d["offices"]})]
    return _assemble(
        segments=(segment,),
        ids=np.arange(first, first + size, dtype=np.int64),
        fees=np.array([d["fee"] for d in docs], dtype=np.int64),
        office_counts=np.array([len(d["offices"]) for d in docs], dtype=np.int64),
        lat=np.array([o[0] for d in docs for o in d["offices"]], dtype=np.float64),
        lon=np.array([o[1] for d in docs for o in d["offices"]], dtype=np.float64),
        cells=(
            np.array([c for c, _ in cells], dtype=np.int64),
            np.array([i for _, i in cells], dtype=np.int32),
        ),
        vocab=vocab,
        postings=postings,
        lengths={
            "body": np.array([d["body"] for d in docs], dtype=np.int32),
            "name": np.array([d["name"] for d in docs], dtype=np.int32),
        },
        lexicons={"body": sorted({w for d in docs for w in d["words"]}), "name": []},
    )


document = st.fixed_dictionaries(
    {
        "terms": st.sets(st.sampled_from(TERMS), max_size=5),
        "offices": st.lists(
            st.tuples(st.floats(-80, 80), st.floats(-170, 170), st.integers(0, 6)), max_size=3
        ),
        "fee": st.integers(-1, 300),
        "body": st.integers(0, 300),
        "name": st.integers(0, 5),
        "words": st.sets(st.sampled_from(["anxiety", "grief", "trust"]), max_size=2),
    }
)


@settings(max_examples=150, deadline=None)
@given(segments=st.lists(st.lists(document, max_size=8), min_size=1, max_size=5))
def test_joined_segments_equal_one_segment_of_all_their_documents(segments):
    parts, first = [], 0
    for n, docs in enumerate(segments):
        parts.append(columns_of(docs, first, f"s{n}"))
        first += len(docs)
    whole = columns_of([d for docs in segments for d in docs], 0, "all")
    joined = concat(parts)
    assert joined.vocab == whole.vocab
    assert joined.lexicons == whole.lexicons
    assert joined.segments == tuple(f"s{n}" for n in range(len(segments)))
    for name in ARRAYS:
        got, want = getattr(joined, name), getattr(whole, name)
        assert got.dtype.kind == want.dtype.kind, name
        assert np.array_equal(got, want), name


@settings(max_examples=60, deadline=None)
@given(segments=st.lists(st.lists(document, max_size=20), min_size=1, max_size=3))
def test_a_saved_base_reads_each_terms_documents_from_its_bitmaps_as_from_its_postings(
    segments, tmp_path_factory
):
    parts, first = [], 0
    for n, docs in enumerate(segments):
        parts.append(columns_of(docs, first, f"s{n}"))
        first += len(docs)
    joined = concat(parts)
    folder = tmp_path_factory.mktemp("base") / "columns-000001"
    save(joined, folder)
    base = load(folder)
    assert base.term_bits is not None and joined.term_bits is None
    for term in [*TERMS, "flag:nobody"]:
        assert base.term_mask(term) == mask_of(joined.postings(term))
