"""Partners in the database: add, change, find, list; and a visitor's search in a partner's
widget (the partner's defaults under the visitor's choices)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from .. import db
from .model import KEY_PARAM, KEY_PATTERN, Partner
from .validation import PartnerInvalid, clean_partner, new_key

# Parameters that replace each other: a visitor's place replaces the partner's whole place
# (near, or lat and lon), and a visitor's radius comes with its unit.
GROUPS = (("near", "lat", "lon"), ("radius", "unit"))


def find_partner(key: str | None) -> Partner | None:
    """The enabled partner with this key, or None (no key, a malformed, unknown or disabled
    key). Looked up once per request."""
    if not key or not KEY_PATTERN.fullmatch(key):
        return None
    cache: dict[str, Partner | None] = g.setdefault("partners_by_key", {})
    if key not in cache:
        cache[key] = db.session().scalar(
            select(Partner).where(Partner.key == key, Partner.enabled.is_(True))
        )
    return cache[key]


def partner_args(partner: Partner, visitor_query: MultiDict) -> MultiDict:
    """The search query for a visitor of `partner`'s widget: the partner's defaults under the
    visitor's choices. A parameter the visitor gives (with a non-empty value) replaces the
    default for that parameter (for a place: near, lat and lon together; radius with its unit);
    the `partner` parameter itself is left out. The result is ready for `load_args`."""
    given = {
        key
        for key in visitor_query
        if key != KEY_PARAM and any(v.strip() for v in visitor_query.getlist(key))
    }
    for group in GROUPS:
        if given & set(group):
            given |= set(group)
    out: MultiDict = MultiDict()
    for key, value in (partner.defaults or {}).items():
        if key not in given:
            for item in value if isinstance(value, list) else [value]:
                out.add(key, item)
    for key, value in visitor_query.items(multi=True):
        if key != KEY_PARAM:
            out.add(key, value)
    return out


def create_partner(session: Session, data: Mapping[str, Any]) -> Partner:
    """Validate `data` (name and origins required; defaults, accent, layout, rate_limit
    optional) and add an enabled partner with a new key. The caller commits."""
    fields = clean_partner(data)
    _check_name_free(session, fields["name"], None)
    partner = Partner(
        key=new_key(),
        name=fields["name"],
        origins=fields["origins"],
        defaults=fields.get("defaults", {}),
        accent=fields.get("accent"),
        layout=fields.get("layout", "full"),
        rate_limit=fields.get("rate_limit") or current_app.config["PARTNER_RATE_LIMIT"],
        enabled=fields.get("enabled", True),
        created_at=datetime.now(UTC),
    )
    session.add(partner)
    session.flush()
    return partner


def update_partner(session: Session, partner: Partner, changes: Mapping[str, Any]) -> Partner:
    """Validate and apply `changes` (any of the fields, enabled too). The caller commits."""
    fields = clean_partner(changes, partial=True)
    if "name" in fields:
        _check_name_free(session, fields["name"], partner.id)
    for name, value in fields.items():
        setattr(partner, name, value)
    session.flush()
    return partner


def get_partner(session: Session, key_or_name: str) -> Partner | None:
    """Any partner, enabled or not, by its key or its name."""
    return session.scalar(
        select(Partner).where(or_(Partner.key == key_or_name, Partner.name == key_or_name))
    )


def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.name)))


def partner_json(partner: Partner) -> dict[str, Any]:
    """The admin view of a partner (the admin API and `partners list --json`)."""
    created = partner.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # SQLite hands back naive datetimes
    return {
        "name": partner.name,
        "key": partner.key,
        "origins": list(partner.origins or []),
        "defaults": dict(partner.defaults or {}),
        "accent": partner.accent,
        "layout": partner.layout,
        "rate_limit": partner.rate_limit,
        "enabled": partner.enabled,
        "created_at": created.isoformat() if created is not None else None,
    }


def _check_name_free(session: Session, name: str, own_id: int | None) -> None:
    other = session.scalar(select(Partner.id).where(Partner.name == name))
    if other is not None and other != own_id:
        raise PartnerInvalid({"name": [f"A partner named {name!r} exists already."]})
