"""Speed never changes an answer: random searches, answered by the engine and by the
straightforward evaluation (straightforward.py), give the same total, the same page in the same
order, the same distances and the same facet counts.

The corpora are random too (seeded): offices clustered around a few metros with shared
coordinates (distance ties), random taxonomy terms, fees, languages and licences, bios built
from taxonomy and everyday words; two are split into several segments with deleted documents,
as an index that has been synced looks, and one of those is on disk with a base of columns
shared by processes and segments written after it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from directory.search.evaluate import find
from directory.search.facets import facet_counts
from directory.search.filters import build_filters
from directory.search.params import load_args
from directory.search.place import resolve_location
from indexer.geocode import OfflineGeocoder
from indexer.index import IndexStore, Snapshot, document, memory_snapshot
from indexer.index.writers import writer_args
from indexer.taxonomy import Taxonomy

from .conftest import index_row
from .straightforward import Answer, answer, doc_of

GEOCODER = OfflineGeocoder()
# Metro centres (lat, lon, state) that offices cluster around.
METROS = [
    (40.75, -73.99, "NY"),
    (40.72, -74.05, "NJ"),
    (41.03, -73.77, "NY"),
    (42.36, -71.07, "MA"),
    (41.90, -87.63, "IL"),
    (37.75, -122.42, "CA"),
]
# Places a search names (ZIPs, a city, a state).
PLACES = [
    "10001",
    "11201",
    "07030",
    "10601",
    "02139",
    "60614",
    "94110",
    "NY",
    "New Jersey",
    "Texas",
]
LANGUAGES = ["English", "Spanish", "Mandarin", "ASL"]
INSURERS = ["Aetna", "Cigna", "Blue Cross", "Medicaid"]
WORDS = [
    "trust",
    "anxiety",
    "anxeity",
    "couples",
    "grief",
    "attachment",
    "gottman",
    "gotman",
    "polyamory",
    "ENM",
    "kink",
    "communication",
    "care",
    "rebuild",
    "EFT",
    "trauma",
    "video",
    "lopez",
    "psychologist",
    "emdr",
]
BIO_WORDS = ["trust", "care", "rebuild", "grief", "anxiety", "trauma", "partners", "repair"]
NAMES = ["Ana López", "Ben Okafor", "Cara Diaz", "Dev Patel", "Eli Cohen", "Fay Wong", "Gus Lee"]


def random_profiles(taxonomy: Taxonomy, seed: int, count: int) -> list[dict[str, Any]]:
    """`count` valid input profiles drawn from the taxonomy and the metros above."""
    rng = random.Random(seed)
    slugs = {kind: sorted(terms) for kind, terms in taxonomy.terms.items()}
    shared = [
        (lat + rng.uniform(-0.2, 0.2), lon + rng.uniform(-0.2, 0.2), st_)
        for lat, lon, st_ in METROS
        for _ in range(3)
    ]
    out = []
    for n in range(count):
        offices = []
        for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
            if rng.random() < 0.4:
                lat, lon, state = rng.choice(shared)  # the same point as others: ties
            else:
                lat, lon, state = rng.choice(METROS)
                lat, lon = lat + rng.gauss(0, 0.25), lon + rng.gauss(0, 0.25)
            offices.append({"city": "Somewhere", "state": state, "lat": lat, "lon": lon})
        states = sorted({s for *_, s in METROS})
        out.append(
            {
                "id": f"r{seed}-{n}",
                "name": rng.choice(NAMES),
                "credentials": rng.choice(["LMFT", "LCSW", "PsyD", "MD", "LPC"]),
                "specialties": rng.sample(slugs["specialty"], rng.randint(0, 4)),
                "modalities": rng.sample(slugs["modality"], rng.randint(0, 3)),
                "client_types": rng.sample(slugs["client_type"], rng.randint(0, 3)),
                "session_formats": rng.sample(slugs["session_format"], rng.randint(1, 2)),
                "languages": rng.sample(LANGUAGES, rng.randint(0, 2)),
                "insurance": rng.sample(INSURERS, rng.randint(0, 2)),
                "telehealth_states": rng.sample(states, rng.randint(0 if offices else 1, 2)),
                "locations": offices,
                "fee_min": rng.choice([None, 80, 120, 150, 200]),
                "accepting_new_clients": rng.random() < 0.7,
                "free_consultation": rng.random() < 0.3,
                "bio": " ".join(rng.choices(BIO_WORDS, k=rng.randint(0, 12))) or None,
            }
        )
    return [{k: v for k, v in p.items() if v not in (None, [])} for p in out]


class RandomCorpus:
    """A snapshot of random profiles, and the same documents for the straightforward search.
    With `folder`, the index is on disk as a live generation is: a base of columns written
    after the first segments, segments and deletions committed after it."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        seed: int,
        count: int,
        segments: int = 1,
        folder: Path | None = None,
    ) -> None:
        rows = [
            index_row(n, p, taxonomy)
            for n, p in enumerate(random_profiles(taxonomy, seed, count), 1)
        ]
        for _, offices in rows[3::11]:
            # An office the geocoder could not place: in its state, at no known distance.
            offices.append({"lat": None, "lon": None, "state": "NY"})
        documents = [document(row, offices) for row, offices in rows]
        # Every seventh document is deleted again: live documents are not all documents.
        deleted = {str(row["id"]) for row, _ in rows[::7]} if segments > 1 else set()
        if folder is None:
            self.snap = memory_snapshot(documents, segments=segments, deleted=deleted)
        else:
            self.snap = disk_snapshot(folder, documents, segments, deleted)
        self.docs = [doc_of(n, d) for n, d in enumerate(documents) if d["id"] not in deleted]


def disk_snapshot(folder: Path, documents: list[dict], segments: int, deleted: set[str]):
    """Half the segments, then a base of columns, then the other half and the deletions."""
    store = IndexStore(folder)
    name = store.new_generation()
    ix = store.open(name)
    size = -(-len(documents) // segments)
    for n, start in enumerate(range(0, len(documents), size)):
        if n == segments // 2:
            store.write_columns(name, force=True)
        writer = ix.writer(**writer_args(64))
        for doc in documents[start : start + size]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    writer = ix.writer(**writer_args(64))
    for doc_id in deleted:
        writer.delete_by_term("id", doc_id)
    writer.commit(merge=False)
    return Snapshot.open(ix.searcher(), name, folder / name)


@pytest.fixture(scope="module")
def corpora(taxonomy: Taxonomy, tmp_path_factory: pytest.TempPathFactory) -> list[RandomCorpus]:
    on_disk = tmp_path_factory.mktemp("index")
    corpora = [
        RandomCorpus(taxonomy, 1, 150),
        RandomCorpus(taxonomy, 2, 240, segments=4),
        RandomCorpus(taxonomy, 3, 200, segments=4, folder=on_disk),
    ]
    assert [len(c.snap.blocks) for c in corpora] == [1, 1, 2]  # the last: base and tail
    return corpora


def searches(taxonomy: Taxonomy) -> st.SearchStrategy[MultiDict]:
    """Random valid search parameters."""
    slugs = {kind: sorted(terms) for kind, terms in taxonomy.terms.items()}
    flag = st.sampled_from([None, "true", "false"])
    return st.fixed_dictionaries(
        {
            "near": st.sampled_from([None, *PLACES]),
            "radius": st.sampled_from([None, "5", "25", "60", "300"]),
            "unit": st.sampled_from([None, "mi", "km"]),
            "couples": flag,
            "video": flag,
            "accepting": flag,
            "free_consultation": flag,
            "specialty": st.lists(st.sampled_from(slugs["specialty"][:12]), max_size=2),
            "modality": st.lists(st.sampled_from(slugs["modality"][:8]), max_size=1),
            "format": st.lists(st.sampled_from(slugs["session_format"]), max_size=1),
            "language": st.lists(st.sampled_from([x.lower() for x in LANGUAGES]), max_size=1),
            "insurance": st.lists(st.sampled_from(INSURERS), max_size=1),
            "max_fee": st.sampled_from([None, "100", "150"]),
            "q": st.lists(st.sampled_from(WORDS), max_size=2).map(" ".join),
            "sort": st.sampled_from([None, "relevance", "distance"]),
            "page": st.sampled_from([None, "1", "2"]),
            "per_page": st.sampled_from([None, "5", "20"]),
        }
    ).map(_as_query)


def _as_query(values: dict[str, Any]) -> MultiDict:
    out: MultiDict = MultiDict()
    for key, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, ""):
                out.add(key, item)
    if out.get("sort") == "distance" and "near" not in out:
        out.pop("sort")
    return out


def engine_answer(corpus: RandomCorpus, args: dict, taxonomy: Taxonomy) -> Answer:
    place = resolve_location(args, GEOCODER)
    outcome = find(corpus.snap, args, place, build_filters(args, taxonomy), taxonomy)
    start = (args["page"] - 1) * args["per_page"]
    page = [
        (int(corpus.snap.ids[h.doc]), h.distance_km, h.remote, h.score)
        for h in outcome.page(start, args["per_page"])
    ]
    return Answer(outcome.total, page, facet_counts(corpus.snap, outcome.docs, taxonomy))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_search_answers_as_the_straightforward_evaluation(corpora, taxonomy, data):
    query = data.draw(searches(taxonomy))
    args = load_args(query)
    # Facets are counted from the results' terms or from whole-index masks, by result size.
    sparse = data.draw(st.sampled_from([1, 10**9]))
    for corpus in corpora:
        with patch("indexer.index.snapshot.SPARSE_FACETS", sparse):
            ours = engine_answer(corpus, args, taxonomy)
        expected = answer(corpus.docs, corpus.snap, args, taxonomy, GEOCODER)
        assert ours.total == expected.total, query
        assert [p[0] for p in ours.page] == [p[0] for p in expected.page], query
        for (_, km, remote, score), (_, km_, remote_, score_) in zip(
            ours.page, expected.page, strict=True
        ):
            assert remote == remote_
            assert (km is None) == (km_ is None) and (km is None or km == pytest.approx(km_))
            assert score == pytest.approx(score_)
        assert ours.facets == expected.facets, query
