"""Which requests a partner key admits.

A partner's key appears in its pages' HTML, so it is an identifier, not a secret. What keeps a
leaked key useless elsewhere is the list of origins: a browser request carrying the key from any
other origin is refused (403) and gets no CORS headers, so the page that sent it cannot read the
answer. Requests without a key behave as they always did (same-origin pages, servers).

Here: the key a request carries and whether it is admitted (`request_access`, asked by the rate
limiter, the widget and the CORS hooks), CORS for the public JSON API, and the partner key in
the API's OpenAPI description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import db
from ..errors import ApiError, error_response
from .model import KEY_HEADER, KEY_PARAM, Partner
from .storage import find_partner
from .validation import normalise_origin

# The public JSON API: the only routes that answer cross-origin (never the admin routes).
PUBLIC_ENDPOINTS = frozenset({"api.therapists", "api.therapist", "api.taxonomy_terms"})
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
EXPOSED_HEADERS = "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"


def origin_allowed(partner: Partner, origin: str | None) -> bool:
    """Whether `origin` (an Origin header, say) is one of the partner's origins."""
    if not origin:
        return False
    try:
        return normalise_origin(origin) in (partner.origins or [])
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """What a request carrying a partner key may do: `refusal` says why it is refused (403);
    otherwise `origin` is the request's Origin when it is one of the partner's (answered with
    CORS headers), None for requests without an Origin (servers, same-origin pages)."""

    partner: Partner | None
    origin: str | None = None
    refusal: str | None = None


def request_keys() -> set[str]:
    """The partner keys the request carries (query `partner`, header X-Partner-Key)."""
    keys = {v.strip() for v in request.args.getlist(KEY_PARAM)}
    keys.add(request.headers.get(KEY_HEADER, "").strip())
    return keys - {""}


def request_access() -> Access | None:
    """The partner access of the current request, None when it carries no key. Worked out once
    per request (the rate limiter and the CORS hooks both ask)."""
    if "partner_access" not in g:
        g.partner_access = _access()
    return g.partner_access


def request_partner() -> Partner | None:
    """The enabled partner whose key the current request carries, unless the request is
    refused (two keys, or an Origin the partner did not list); None without a key."""
    access = request_access()
    return access.partner if access is not None and not access.refusal else None


def partner_if_known() -> Partner | None:
    """request_partner(), or None when the database cannot say: for error pages, which must
    render even when the error is that the database is down."""
    try:
        return request_partner()
    except SQLAlchemyError:
        return None


def from_partner_page(partner: Partner) -> bool:
    """Whether the request comes from one of the partner's pages as a browser sends it: a
    script there (an Origin the partner listed) or the widget framed there (a Referer from a
    listed origin). Only such requests share the key's bucket; see limits.partner_limit_key."""
    access = request_access()
    if access is not None and access.origin and not access.refusal:
        return True
    if request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
        return False
    referrer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc) and origin_allowed(
        partner, f"{parts.scheme}://{parts.netloc}"
    )


def _access() -> Access | None:
    keys = request_keys()
    if not keys:
        return None
    if len(keys) > 1:
        return Access(None, refusal="The request carries two different partner keys.")
    partner = find_partner(next(iter(keys)))
    if partner is None:
        return Access(None, refusal="Unknown or disabled partner key.")
    origin = request.headers.get("Origin")
    if origin is None:
        return Access(partner)
    if not origin_allowed(partner, origin):
        return Access(partner, refusal=f"This key is not valid on {origin}.")
    return Access(partner, origin=origin)


def guard():
    """Before a public API view: answer CORS preflights; refuse (403) a request whose key is
    unknown, disabled, or used from an origin that is not the partner's."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return None
    if (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    ):
        return _preflight(request.headers["Origin"])
    access = request_access()
    if access is not None and access.refusal:
        raise ApiError(403, access.refusal)
    return None


def _preflight(origin: str):
    """A browser asks whether it may send a GET with the X-Partner-Key header. A preflight
    carries no header values, so a key in the query decides; without one, the origin must be
    one of an enabled partner's (the GET itself is then checked against its key)."""
    keys = {v.strip() for v in request.args.getlist(KEY_PARAM)} - {""}
    if keys:
        partner = find_partner(next(iter(keys))) if len(keys) == 1 else None
        allowed = partner is not None and origin_allowed(partner, origin)
    else:
        allowed = any(
            origin_allowed(p, origin)
            for p in db.session().scalars(select(Partner).where(Partner.enabled.is_(True)))
        )
    if not allowed:
        response, status = error_response(403, f"No partner key is valid on {origin}.")
        return response, status
    response = current_app.response_class(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    response.headers["Access-Control-Allow-Headers"] = f"{KEY_HEADER}, If-None-Match"
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    response.vary.add("Origin")
    return response


def cors_headers(response):
    """After a public API view (errors included, so a partner's script can read a 400 or a
    429): CORS headers for a partner's own origin, none for anyone else."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return response
    # The answer depends on these headers (CORS, 403), so shared caches must key on them.
    response.vary.update(["Origin", KEY_HEADER])
    access = request_access()
    if access is not None and access.origin and not access.refusal:
        response.headers["Access-Control-Allow-Origin"] = access.origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


# The 403 and the key header, added to the public operations' description (flask-smorest merges
# API_SPEC_OPTIONS into the generated document; the operations themselves are in api/public.py).
FORBIDDEN = {"$ref": "#/components/responses/Forbidden"}
KEY_HEADER_PARAMETER = {
    "in": "header",
    "name": KEY_HEADER,
    "required": False,
    "schema": {"type": "string"},
    "description": "A partner site's key, instead of the `partner` query parameter: the API "
    "then answers cross-origin (CORS) for that partner's origins only.",
}


def spec_additions() -> dict[str, Any]:
    """What the OpenAPI description says about partner keys on the public operations. Every
    dict is new: apispec merges these into the generated document in place."""

    def forbidden(**extra: Any) -> dict[str, Any]:
        return {"responses": {"403": dict(FORBIDDEN)}, **extra}

    return {
        "components": {
            "responses": {
                "Forbidden": {
                    "description": "`forbidden`: an unknown or disabled partner key, or a key sent "
                    "from an origin that is not one of its partner's.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            }
        },
        "paths": {
            # The header goes at the path level where the operation lists parameters of its
            # own (a list given here would replace theirs), else on the operation.
            "/api/v1/therapists": {"parameters": [dict(KEY_HEADER_PARAMETER)], "get": forbidden()},
            "/api/v1/therapists/{therapist_id}": {
                "get": forbidden(parameters=[dict(KEY_HEADER_PARAMETER)])
            },
            "/api/v1/taxonomy": {"parameters": [dict(KEY_HEADER_PARAMETER)], "get": forbidden()},
        },
    }
