"""The search, evaluated the straightforward way: every document, one at a time, in Python.

The engine (directory/search/) never looks at most documents: it starts from the documents
near the place, keeps document sets as bitmasks and arrays, and sorts only the page it needs.
This module answers the same question from the index documents themselves (what
`indexer.index.document` made of each row), so that the equivalence tests can check, on
random searches, that speed never changes an answer. Free text is the one part taken from
the engine (`match_concept`: which documents hold a word, and their BM25 scores): what it
checks is how those are combined, filtered, placed, ordered and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from directory.search.facets import FACETS, _label
from directory.search.filters import MaxFeeFilter, TermFilter, build_filters
from directory.search.place import radius_km, resolve_location
from directory.search.query import STRUCTURED_SCORE, match_concept, parse_query
from indexer.geo import haversine_km
from indexer.index import Snapshot
from indexer.index.schema import decode_doc
from indexer.taxonomy import Taxonomy


@dataclass
class Doc:
    """One index document as the straightforward search reads it."""

    number: int  # its document number in the snapshot
    therapist_id: int
    terms: set[str]
    fee: int | None
    offices: tuple[tuple[float, float], ...]


def doc_of(number: int, document: dict[str, Any]) -> Doc:
    tid, fee, offices = decode_doc(document["doc"])
    return Doc(number, tid, set(document["kw"].split(",")) - {""}, fee, offices)


@dataclass
class Answer:
    total: int
    page: list[tuple[int, float | None, bool, float]]  # (therapist id, km, remote, score)
    facets: dict[str, list[dict]]


def answer(
    docs: list[Doc], snap: Snapshot, args: dict, taxonomy: Taxonomy, geocoder: Any
) -> Answer:
    """Total, the requested page and the facet counts of a search over `docs` (the live
    documents of `snap`)."""
    place = resolve_location(args, geocoder)
    filters = build_filters(args, taxonomy)
    concepts = [match_concept(snap, c) for c in parse_query(args.get("q") or "", taxonomy)]
    found: list[tuple[Doc, float | None, bool, float]] = []
    for doc in docs:
        if not all(_passes(f, doc) for f in filters):
            continue
        if not all(_structured(m, doc) or _bit(m.text, doc.number) for m in concepts):
            continue
        km: float | None = None
        remote = False
        if place is not None:
            nearest = min(
                (haversine_km(place.lat, place.lon, lat, lon) for lat, lon in doc.offices),
                default=None,
            )
            if place.precision == "state":
                local = f"office_state:{(place.state or '').lower()}" in doc.terms
            else:
                local = nearest is not None and nearest <= radius_km(args)
            if local:
                km = nearest
            elif (
                args.get("video") is True
                and place.state
                and f"licensed:{place.state.lower()}" in doc.terms
            ):
                remote = True
            else:
                continue
        score = 0.0
        for m in concepts:
            if _structured(m, doc):
                score += STRUCTURED_SCORE
            if _bit(m.text, doc.number):
                score += sum(table.get(doc.number, 0.0) for table in _tables(m))
        found.append((doc, km, remote, score))
    by_distance = args.get("sort") == "distance" or (
        args.get("sort") is None and place is not None and not args.get("q")
    )

    def key(hit: tuple[Doc, float | None, bool, float]) -> tuple:
        doc, km, remote, score = hit
        far = float("inf") if km is None and place is not None and not remote else (km or 0.0)
        if by_distance:
            return (remote, far, -score, doc.therapist_id)
        return (-score, remote, far, doc.therapist_id)

    if by_distance or concepts:
        found.sort(key=key)
    else:  # nothing to rank by: by therapist id, the same on every node
        found.sort(key=lambda hit: hit[0].therapist_id)
    start = (args["page"] - 1) * args["per_page"]
    page = [(d.therapist_id, km, remote, score) for d, km, remote, score in found][
        start : start + args["per_page"]
    ]
    return Answer(len(found), page, _facets([d for d, *_ in found], taxonomy))


def _passes(f: Any, doc: Doc) -> bool:
    if isinstance(f, TermFilter):
        return f.term in doc.terms
    if isinstance(f, MaxFeeFilter):
        return doc.fee is not None and doc.fee <= f.amount
    raise AssertionError(f"a filter the straightforward search does not know: {f!r}")


def _structured(match: Any, doc: Doc) -> bool:
    for res in match.concept.terms:
        prefix = "format" if res.term.kind == "session_format" else res.term.kind
        if f"{prefix}:{res.term.slug}" in doc.terms:
            return True
    return False


def _bit(mask: int, number: int) -> bool:
    return bool(mask >> number & 1)


def _tables(match: Any) -> list[dict[int, float]]:
    """The concept's BM25 tables as {document: score}."""
    return [
        table if isinstance(table, dict) else dict(zip(*map(list, table), strict=True))
        for table in match.score_tables
    ]


def _facets(found: list[Doc], taxonomy: Taxonomy, limit: int = 60) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for name, kind in FACETS:
        counts: dict[str, int] = {}
        for doc in found:
            for term in doc.terms:
                if term.startswith(f"{name}:"):
                    counts[term] = counts.get(term, 0) + 1
        values = [
            {
                "value": (value := term.split(":", 1)[1]),
                "label": _label(taxonomy, kind, value),
                "count": n,
            }
            for term, n in counts.items()
        ]
        values.sort(key=lambda v: (-v["count"], v["label"]))
        out[name] = values[:limit]
    return out
