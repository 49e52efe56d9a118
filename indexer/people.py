"""One therapist, one public profile, whatever the sources.

A person is recognised across sources by their NPI (National Provider Identifier) or by a
licence number with its state. When two profiles share such a key, the richer one is shown
(a clinic's export with a bio and specialties rather than the NPPES registry's bare record)
and the other points to it (`merged_into`), out of search and redirected to it. A record from
the NPPES registry confirms the NPI of the profile that is shown, and lends it its
professions when that profile states none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from .changelog import log_changes
from .models import PersonKey, Therapist, table

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
# What makes one profile of a person richer than another, in order of weight.
_RICH = (
    ("bio", 4),
    ("specialties", 3),
    ("modalities", 2),
    ("approach", 1),
    ("photo_url", 1),
    ("video_url", 1),
    ("website", 1),
    ("email", 1),
    ("fee_min", 1),
    ("languages", 1),
)


def person_keys(npi: str | None, licenses: Iterable[dict[str, Any]]) -> set[str]:
    """The keys that identify a person: their NPI, and each licence number with its state
    (letters and digits only, upper case: "LMFT-012 345" is "LMFT012345")."""
    keys = {f"npi:{npi}"} if npi else set()
    for lic in licenses:
        number = _NOT_ALNUM.sub("", str(lic.get("number") or "").upper())
        if number and lic.get("state"):
            keys.add(f"license:{lic['state']}:{number}")
    return keys


def record_keys(session: Session, keys: dict[int, set[str]]) -> None:
    """Replace the person keys of these therapists."""
    if not keys:
        return
    session.execute(delete(PersonKey).where(PersonKey.therapist_id.in_(list(keys))))
    rows = [{"therapist_id": tid, "key": key} for tid, ks in keys.items() for key in ks]
    if rows:
        session.execute(insert(table(PersonKey)), rows)


def link_people(session: Session, therapist_ids: Iterable[int]) -> list[int]:
    """Decide, for every person these therapists (just stored) are, which profile is shown;
    returns the ids whose shown or merged state changed (their change-log rows are written).

    Profiles that pointed to these, or that these pointed to, are settled again too: a
    licence corrected in one source may part two profiles that were one person."""
    ids = set(therapist_ids)
    if not ids:
        return []
    ids |= set(session.scalars(select(Therapist.id).where(Therapist.merged_into.in_(ids))))
    ids |= set(
        session.scalars(
            select(Therapist.merged_into).where(
                Therapist.id.in_(ids), Therapist.merged_into.is_not(None)
            )
        )
    )
    keys = set(session.scalars(select(PersonKey.key).where(PersonKey.therapist_id.in_(ids))))
    holders: dict[str, set[int]] = {}
    for key, tid in (
        session.execute(
            select(PersonKey.key, PersonKey.therapist_id).where(PersonKey.key.in_(keys))
        )
        if keys
        else ()
    ):
        holders.setdefault(key, set()).add(tid)
    keys_of: dict[int, set[str]] = {}
    for key, tids in holders.items():
        for tid in tids:
            keys_of.setdefault(tid, set()).add(key)
    rows = {
        r["id"]: r
        for r in session.execute(
            select(
                Therapist.id,
                Therapist.published,
                Therapist.merged_into,
                Therapist.confirmed_npi,
                Therapist.npi,
                Therapist.original_terms,
                Therapist.professions,
                *(getattr(Therapist, name) for name, _ in _RICH),
            ).where(Therapist.id.in_(ids | set(keys_of)))
        ).mappings()
    }
    changed: list[int] = []
    for group in _groups(set(rows), keys_of, holders):
        changed += _settle(session, [rows[tid] for tid in group])
    if changed:
        log_changes(session, changed)
    return changed


def _groups(
    ids: set[int], keys_of: dict[int, set[str]], holders: dict[str, set[int]]
) -> list[list[int]]:
    """The therapists connected through shared keys, each group once (a therapist without a
    shared key is a group of its own)."""
    seen: set[int] = set()
    out = []
    for start in ids:
        if start in seen:
            continue
        group, todo = [], [start]
        seen.add(start)
        while todo:
            tid = todo.pop()
            group.append(tid)
            for key in keys_of.get(tid, ()):
                for other in holders[key]:
                    if other not in seen and other in ids:
                        seen.add(other)
                        todo.append(other)
        out.append(group)
    return out


def _settle(session: Session, rows: list[Any]) -> list[int]:
    """Show the richest published profile of one person; the others point to it."""
    published = [r for r in rows if r["published"]]
    shown = (
        max(published, key=lambda r: (_richness(r), not _from_registry(r), -r["id"]))
        if published
        else None
    )
    registry = [r for r in rows if _from_registry(r) and r["npi"]]
    confirmed = registry[0]["npi"] if registry else None
    changed = []
    for row in rows:
        merged = None if shown is None or row["id"] == shown["id"] else shown["id"]
        values: dict[str, Any] = {}
        if row["merged_into"] != merged:
            values["merged_into"] = merged
        if shown is not None and row["id"] == shown["id"] and row["confirmed_npi"] != confirmed:
            values["confirmed_npi"] = confirmed
            if confirmed and not row["professions"]:
                values["professions"] = registry[0]["professions"]
        if values:
            session.execute(update(Therapist).where(Therapist.id == row["id"]).values(**values))
            changed.append(row["id"])
    return changed


def _richness(row: Any) -> int:
    return sum(weight for name, weight in _RICH if row[name])


def _from_registry(row: Any) -> bool:
    """A record read from the NPPES registry (it carries NUCC taxonomy codes)."""
    return bool((row["original_terms"] or {}).get("taxonomy_codes"))
