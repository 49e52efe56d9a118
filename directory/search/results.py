"""Turning search hits and database rows into the public JSON shapes of CONTRACT.md."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import selectinload

from indexer.geo import KM_PER_MILE, haversine_km
from indexer.models import License, Office, Therapist
from indexer.taxonomy import Taxonomy

from .. import db
from .evaluate import Hit, Outcome
from .filters import TermFilter

# What a search result shows of a therapist: read with three Core queries (about 1 ms for a
# page of 20), not as ORM objects with their relationships (about 10 ms).
RESULT_COLUMNS = (
    Therapist.id,
    Therapist.slug,
    Therapist.name,
    Therapist.credentials,
    Therapist.photo_url,
    Therapist.specialties,
    Therapist.modalities,
    Therapist.client_types,
    Therapist.session_formats,
    Therapist.professions,
    Therapist.video_url,
    Therapist.accepting_new_clients,
    Therapist.telehealth_states,
    Therapist.term_sources,
)


@dataclass
class ResultRow:
    """The columns of a therapist that a result shows, with its placed offices and the
    states of its licences (attribute names as on Therapist, which shows the same)."""

    id: int
    slug: str
    name: str
    credentials: str | None
    photo_url: str | None
    specialties: list[str]
    modalities: list[str]
    client_types: list[str]
    session_formats: list[str]
    professions: list[str]
    video_url: str | None
    accepting_new_clients: bool | None
    telehealth_states: list[str]
    term_sources: dict[str, str]
    offices: list[Any] = field(default_factory=list)
    licenses: list[Any] = field(default_factory=list)


# Built once: a statement costs more to build than the database takes to answer it.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_RESULTS = select(*RESULT_COLUMNS).where(Therapist.id.in_(_IDS))
_OFFICES = (
    select(Office.therapist_id, Office.city, Office.state, Office.zip, Office.lat, Office.lon)
    .where(Office.therapist_id.in_(_IDS))
    .order_by(Office.therapist_id, Office.position)
)
_LICENCES = (
    select(License.therapist_id, License.state)
    .where(License.therapist_id.in_(_IDS))
    .order_by(License.therapist_id, License.id)
)


def load_therapists(ids: list[int]) -> dict[int, ResultRow]:
    """Published or not, what the results show of the therapists `ids`, by id."""
    if not ids:
        return {}
    connection = db.session().connection()
    given = {"ids": ids}
    rows = {r.id: ResultRow(*r) for r in connection.execute(_RESULTS, given)}
    for office in connection.execute(_OFFICES, given):
        rows[office.therapist_id].offices.append(office)
    for licence in connection.execute(_LICENCES, given):
        rows[licence.therapist_id].licenses.append(licence)
    return rows


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


def nearest_office(t: Therapist | ResultRow, outcome: Outcome) -> Any:
    """The office nearest the searched place; without a place, the first placed office."""
    place = outcome.place
    placed = [(o, o.lat, o.lon) for o in t.offices if o.lat is not None and o.lon is not None]
    if place is None or not placed:
        return placed[0][0] if placed else (t.offices[0] if t.offices else None)
    return min(placed, key=lambda p: haversine_km(place.lat, place.lon, p[1], p[2]))[0]


def match_explanation(
    t: Therapist | ResultRow, hit: Hit, outcome: Outcome, args: dict, taxonomy: Taxonomy
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


def result_item(
    t: ResultRow, hit: Hit, outcome: Outcome, args: dict, taxonomy: Taxonomy, api_root: str
) -> dict:
    """One search result (`api_root`: where the API's profiles are, "/api/v1/therapists/")."""
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
        "api_url": f"{api_root}{t.id}",
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
