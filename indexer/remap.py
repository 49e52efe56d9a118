"""The operator's loop for words the taxonomy does not know.

`unknown_terms` lists, from the words profiles were stored with (`original_terms`), those the
current taxonomy maps to nothing, by how many profiles carry them, with the closest terms. After
a synonym is added to data/taxonomy.toml, `apply_taxonomy` maps the stored words of every
profile mapped with an older taxonomy again, and writes a change-log row only for those whose
terms changed, so the index re-indexes those alone; no input file is read again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from .changelog import log_changes
from .models import License, Office, Therapist
from .taxonomy import Taxonomy
from .terms import TERM_FIELDS, map_terms
from .textnorm import clean_text

CHUNK = 2000
# The stored columns a mapping writes.
MAPPED = (
    "specialties",
    "modalities",
    "client_types",
    "session_formats",
    "tags",
    "term_sources",
    "professions",
    "sees_couples",
    "offers_video",
)


@dataclass
class UnknownTerm:
    """A word the taxonomy does not know, how many profiles carry it, and what it is near."""

    text: str
    profiles: int = 0
    fields: set[str] = field(default_factory=set)
    candidates: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "profiles": self.profiles,
            "fields": sorted(self.fields),
            "candidates": self.candidates,
        }


def unknown_terms(
    session: Session, taxonomy: Taxonomy, source: str | None = None, limit: int | None = None
) -> list[UnknownTerm]:
    """Words that map to nothing in the current taxonomy, most common first."""
    found: dict[str, UnknownTerm] = {}
    where: list[Any] = [Therapist.published.is_(True)]
    if source:
        where.append(Therapist.source == source)
    for _, terms in _stored_terms(session, where):
        seen: set[str] = set()
        for field_name, kind in TERM_FIELDS:
            for text in terms.get(field_name) or ():
                if taxonomy.resolve_phrase(kind, text):
                    continue
                key = clean_text(text).lower()
                entry = found.setdefault(key, UnknownTerm(clean_text(text)))
                entry.fields.add(field_name)
                if key not in seen:
                    seen.add(key)
                    entry.profiles += 1
    ranked = sorted(found.values(), key=lambda u: (-u.profiles, u.text.lower()))[:limit]
    for entry in ranked:
        entry.candidates = _candidates(taxonomy, entry)
    return ranked


@dataclass
class Applied:
    """What `apply_taxonomy` did."""

    checked: int = 0
    remapped: int = 0


def apply_taxonomy(sessions: sessionmaker[Session], taxonomy: Taxonomy) -> Applied:
    """Map again the stored words of every profile mapped with another taxonomy; write the
    profiles whose terms changed, with a change-log row each. Committed in chunks."""
    result = Applied()
    last_id = 0
    while True:
        with sessions.begin() as session:
            rows = (
                session.execute(
                    select(
                        Therapist.id,
                        Therapist.original_terms,
                        Therapist.telehealth_states,
                        Therapist.credentials,
                        *(getattr(Therapist, c) for c in MAPPED),
                    )
                    .where(
                        Therapist.id > last_id,
                        or_(
                            Therapist.taxonomy_fingerprint.is_(None),
                            Therapist.taxonomy_fingerprint != taxonomy.fingerprint,
                        ),
                    )
                    .order_by(Therapist.id)
                    .limit(CHUNK)
                )
                .mappings()
                .all()
            )
            if not rows:
                return result
            ids = [r["id"] for r in rows]
            with_offices = set(
                session.scalars(
                    select(Office.therapist_id).where(Office.therapist_id.in_(ids)).distinct()
                )
            )
            licenses: dict[int, list[dict]] = {}
            for tid, kind in session.execute(
                select(License.therapist_id, License.type).where(License.therapist_id.in_(ids))
            ):
                licenses.setdefault(tid, []).append({"type": kind})
            changed = []
            for row in rows:
                profile = {
                    **(row["original_terms"] or {}),
                    "telehealth_states": row["telehealth_states"],
                    "locations": [{}] if row["id"] in with_offices else [],
                    "credentials": row["credentials"],
                    "licenses": licenses.get(row["id"], []),
                }
                mapping = map_terms(profile, taxonomy)
                values = {c: getattr(mapping, c) for c in MAPPED}
                if any(values[c] != row[c] for c in MAPPED):
                    changed.append(row["id"])
                    session.execute(
                        update(Therapist).where(Therapist.id == row["id"]).values(**values)
                    )
            session.execute(
                update(Therapist)
                .where(Therapist.id.in_(ids))
                .values(taxonomy_fingerprint=taxonomy.fingerprint)
            )
            if changed:
                log_changes(session, changed)
            result.checked += len(rows)
            result.remapped += len(changed)
            last_id = ids[-1]


def _stored_terms(session: Session, where: list[Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    last_id = 0
    while True:
        rows = session.execute(
            select(Therapist.id, Therapist.original_terms)
            .where(*where, Therapist.id > last_id)
            .order_by(Therapist.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        for tid, terms in rows:
            yield tid, terms or {}
        last_id = rows[-1][0]


def _candidates(taxonomy: Taxonomy, entry: UnknownTerm, limit: int = 3) -> list[dict[str, str]]:
    """The closest terms, in the kinds of the fields the word was written under first."""
    kinds = [kind for field_name, kind in TERM_FIELDS if field_name in entry.fields]
    kinds += [kind for _, kind in TERM_FIELDS if kind not in kinds]
    out: list[dict[str, str]] = []
    for kind in kinds:
        for term in taxonomy.suggest(kind, entry.text):
            out.append({"kind": kind, "value": term.slug, "label": term.label})
    return out[:limit]
