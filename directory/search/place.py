"""The searched place: resolving what was typed, and keeping documents within the radius."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.geo import KM_PER_MILE, covering_cells
from indexer.geocode import Placement, resolve_place
from indexer.index import Snapshot, doc_array

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


def keep_nearby(snap: Snapshot, outcome: Outcome, args: dict) -> None:
    """Keep the matching documents with an office within the radius (with the nearest
    office's distance), plus, for video searches, remote therapists licensed in the place's
    state. Only documents in the geohash cells around the place are looked at: the cost of a
    local search follows the number of therapists near it, not the size of the directory."""
    place, limit = outcome.place, radius_km(args)
    assert place is not None
    if place.precision == "state":
        state = f"office_state:{(place.state or '').lower()}"
        docs = doc_array(outcome.filtered(snap) & snap.term_mask(state))
        km = snap.nearest_km(place.lat, place.lon, docs)
    else:
        cells = covering_cells(place.lat, place.lon, limit)
        docs = snap.near(cells, lambda candidates: outcome.passing(snap, candidates))
        km = snap.nearest_km(place.lat, place.lon, docs)
        within = km <= limit
        docs, km = docs[within], km[within]
    remote = np.zeros(len(docs), dtype=bool)
    if args.get("video") is True and place.state:
        licensed = snap.term_mask(f"licensed:{place.state.lower()}")
        far = doc_array(outcome.filtered(snap) & licensed)
        far = far[~np.isin(far, docs, assume_unique=True)]
        if len(far):
            order = np.argsort(np.concatenate([docs, far]), kind="stable")
            docs = np.concatenate([docs, far])[order]
            km = np.concatenate([km, np.full(len(far), np.nan)])[order]
            remote = np.concatenate([remote, np.ones(len(far), dtype=bool)])[order]
    outcome.docs, outcome.km, outcome.remote = docs, km, remote
