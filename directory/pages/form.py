"""The search form's state and what the page shows around the results: facet groups, the map,
errors with "did you mean" links. Pure functions of the query and the response body.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from indexer.geo import KM_PER_MILE

from ..errors import ApiError
from ..parts import taxonomy
from ..search import SEARCH_ARGS
from ..search.params import LIST_PARAMS, Flag
from .display import query_with

RADIUS_CHOICES = (5, 10, 25, 50, 100, 250)
FACETS_SHOWN = 8  # per group before "More"; the rest stay one keypress away
FLAG_FILTERS = (
    ("accepting", "Accepting new clients"),
    ("free_consultation", "Free consultation"),
    ("sliding_scale", "Sliding scale fees"),
)


def page_query(raw: MultiDict) -> MultiDict:
    """The query string as pages and the widget read it. Unlike the API, which refuses what it
    does not know, pages ignore parameters search does not know (`utm_source`, `fbclid`: shared
    links pick them up). A place typed in the form wins over coordinates carried from an earlier
    search, and sorting by distance without a place falls back to the default order."""
    known = set(SEARCH_ARGS.fields) - {"partner"}
    out = MultiDict([(k, v) for k, v in raw.items(multi=True) if k in known])
    if any(v.strip() for v in out.getlist("near")):
        out.poplist("lat")
        out.poplist("lon")
    has_place = any(v.strip() for k in ("near", "lat", "lon") for v in out.getlist(k))
    if not has_place and out.get("sort") == "distance":
        out.poplist("sort")
    return out


def invalid_settings(err: ValidationError) -> dict:
    """A 400 for the page: the reasons by field, for people."""
    messages = err.messages if isinstance(err.messages, dict) else {"": err.messages}
    fields = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}
    return {
        "status": 400,
        "message": "Some of the search settings could not be used.",
        "fields": fields,
    }


def search_error(err: ApiError, query: MultiDict) -> dict:
    """An error from the search (unknown place or term, no index yet) for the page, with links
    for "did you mean" that keep the rest of `query`."""
    message = (
        "Some of the search settings could not be used."
        if err.code == "invalid_request"
        else err.message
    )
    out = {"status": err.status, "code": err.code, "message": message, "fields": err.fields or {}}
    if err.extra.get("candidates"):
        out["candidates"] = [
            {"label": c["label"], "query": query_with(query, near=c["label"])}
            for c in err.extra["candidates"]
        ]
    if err.extra.get("close_matches"):
        out["close_matches"] = {
            param: [
                {"label": m["label"], "query": query_with(query, **_one(param, m["value"]))}
                for m in matches
            ]
            for param, matches in err.extra["close_matches"].items()
        }
    return out


def form_state(raw: MultiDict, args: dict | None) -> dict[str, Any]:
    """What the form shows: the visitor's own words for text, canonical slugs for terms."""

    def flag(name: str) -> bool:
        return raw.get(name, "").strip().lower() in Flag.truthy

    state: dict[str, Any] = {
        "near": raw.get("near", ""),
        "q": raw.get("q", ""),
        "radius": (args or {}).get("radius", 25.0),
        "unit": raw.get("unit", "mi") or "mi",
        "sort": raw.get("sort", ""),
        "per_page": raw.get("per_page", ""),
        "max_fee": raw.get("max_fee", ""),
        "lat": raw.get("lat", ""),
        "lon": raw.get("lon", ""),
    }
    for name in (
        "couples",
        "video",
        "intro_video",
        "accepting",
        "free_consultation",
        "sliding_scale",
    ):
        state[name] = flag(name)
    tax = taxonomy()
    for param in LIST_PARAMS:
        values = [v.strip() for v in raw.getlist(param) if v.strip()]
        kind = {
            "specialty": "specialty",
            "modality": "modality",
            "format": "session_format",
            "profession": "profession",
        }.get(param)
        if kind:
            values = [(res.term.slug if (res := tax.resolve(kind, v)) else v) for v in values]
        else:
            values = [v.lower() for v in values]
        state[param] = list(dict.fromkeys(values))
    state["has_place"] = bool(state["near"] or state["lat"])
    return state


def facet_groups(body: dict | None, form: dict) -> list[dict]:
    """Checkbox groups with counts: chosen values first (always shown), then the most
    frequent; each group split into the first FACETS_SHOWN and the rest."""
    groups = []
    tax = taxonomy()
    for param, facet, title, kind in (
        ("specialty", "specialty", "Specialties", "specialty"),
        ("modality", "modality", "Approaches", "modality"),
        ("profession", "profession", "Professions", "profession"),
        ("language", "language", "Languages", None),
        ("insurance", "insurance", "Insurance", None),
    ):
        values = list((body or {}).get("facets", {}).get(facet, []))
        known = {v["value"] for v in values}
        chosen = form[param]
        for value in chosen:
            if value not in known:
                term = tax.get(kind, value) if kind else None
                values.append(
                    {
                        "value": value,
                        "count": (body or {}).get("total", 0),
                        "label": term.label if term else value.title(),
                    }
                )
        options = [
            dict(v, checked=v["value"] in chosen, id=f"{param}-{_dom_id(v['value'])}")
            for v in values
        ]
        options.sort(key=lambda o: not o["checked"])
        groups.append(
            {
                "param": param,
                "title": title,
                "shown": options[:FACETS_SHOWN],
                "more": options[FACETS_SHOWN:],
            }
        )
    return groups


def _dom_id(value: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in value.lower())


def radius_choices(form: dict) -> list[float]:
    return sorted({float(r) for r in RADIUS_CHOICES} | {float(form["radius"])})


def map_data(body: dict, args: dict) -> dict | None:
    """Markers for the results on this page that have an office nearby, the searched place,
    the radius and the tile source; None when there is nothing to draw."""
    markers = [
        {
            "lat": r["nearest_location"]["lat"],
            "lon": r["nearest_location"]["lon"],
            "name": r["name"],
            "url": r["url"],
            "label": f"{r['distance']['value']:g} {r['distance']['unit']}",
        }
        for r in body["results"]
        if r["distance"] and r["nearest_location"] and r["nearest_location"].get("lat") is not None
    ]
    place = body.get("location")
    if not markers and not place:
        return None
    radius_km = args["radius"] * (KM_PER_MILE if args["unit"] == "mi" else 1.0)
    config = current_app.config
    return {
        "markers": markers,
        "place": (
            {
                "lat": place["lat"],
                "lon": place["lon"],
                "label": place["label"],
                "radius_m": round(radius_km * 1000),
            }
            if place
            else None
        ),
        "tiles": config["MAP_TILE_URL"] or None,
        "attribution": config["MAP_ATTRIBUTION"] or "",
    }


def _one(param: str, value: str) -> dict[str, Any]:
    """A change to the query: `param` set to this one value."""
    return {param: [value]}
