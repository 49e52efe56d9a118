"""Index documents read from the database, the source of truth, in id order by chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ..models import License, Office, Therapist, table
from .schema import document

# What search shows: published profiles that are not another profile's person (people.py).
SHOWN = and_(Therapist.published.is_(True), Therapist.merged_into.is_(None))


def documents(session: Session, *where: Any, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """Index documents of the therapists matching `where` (published ones, say)."""
    columns = [c for c in table(Therapist).columns if c.key != "content_hash"]
    last_id = 0
    while True:
        rows = (
            session.execute(
                select(*columns)
                .where(*where, Therapist.id > last_id)
                .order_by(Therapist.id)
                .limit(chunk)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        ids = [r["id"] for r in rows]
        offices: dict[int, list[dict]] = {}
        for office in session.execute(
            select(Office.therapist_id, Office.lat, Office.lon, Office.state)
            .where(Office.therapist_id.in_(ids))
            .order_by(Office.therapist_id, Office.position)
        ).mappings():
            offices.setdefault(office["therapist_id"], []).append(dict(office))
        license_states: dict[int, set[str]] = {}
        for lic in session.execute(
            select(License.therapist_id, License.state).where(
                License.therapist_id.in_(ids), License.state.is_not(None)
            )
        ):
            license_states.setdefault(lic.therapist_id, set()).add(lic.state)
        for row in rows:
            t = dict(row, license_states=license_states.get(row["id"], ()))
            yield document(t, offices.get(row["id"], []))
        last_id = ids[-1]
