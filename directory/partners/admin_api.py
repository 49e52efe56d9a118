"""The admin API for partner sites, /api/v1/admin/partners, behind the admin bearer token.

A flask-smorest Blueprint, like the API's, so that directory/api/openapi.py describes it from
the decorators. Bodies are read by webargs with the API's parser (400 with field-level reasons in
the one error shape); what a field may hold is checked by validation.py, the same checks as
`flask partners add`.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from .. import db
from ..api.blueprint import ADMIN, ApiBlueprint, require_admin
from ..api.schemas import ResponseSchema, required
from ..errors import ApiError
from .model import KEY_PATTERN, Partner
from .storage import create_partner, list_partners, partner_json, update_partner
from .validation import LAYOUTS, PartnerInvalid

bp = ApiBlueprint(
    "partners_api",
    __name__,
    url_prefix="/api/v1/admin/partners",
    description="Partner sites that embed the directory (admin).",
)
# Every route is an admin route; checked before webargs reads a body, so that a request
# without the token learns nothing from validation errors.
bp.before_request(require_admin)


class PartnerSchema(ResponseSchema):
    name = required(fields.String, text="Unique name.")
    key = required(
        fields.String,
        text="The public key partners put in their pages "
        "(`data-partner`, `?partner=`, `X-Partner-Key`).",
    )
    origins = required(
        fields.List, fields.String(), text="Origins the key is valid on, as `scheme://host[:port]`."
    )
    defaults = required(
        fields.Dict,
        keys=fields.String(),
        values=fields.Raw(),
        text=(
            "Default search parameters as query values; a visitor's value for a parameter "
            "replaces the default."
        ),
    )
    accent = required(
        fields.String, nullable=True, text="Accent colour `#rrggbb`; null: the site's own."
    )
    layout = required(fields.String, validate=validate.OneOf(LAYOUTS))
    rate_limit = required(fields.String, text="Requests per key, e.g. `60/minute`.")
    enabled = required(fields.Boolean, text="A disabled partner's key and widget stop working.")
    created_at = required(fields.DateTime, nullable=True)


class PartnerListSchema(ResponseSchema):
    partners = required(fields.List, fields.Nested(PartnerSchema), text="By name.")


class PartnerChangesSchema(Schema):
    """The fields a body may set; what their values may be is checked by
    validation.clean_partner."""

    class Meta:
        unknown = RAISE

    name = fields.String(metadata={"description": "Unique name."})
    origins = fields.List(
        fields.String(),
        metadata={"description": "http(s) origins without a path, e.g. `https://clinic.example`."},
    )
    defaults = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "Search parameters of GET /api/v1/therapists as query values, e.g. "
            '`{"couples": "true", "near": "10001", "specialty": ["polyamory"]}`; '
            "checked like a search (unknown terms and places are refused)."
        },
    )
    accent = fields.String(
        allow_none=True,
        metadata={"description": "`#rrggbb` or `#rgb`; null: the site's own colour."},
    )
    layout = fields.String(metadata={"description": "compact or full (default full)."})
    rate_limit = fields.String(
        metadata={
            "description": "Requests per key, e.g. `60/minute` (default: "
            "DIRECTORY_PARTNER_RATE_LIMIT)."
        }
    )
    enabled = fields.Boolean(
        metadata={"description": "false: the key and the widget stop working at once."}
    )


class PartnerInputSchema(PartnerChangesSchema):
    name = fields.String(required=True, metadata={"description": "Unique name."})
    origins = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "http(s) origins without a path, e.g. `https://clinic.example`."},
    )


KEY_PARAMETER = {
    "in": "path",
    "name": "key",
    "required": True,
    "schema": {"type": "string"},
    "description": "The partner's key.",
}


@bp.get("", tags=["admin"])
@bp.doc(**ADMIN)
@bp.alt_response(200, schema=PartnerListSchema, success=True, description="Every partner.")
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(429, "TooManyRequests")
def list_all():
    """List partners

    Enabled or not, by name.
    """
    return jsonify({"partners": [partner_json(p) for p in list_partners(db.session())]})


@bp.post("", tags=["admin"])
@bp.doc(**ADMIN)
@bp.arguments(PartnerInputSchema, location="json")
@bp.alt_response(
    201, schema=PartnerSchema, success=True, description="Added, enabled, with a new key."
)
@bp.alt_response(400, "InvalidRequest")
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(429, "TooManyRequests")
def add(data: dict[str, Any]):
    """Add a partner

    Like `flask partners add`. Origins, defaults, accent, layout and rate limit are checked:
    a default filter that a search would refuse (an unknown specialty, an unknown place) is a
    400 with the reason under `defaults.<parameter>`.
    """
    session = db.session()
    try:
        partner = create_partner(session, data)
    except PartnerInvalid as err:
        session.rollback()
        raise ApiError(400, "Invalid partner: see fields.", fields=err.fields) from err
    session.commit()
    return jsonify(partner_json(partner)), 201


@bp.get("/<key>", tags=["admin"], parameters=[KEY_PARAMETER])
@bp.doc(**ADMIN)
@bp.alt_response(200, schema=PartnerSchema, success=True, description="The partner.")
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(404, "NotFound")
@bp.alt_response(429, "TooManyRequests")
def show(key: str):
    """One partner"""
    return jsonify(partner_json(_by_key(key)))


@bp.patch("/<key>", tags=["admin"], parameters=[KEY_PARAMETER])
@bp.doc(**ADMIN)
@bp.arguments(PartnerChangesSchema, location="json")
@bp.alt_response(200, schema=PartnerSchema, success=True, description="The changed partner.")
@bp.alt_response(400, "InvalidRequest")
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(404, "NotFound")
@bp.alt_response(429, "TooManyRequests")
def change(data: dict[str, Any], key: str):
    """Change a partner

    Any of the fields, `enabled` too (false: the key and the widget stop working at once).
    Fields left out are unchanged; `origins` and `defaults` are replaced whole. The key never
    changes.
    """
    session = db.session()
    partner = _by_key(key)
    try:
        update_partner(session, partner, data)
    except PartnerInvalid as err:
        session.rollback()
        raise ApiError(400, "Invalid partner: see fields.", fields=err.fields) from err
    session.commit()
    return jsonify(partner_json(partner))


def _by_key(key: str) -> Partner:
    partner = (
        db.session().scalar(select(Partner).where(Partner.key == key))
        if KEY_PATTERN.fullmatch(key)
        else None
    )
    if partner is None:
        raise ApiError(404, "No partner with this key.")
    return partner
