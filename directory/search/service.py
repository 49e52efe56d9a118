"""Search: the one implementation behind the JSON API and the pages.

`run_search(args)` takes validated parameters (see params.py) and returns the response body of
GET /api/v1/therapists: results with distances and why they matched, facet counts over the whole
result set, the resolved place, and suggestions when nothing matched.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from indexer.geo import KM_PER_MILE, covering_cells, haversine_km
from indexer.geocode import Placement, resolve_place
from indexer.taxonomy import Taxonomy

from ..errors import ApiError
from .engine import SearchEngine, Snapshot, docs_of, mask_of
from .filters import MaxFeeFilter, TermFilter, apply_filters, flag_filter
from .text import ConceptMatch, match_concept, parse_query, scores

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
    """Everything a search found. Only the requested page is ever put in order."""

    mask: int  # the matching documents
    place: Placement | None
    filters: list = field(default_factory=list)
    concepts: list[ConceptMatch] = field(default_factory=list)
    distance: dict[int, float] = field(default_factory=dict)  # local hits: nearest office
    remote: set[int] = field(default_factory=set)
    scores: dict[int, float] = field(default_factory=dict)
    by_distance: bool = False
    ids: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.mask.bit_count()

    _docs: list[int] | None = None

    @property
    def docs(self) -> list[int]:
        """The matching documents, listed once."""
        if self._docs is None:
            self._docs = docs_of(self.mask)
        return self._docs

    def page(self, start: int, count: int) -> list[Hit]:
        """Hits start..start+count in final order (a partial sort of the whole set)."""
        distance, remote, scores, ids = self.distance, self.remote, self.scores, self.ids
        if self.by_distance:
            def key(d: int) -> tuple:
                return (d in remote, distance.get(d, 0.0), -scores.get(d, 0.0), ids[d])
        else:
            def key(d: int) -> tuple:
                return (-scores.get(d, 0.0), d in remote, distance.get(d, 0.0), ids[d])
        docs, wanted = self.docs, start + count
        if not self.by_distance and not scores:
            top = docs[start:start + count]  # no ranking asked for: index order
        else:
            if not self.by_distance and len(docs) > 4 * wanted:
                # Keep the documents scoring at least the wanted-th best score (ties too)
                # before the full sort key, which costs a Python call per document.
                values = [scores.get(d, 0.0) for d in docs]
                floor = heapq.nlargest(wanted, values)[-1]
                docs = [d for d, v in zip(docs, values, strict=True) if v >= floor]
            top = heapq.nsmallest(wanted, docs, key=key)[start:]
        return [Hit(d, distance.get(d), d in remote, scores.get(d, 0.0)) for d in top]


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
    """Run a search on one snapshot: filters, place, text."""
    concepts = [match_concept(snap, c) for c in parse_query(args.get("q") or "", taxonomy)]
    mask = apply_filters(snap, filters)
    for match in concepts:
        mask &= match.mask
    outcome = Outcome(mask, place, filters, concepts, ids=snap.ids)
    if place is not None:
        _place(snap, outcome, args)
    outcome.scores = scores(outcome.mask, concepts)
    sort = args.get("sort")
    outcome.by_distance = sort == "distance" or (sort is None and place is not None
                                                 and not args.get("q"))
    return outcome


def radius_km(args: dict) -> float:
    return args["radius"] * (KM_PER_MILE if args["unit"] == "mi" else 1.0)


def _place(snap: Snapshot, outcome: Outcome, args: dict) -> None:
    """Keep documents with an office within the radius (with the nearest office's distance),
    plus, for video searches, remote therapists licensed in the place's state."""
    place, mask, limit = outcome.place, outcome.mask, radius_km(args)
    if place.precision == "state":
        local = mask & snap.term_mask(f"office_state:{place.state.lower()}")
    else:
        cells = covering_cells(place.lat, place.lon, limit)
        local = mask & snap.any_term_mask(f"cell:{c}" for c in cells)
    offices = snap.offices
    for doc in docs_of(local):
        nearest = min(haversine_km(place.lat, place.lon, lat, lon) for lat, lon in offices[doc])
        if place.precision == "state" or nearest <= limit:
            outcome.distance[doc] = nearest
    kept = mask_of(outcome.distance)
    docs = list(outcome.distance)
    if args.get("video") is True and place.state:
        remote = docs_of(mask & snap.term_mask(f"licensed:{place.state.lower()}") & ~kept)
        outcome.remote = set(remote)
        kept |= mask_of(remote)
        docs += remote
    outcome.mask, outcome._docs = kept, docs


def current_snapshot(engine: SearchEngine) -> Snapshot:
    """The engine's current snapshot; 503 while no index has been built yet."""
    try:
        return engine.snapshot()
    except FileNotFoundError:
        raise ApiError(503, "The search index is being built; try again shortly.") from None


def search(args: dict, *, engine: SearchEngine, taxonomy: Taxonomy, geocoder: Any,
           snap: Snapshot | None = None) -> tuple[Snapshot, Outcome]:
    """Resolve the place and the filters, then search a snapshot (the current one)."""
    place = resolve_location(args, geocoder)
    filters = build_filters(args, taxonomy)
    snap = snap or current_snapshot(engine)
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
        total = find(snap, changed, outcome.place, filters, taxonomy).total
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

