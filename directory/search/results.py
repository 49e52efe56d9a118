"""Turning search hits and database rows into the public JSON shapes of CONTRACT.md."""

from __future__ import annotations

import re
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from indexer.geo import KM_PER_MILE, haversine_km
from indexer.models import Office, Therapist
from indexer.taxonomy import Taxonomy

from .. import db
from .evaluate import Hit, Outcome
from .filters import TermFilter


def load_therapists(ids: list[int]) -> dict[int, Therapist]:
    """Published or not, the rows for `ids` with their offices and licences, by id."""
    if not ids:
        return {}
    rows = db.session().scalars(
        select(Therapist)
        .where(Therapist.id.in_(ids))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses))
    )
    return {t.id: t for t in rows}


# What store.make_slug makes: lowercase words and a hash, joined by hyphens.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,119}")


def published_therapist(**by: Any) -> Therapist | None:
    """The published therapist with this id or slug (`id=3`, `slug="ana-lopez-x1"`), with its
    offices and licences; None when there is none. A profile shown as another profile of the
    same person (indexer/people.py) gives that one: callers redirect to it."""
    column = Therapist.id if "id" in by else Therapist.slug
    if "slug" in by and not SLUG.fullmatch(by["slug"]):
        return None  # no slug looks like that: nothing to ask the database (NUL, say)
    found = _published(column == next(iter(by.values())))
    if found is not None and found.merged_into is not None:
        return _published(Therapist.id == found.merged_into)
    return found


def _published(where: Any) -> Therapist | None:
    return db.session().scalar(
        select(Therapist)
        .where(where, Therapist.published.is_(True))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses))
    )


def distance_value(km: float, unit: str) -> dict:
    value = km / KM_PER_MILE if unit == "mi" else km
    return {"value": round(value, 1), "unit": unit}


def nearest_office(t: Therapist, outcome: Outcome) -> Office | None:
    """The office nearest the searched place; without a place, the first placed office."""
    place = outcome.place
    placed = [(o, o.lat, o.lon) for o in t.offices if o.lat is not None and o.lon is not None]
    if place is None or not placed:
        return placed[0][0] if placed else (t.offices[0] if t.offices else None)
    return min(placed, key=lambda p: haversine_km(place.lat, place.lon, p[1], p[2]))[0]


def match_explanation(
    t: Therapist, hit: Hit, outcome: Outcome, args: dict, taxonomy: Taxonomy
) -> dict:
    """Why this therapist matched: filters satisfied, terms matched, synonyms used."""
    filters = [f.describe() for f in outcome.filters]
    if outcome.place is not None:
        if hit.remote:
            filters.insert(0, f"offers video sessions and is licensed in {outcome.place.state}")
        elif hit.distance_km is not None:
            d = distance_value(hit.distance_km, args["unit"])
            filters.insert(
                0,
                f"office {d['value']:g} {d['unit']} away "
                f"(within {args['radius']:g} {args['unit']})",
            )
    terms = []
    for f in outcome.filters:
        if isinstance(f, TermFilter) and f.param in ("specialty", "modality"):
            own = (t.term_sources or {}).get(f"{f.param}:{f.value}")
            terms.append(_term(f.param, f.value, f.asked, own, taxonomy, "listed on the profile"))
    for m in outcome.concepts:
        if m.listed(hit.doc):
            for res in m.concept.terms:
                field = res.term.kind
                if res.term.slug in (getattr(t, _column(field)) or []):
                    own = (t.term_sources or {}).get(f"{field}:{res.term.slug}")
                    terms.append(
                        _term(
                            field,
                            res.term.slug,
                            m.concept.text,
                            own,
                            taxonomy,
                            "listed on the profile",
                        )
                    )
        elif m.mentioned(hit.doc):
            terms.append(
                {
                    "query": m.concept.text,
                    "how": "mentioned in the profile text",
                    "words": m.text_terms,
                }
            )
    return {"filters": filters, "terms": terms, "remote": hit.remote}


def _column(kind: str) -> str:
    return {
        "specialty": "specialties",
        "modality": "modalities",
        "client_type": "client_types",
        "session_format": "session_formats",
        "profession": "professions",
    }[kind]


def _term(
    field: str, slug: str, asked: str | None, own: str | None, taxonomy: Taxonomy, how: str
) -> dict:
    term = taxonomy.get(field, slug)
    out: dict[str, Any] = {
        "field": field,
        "value": slug,
        "label": term.label if term else slug,
        "how": how,
    }
    if asked and asked.strip().lower() not in (slug.replace("-", " "), out["label"].lower()):
        out["query"] = asked
        out["synonym"] = f'"{asked}" means {out["label"]}'
    if own:
        out["profile_term"] = own
    return out


def result_item(t: Therapist, hit: Hit, outcome: Outcome, args: dict, taxonomy: Taxonomy) -> dict:
    """One search result."""
    office = nearest_office(t, outcome)
    return {
        "id": t.id,
        "slug": t.slug,
        "name": t.name,
        "credentials": t.credentials,
        "photo_url": t.photo_url,
        "specialties": t.specialties,
        "modalities": t.modalities,
        "client_types": t.client_types,
        "session_formats": t.session_formats,
        "professions": t.professions or [],
        "has_intro_video": bool(t.video_url),
        "accepting_new_clients": t.accepting_new_clients,
        "distance": (
            distance_value(hit.distance_km, args["unit"])
            if hit.distance_km is not None and not hit.remote
            else None
        ),
        "remote": hit.remote,
        "licensed_states": sorted(
            set(t.telehealth_states or []) | {lic.state for lic in t.licenses if lic.state}
        ),
        "nearest_location": (
            {
                "city": office.city,
                "state": office.state,
                "zip": office.zip,
                "lat": office.lat,
                "lon": office.lon,
            }
            if office is not None
            else None
        ),
        "match": match_explanation(t, hit, outcome, args, taxonomy),
        "url": f"/therapists/{t.slug}",
        "api_url": url_for("api.therapist", therapist_id=t.id),
    }


def profile(t: Therapist, taxonomy: Taxonomy) -> dict:
    """The public profile (no admin-only fields such as source ids or hashes)."""

    def labelled(kind: str, slugs: list[str]) -> list[dict]:
        return [{"value": s, "label": _label(taxonomy, kind, s)} for s in slugs or []]

    return {
        "id": t.id,
        "slug": t.slug,
        "name": t.name,
        "credentials": t.credentials,
        "pronouns": t.pronouns,
        "photo_url": t.photo_url,
        "bio": t.bio,
        "approach": t.approach,
        "specialties": labelled("specialty", t.specialties),
        "modalities": labelled("modality", t.modalities),
        "client_types": labelled("client_type", t.client_types),
        "session_formats": labelled("session_format", t.session_formats),
        "professions": labelled("profession", t.professions or []),
        # The NPI the NPPES registry lists for this person: a licence on record.
        "npi": t.confirmed_npi,
        "tags": t.tags,
        "video_url": t.video_url,
        "has_intro_video": bool(t.video_url),
        "telehealth_states": t.telehealth_states,
        "languages": t.languages,
        "insurance": t.insurance,
        "fee_min": t.fee_min,
        "fee_max": t.fee_max,
        "sliding_scale": t.sliding_scale,
        "accepting_new_clients": t.accepting_new_clients,
        "free_consultation": t.free_consultation,
        "email": t.email,
        "phone": t.phone,
        "website": t.website,
        "licenses": [
            {"type": lic.type, "number": lic.number, "state": lic.state} for lic in t.licenses
        ],
        "locations": [
            {
                "address": o.address,
                "city": o.city,
                "state": o.state,
                "zip": o.zip,
                "lat": o.lat,
                "lon": o.lon,
                "precision": o.precision,
            }
            for o in t.offices
        ],
        "updated_at": t.profile_updated_at.isoformat() if t.profile_updated_at else None,
        "url": f"/therapists/{t.slug}",
    }


def _label(taxonomy: Taxonomy, kind: str, slug: str) -> str:
    term = taxonomy.get(kind, slug)
    return term.label if term else slug
