"""Store validated profiles: upsert by (source, id) with a content hash, in batches.

Each batch is one transaction that writes the therapists, their offices and licences, and one
change-log row per created or updated therapist, which is what every index follows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from .changelog import TAXONOMY_LOCK, log_changes, serialise
from .geocode import place_office
from .models import (
    License,
    Office,
    TaxonomySynonym,
    TaxonomyTerm,
    Therapist,
    table,
)
from .people import link_people, person_keys, record_keys
from .readers import RawRecord
from .taxonomy import Taxonomy
from .terms import TERM_FIELDS, TermMapping
from .textnorm import slugify

_THERAPIST_FIELDS = (
    "name",
    "credentials",
    "pronouns",
    "photo_url",
    "bio",
    "approach",
    "email",
    "phone",
    "website",
    "video_url",
    "telehealth_states",
    "languages",
    "insurance",
    "fee_min",
    "fee_max",
    "sliding_scale",
    "accepting_new_clients",
    "free_consultation",
)


@dataclass
class Prepared:
    """A validated, term-mapped profile ready to store."""

    profile: dict[str, Any]
    mapping: TermMapping
    content_hash: str
    raw: RawRecord | None = None  # the record as read, for a reject after all
    fingerprint: str = ""  # of the taxonomy the terms were mapped with

    @property
    def source_id(self) -> str:
        return self.profile["id"]


def content_hash(profile: dict[str, Any]) -> str:
    """A stable hash of the validated profile: re-ingesting the same content changes nothing
    (unless the taxonomy changed since: the fingerprint is compared too)."""
    canonical = json.dumps(profile, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# The input fields term mapping reads, kept as written (what `flask taxonomy apply` re-maps).
ORIGINAL_FIELDS = (*(name for name, _ in TERM_FIELDS), "taxonomy_codes")


def original_terms(profile: dict[str, Any]) -> dict[str, Any]:
    """The term fields as the source wrote them."""
    return {name: profile[name] for name in ORIGINAL_FIELDS if profile.get(name)}


def make_slug(name: str, source: str, source_id: str) -> str:
    """A readable, stable slug: the name plus a short hash of (source, id), unique in practice."""
    digest = hashlib.sha1(f"{source}\0{source_id}".encode()).digest()
    suffix = base64.b32encode(digest).decode()[:8].lower()
    return f"{slugify(name)[:80].strip('-') or 'therapist'}-{suffix}"


def therapist_row(item: Prepared, source: str, run_id: int | None) -> dict[str, Any]:
    """The column values of a therapist row for one prepared profile."""
    profile, mapping = item.profile, item.mapping
    row = {name: profile.get(name) for name in _THERAPIST_FIELDS}
    for name in ("telehealth_states", "languages", "insurance"):
        row[name] = row[name] or []
    row.update(
        source=source,
        source_id=item.source_id,
        slug=make_slug(profile["name"], source, item.source_id),
        published=True,
        content_hash=item.content_hash,
        specialties=mapping.specialties,
        modalities=mapping.modalities,
        client_types=mapping.client_types,
        session_formats=mapping.session_formats,
        tags=mapping.tags,
        term_sources=mapping.term_sources,
        original_terms=original_terms(profile),
        taxonomy_fingerprint=item.fingerprint or None,
        professions=mapping.professions,
        npi=profile.get("npi"),
        # A record of the NPPES registry (it carries NUCC codes) confirms its own NPI.
        confirmed_npi=profile.get("npi") if profile.get("taxonomy_codes") else None,
        sees_couples=mapping.sees_couples,
        offers_video=mapping.offers_video,
        profile_updated_at=profile.get("updated_at"),
        ingest_run_id=run_id,
    )
    return row


@dataclass
class Stored:
    """A therapist as just written: its row, office rows and licence states (for indexing)."""

    row: dict[str, Any]
    offices: list[dict[str, Any]]
    license_states: set[str]
    updated: bool

    @property
    def index_row(self) -> dict[str, Any]:
        return {**self.row, "license_states": self.license_states}


@dataclass
class Upserted:
    """What one batch changed: the therapists written, and other therapists of the same
    people whose shown/merged state changed with them (to index again from the database)."""

    stored: list[Stored]
    relinked: list[int]


def upsert_batch(
    session: Session,
    source: str,
    items: list[Prepared],
    *,
    run_id: int | None,
    geocoder: Any,
    counts: Counter,
) -> Upserted:
    """Create, update or skip each profile; returns the therapists that changed, and those
    whose shown/merged state changed with them (indexer/people.py).

    Counts go to `counts`: created, updated, unchanged, superseded (the same id twice in one
    run: the later record wins) and offices_not_geolocated.
    """
    latest: dict[str, Prepared] = {}
    for item in items:
        if item.source_id in latest:
            counts["superseded"] += 1
        latest[item.source_id] = item
    existing = {
        row.source_id: row
        for row in session.execute(
            select(
                Therapist.id,
                Therapist.source_id,
                Therapist.content_hash,
                Therapist.taxonomy_fingerprint,
                Therapist.merged_into,
            ).where(Therapist.source == source, Therapist.source_id.in_(list(latest)))
        )
    }
    new_rows, changed_rows = [], []
    for source_id, item in latest.items():
        row = therapist_row(item, source, run_id)
        old = existing.get(source_id)
        if old is None:
            new_rows.append((row, item))
        elif (old.content_hash, old.taxonomy_fingerprint) != (
            item.content_hash,
            item.fingerprint or None,
        ):
            row["id"], row["merged_into"] = old.id, old.merged_into
            changed_rows.append((row, item))
        else:
            counts["unchanged"] += 1
    changed_ids = _insert_new(session, source, new_rows) + _update_changed(session, changed_rows)
    counts["created"] += len(new_rows)
    counts["updated"] += len(changed_rows)
    offices, license_states = _write_children(session, new_rows + changed_rows, geocoder, counts)
    if changed_ids:
        log_changes(session, changed_ids)
        record_keys(
            session,
            {
                row["id"]: person_keys(row["npi"], item.profile.get("licenses") or ())
                for row, item in new_rows + changed_rows
            },
        )
        relinked = link_people(session, changed_ids)
        counts["relinked"] += len(relinked)
        counts["changes"] += len(changed_ids) + len(relinked)
    stored = [
        Stored(
            row,
            offices.get(row["id"], []),
            license_states.get(row["id"], set()),
            updated=i >= len(new_rows),
        )
        for i, (row, _) in enumerate(new_rows + changed_rows)
    ]
    return Upserted(stored, relinked if changed_ids else [])


def _insert_new(session: Session, source: str, rows: list[tuple[dict, Prepared]]) -> list[int]:
    if not rows:
        return []
    # Core executemany (the ORM splits rows by which values are None), then one query for
    # the new ids: SQLite cannot return the ids of a multi-row insert in order.
    session.execute(insert(table(Therapist)), [row for row, _ in rows])
    ids = dict(
        session.execute(
            select(Therapist.source_id, Therapist.id).where(
                Therapist.source == source,
                Therapist.source_id.in_([row["source_id"] for row, _ in rows]),
            )
        ).all()
    )
    for row, _ in rows:
        row["id"] = ids[row["source_id"]]
    return [row["id"] for row, _ in rows]


def _update_changed(session: Session, rows: list[tuple[dict, Prepared]]) -> list[int]:
    if not rows:
        return []
    ids = [row["id"] for row, _ in rows]
    session.execute(update(Therapist), [row for row, _ in rows])
    session.execute(delete(Office).where(Office.therapist_id.in_(ids)))
    session.execute(delete(License).where(License.therapist_id.in_(ids)))
    return ids


def _write_children(
    session: Session, rows: list[tuple[dict, Prepared]], geocoder: Any, counts: Counter
) -> tuple[dict[int, list[dict]], dict[int, set[str]]]:
    offices, licenses = [], []
    for row, item in rows:
        for position, office in enumerate(item.profile.get("locations") or ()):
            placement = place_office(office, geocoder)
            if placement is None:
                counts["offices_not_geolocated"] += 1
            offices.append(
                {
                    "therapist_id": row["id"],
                    "position": position,
                    "address": office.get("address"),
                    "city": office.get("city") or (placement.city if placement else None),
                    "state": office.get("state") or (placement.state if placement else None),
                    "zip": office.get("zip"),
                    "lat": placement.lat if placement else None,
                    "lon": placement.lon if placement else None,
                    "precision": placement.precision if placement else None,
                }
            )
        for lic in item.profile.get("licenses") or ():
            licenses.append(
                {
                    "therapist_id": row["id"],
                    "type": lic.get("type"),
                    "number": lic.get("number"),
                    "state": lic.get("state"),
                }
            )
    if offices:
        session.execute(insert(table(Office)), offices)
    if licenses:
        session.execute(insert(table(License)), licenses)
    by_therapist: dict[int, list[dict]] = {}
    for office in offices:
        by_therapist.setdefault(office["therapist_id"], []).append(office)
    states: dict[int, set[str]] = {}
    for lic in licenses:
        if lic["state"]:
            states.setdefault(lic["therapist_id"], set()).add(lic["state"])
    return by_therapist, states


def unpublish(session: Session, therapist_id: int) -> bool:
    """Hide a therapist from search (kept in the database); False when there is no such id."""
    result = session.execute(
        update(Therapist)
        .where(Therapist.id == therapist_id, Therapist.published.is_(True))
        .values(published=False)
    )
    if cast(CursorResult, result).rowcount:
        log_changes(session, [therapist_id], op="delete")
        return True
    return session.get(Therapist, therapist_id) is not None


def sync_taxonomy(session: Session, taxonomy: Taxonomy) -> None:
    """Mirror the taxonomy file into the taxonomy tables (for SQL reports and joins). Ingests
    that start at once take turns (on PostgreSQL), instead of inserting the same terms twice."""
    serialise(session, TAXONOMY_LOCK)
    session.execute(delete(TaxonomySynonym))
    session.execute(delete(TaxonomyTerm))
    for by_slug in taxonomy.terms.values():
        for term in by_slug.values():
            row = TaxonomyTerm(
                kind=term.kind,
                slug=term.slug,
                label=term.label,
                group=term.group or None,
                implies=list(term.implies),
            )
            row.synonyms = [TaxonomySynonym(text=s) for s in term.synonyms]
            session.add(row)
