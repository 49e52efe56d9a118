"""Search: the one implementation behind the JSON API and the pages.

`run_search(args)` takes validated parameters (see params.py) and returns the response body of
GET /api/v1/therapists: results with distances and why they matched, facet counts over the whole
result set, the resolved place, and suggestions when nothing matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexer.geo import KM_PER_MILE, covering_cells, haversine_km
from indexer.geocode import Placement, resolve_place
from indexer.taxonomy import Taxonomy

from ..errors import ApiError
from .engine import SearchEngine, Snapshot
from .facets import facet_counts
from .filters import MaxFeeFilter, TermFilter, apply_filters, flag_filter
from .text import ConceptMatch, match_concept, parse_query, score

FLAG_PARAMS = ("couples", "video", "intro_video", "accepting", "free_consultation",
               "sliding_scale")


@dataclass
class Hit:
    """One matching document: its distance (None when remote or no place) and score."""

    doc: int
    distance_km: float | None
    remote: bool = False
    score: float = 0.0


@dataclass
class Outcome:
    """Everything a search found, before it is turned into a response."""

    hits: list[Hit]
    place: Placement | None
    filters: list = field(default_factory=list)
    concepts: list[ConceptMatch] = field(default_factory=list)
    docs: set[int] = field(default_factory=set)


def resolve_location(args: dict, geocoder: Any) -> Placement | None:
    """The searched place, or None; 422 for an unknown or ambiguous place."""
    if "lat" in args:
        return Placement(args["lat"], args["lon"], "exact",
                         f"{args['lat']:.4f}, {args['lon']:.4f}")
    if "near" not in args:
        return None
    candidates = resolve_place(args["near"], geocoder)
    if not candidates:
        raise ApiError(422, f"Could not find the place {args['near']!r}.",
                       code="unknown_location", fields={"near": ["Unknown place."]})
    if len(candidates) > 1:
        raise ApiError(
            422, f"{args['near']!r} matches several places; which one?",
            code="ambiguous_location", fields={"near": ["Ambiguous place."]},
            candidates=[{"label": c.label, "lat": c.lat, "lon": c.lon, "state": c.state,
                         "near": c.label} for c in candidates[:10]],
        )
    return candidates[0]


def build_filters(args: dict, taxonomy: Taxonomy) -> list:
    """Filter objects for every structured parameter; 400 for unknown terms."""
    filters: list = [flag_filter(p) for p in FLAG_PARAMS if args.get(p) is True]
    errors: dict[str, list[str]] = {}
    matches: dict[str, list] = {}
    for param, kind in (("specialty", "specialty"), ("modality", "modality"),
                        ("format", "session_format")):
        for text in args.get(param, ()):
            res = taxonomy.resolve(kind, text)
            if res is None:
                close = taxonomy.suggest(kind, text)
                hint = f" Did you mean: {', '.join(t.slug for t in close)}?" if close else ""
                errors.setdefault(param, []).append(f"Unknown {param} {text!r}.{hint}")
                matches.setdefault(param, []).extend(
                    {"value": t.slug, "label": t.label} for t in close)
                continue
            prefix = "format" if kind == "session_format" else kind
            filters.append(TermFilter(param, f"{prefix}:{res.term.slug}",
                                      f"{param.replace('_', ' ')}: {res.term.label}", text))
    if errors:
        raise ApiError(400, "Unknown terms: see fields.", fields=errors, close_matches=matches)
    for param in ("language", "insurance"):
        for text in args.get(param, ()):
            filters.append(TermFilter(param, f"{param}:{text.strip().lower()}",
                                      f"{param}: {text.strip()}"))
    if "max_fee" in args:
        filters.append(MaxFeeFilter(args["max_fee"]))
    return filters


def find(snap: Snapshot, args: dict, place: Placement | None, filters: list,
         taxonomy: Taxonomy) -> Outcome:
    """Run a search on one snapshot: filters, place, text; hits in final order."""
    concepts = [match_concept(snap, c) for c in parse_query(args.get("q") or "", taxonomy)]
    docs = apply_filters(snap, filters)
    for match in concepts:
        docs &= match.docs
    hits = _place_hits(snap, docs, place, args) if place else [Hit(d, None) for d in docs]
    for hit in hits:
        hit.score = score(hit.doc, concepts)
    by_distance = args.get("sort") == "distance" or (args.get("sort") is None and place
                                                       and not args.get("q"))
    if by_distance:
        hits.sort(key=lambda h: (h.remote, h.distance_km or 0.0, -h.score, snap.ids[h.doc]))
    else:
        hits.sort(key=lambda h: (-h.score, h.remote, h.distance_km or 0.0, snap.ids[h.doc]))
    return Outcome(hits, place, filters, concepts, {h.doc for h in hits})


def radius_km(args: dict) -> float:
    return args["radius"] * (KM_PER_MILE if args["unit"] == "mi" else 1.0)


def _place_hits(snap: Snapshot, docs: set[int], place: Placement, args: dict) -> list[Hit]:
    """Documents with an office within the radius (nearest office), plus remote video ones."""
    limit = radius_km(args)
    hits: list[Hit] = []
    if place.precision == "state":
        local = docs & snap.term_docs(f"office_state:{place.state.lower()}")
    else:
        cells = covering_cells(place.lat, place.lon, limit)
        local = docs & snap.any_term_docs(f"cell:{c}" for c in cells)
    offices = snap.offices
    for doc in local:
        nearest = min(haversine_km(place.lat, place.lon, lat, lon) for lat, lon in offices[doc])
        if place.precision == "state" or nearest <= limit:
            hits.append(Hit(doc, nearest))
    if args.get("video") is True and place.state:
        near_docs = {h.doc for h in hits}
        licensed = snap.term_docs(f"licensed:{place.state.lower()}")
        hits.extend(Hit(d, None, remote=True) for d in (docs & licensed) - near_docs)
    return hits


def search(args: dict, *, engine: SearchEngine, taxonomy: Taxonomy, geocoder: Any
           ) -> tuple[Snapshot, Outcome]:
    """Resolve the place and the filters, then search the current snapshot."""
    place = resolve_location(args, geocoder)
    filters = build_filters(args, taxonomy)
    try:
        snap = engine.snapshot()
    except FileNotFoundError:
        raise ApiError(503, "The search index is being built; try again shortly.") from None
    return snap, find(snap, args, place, filters, taxonomy)


def suggestions(snap: Snapshot, args: dict, outcome: Outcome, taxonomy: Taxonomy) -> list[dict]:
    """For an empty result: what would help (a wider radius, video, one filter fewer), with
    how many therapists each would find."""
    tries: list[tuple[str, dict]] = []
    if outcome.place is not None:
        radius, most = args["radius"], (500 if args["unit"] == "mi" else 800)
        for wider in sorted({radius * 2, radius * 5, 25, 50, 100}):
            if radius < wider <= most:
                tries.append((f"Search within {wider:g} {args['unit']}",
                              {**args, "radius": float(wider)}))
        if args.get("video") is not True:
            tries.append(("Include therapists who offer video sessions",
                          {**args, "video": True}))
    for f in outcome.filters:
        without = _without(args, f)
        tries.append((f"Without \u201c{f.describe()}\u201d", without))
    if args.get("q"):
        tries.append(("Without the words", {k: v for k, v in args.items() if k != "q"}))
    out: list[dict] = []
    for label, changed in tries:
        widening = "radius" in changed and changed["radius"] != args["radius"]
        if widening and any("radius" in s["set"] for s in out):
            continue  # the smallest wider radius that finds someone is enough
        filters = build_filters(changed, taxonomy)
        total = len(find(snap, changed, outcome.place, filters, taxonomy).hits)
        if total:
            change = {k: v for k, v in changed.items() if args.get(k) != v}
            dropped = [k for k in args if k not in changed]
            out.append({"label": label, "total": total, "set": change, "remove": dropped})
    return out[:5]


def _without(args: dict, f: Any) -> dict:
    changed = dict(args)
    value = changed.get(f.param)
    if isinstance(value, list):
        rest = [v for v in value if getattr(f, "asked", None) != v]
        if rest:
            changed[f.param] = rest
            return changed
    changed.pop(f.param, None)
    return changed


__all__ = ["search", "suggestions", "facet_counts", "radius_km", "Hit", "Outcome"]
