"""The searched place: resolving what was typed, and keeping documents within the radius."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from indexer.geo import KM_PER_MILE, covering_cells, haversine_km
from indexer.geocode import Placement, resolve_place
from indexer.index import Snapshot, docs_of, mask_of

from ..errors import ApiError

if TYPE_CHECKING:
    from .evaluate import Outcome


def resolve_location(args: dict, geocoder: Any) -> Placement | None:
    """The searched place, or None; 422 for an unknown or ambiguous place."""
    if "lat" in args:
        return Placement(args["lat"], args["lon"], "exact", f"{args['lat']:.4f}, {args['lon']:.4f}")
    if "near" not in args:
        return None
    candidates = resolve_place(args["near"], geocoder)
    if not candidates:
        raise ApiError(
            422,
            f"Could not find the place {args['near']!r}.",
            code="unknown_location",
            fields={"near": ["Unknown place."]},
        )
    if len(candidates) > 1:
        raise ApiError(
            422,
            f"{args['near']!r} matches several places; which one?",
            code="ambiguous_location",
            fields={"near": ["Ambiguous place."]},
            candidates=[
                {"label": c.label, "lat": c.lat, "lon": c.lon, "state": c.state, "near": c.label}
                for c in candidates[:10]
            ],
        )
    return candidates[0]


def radius_km(args: dict) -> float:
    """The radius asked for, in kilometres."""
    return args["radius"] * (KM_PER_MILE if args["unit"] == "mi" else 1.0)


def keep_nearby(
    snap: Snapshot, outcome: Outcome, args: dict, distances: dict[int, float] | None = None
) -> None:
    """Keep documents with an office within the radius (with the nearest office's distance),
    plus, for video searches, remote therapists licensed in the place's state. `distances`
    remembers each document's nearest office across the finds of one request."""
    place, mask, limit = outcome.place, outcome.mask, radius_km(args)
    assert place is not None
    if place.precision == "state":
        local = mask & snap.term_mask(f"office_state:{(place.state or '').lower()}")
    else:
        cells = covering_cells(place.lat, place.lon, limit)
        local = mask & snap.any_term_mask(f"cell:{c}" for c in cells)
    offices = snap.offices
    known = {} if distances is None else distances
    for doc in docs_of(local):
        nearest = known.get(doc)
        if nearest is None:
            nearest = known[doc] = min(
                haversine_km(place.lat, place.lon, lat, lon) for lat, lon in offices[doc]
            )
        if place.precision == "state" or nearest <= limit:
            outcome.distance[doc] = nearest
    kept = mask_of(outcome.distance)
    docs = list(outcome.distance)
    if args.get("video") is True and place.state:
        remote = docs_of(mask & snap.term_mask(f"licensed:{place.state.lower()}") & ~kept)
        outcome.remote = set(remote)
        kept |= mask_of(remote)
        docs += remote
    outcome.set_matches(kept, docs)
