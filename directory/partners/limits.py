"""Each partner's own rate limit, per key, on top of the limit per client address
(directory/limits.py). One bucket per key, shared by the public API and the widget."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from flask_limiter.util import get_remote_address

from ..limits import limiter
from .access import PUBLIC_ENDPOINTS, from_partner_page, request_partner
from .model import Partner

# Every route limited per partner counts against one bucket per key: the API and the widget.
PARTNER_SCOPE = "partner"


def limit_per_partner(app: Flask, blueprint: Blueprint) -> None:
    """Apply each partner's own limit, per key, to the routes of a blueprint that a request
    reaches with a valid partner key (query `partner` or header X-Partner-Key). Requests
    without a key, or refused ones (403), are not counted against a partner. Call before
    registering the blueprint."""
    limiter(app).shared_limit(
        partner_limit_value,
        PARTNER_SCOPE,
        key_func=partner_limit_key,
        exempt_when=partner_limit_exempt,
        error_message=partner_limit_message,
    )(blueprint)


def _partner() -> Partner | None:
    """The partner a request counts against, or None."""
    if request.method == "OPTIONS":
        return None
    # Of the JSON API, only the public routes take partner keys; the admin routes never do.
    if request.blueprint == "api" and request.endpoint not in PUBLIC_ENDPOINTS:
        return None
    return request_partner()


def partner_limit_value() -> str:
    """flask-limiter limit provider: the partner's own limit (the default for others, which
    are exempt anyway: flask-limiter reads the limit before it asks whether it applies)."""
    partner = _partner()
    return partner.rate_limit if partner else current_app.config["PARTNER_RATE_LIMIT"]


def partner_limit_key() -> str:
    """flask-limiter key function: the partner's key, for requests from the partner's own pages
    (access.from_partner_page). A key is public (it is in the partner's HTML), so a request
    carrying it from anywhere else (a script elsewhere, curl) counts in a bucket of its own
    per client address: no one can use up a partner's limit for all its visitors without
    forging browser headers, and the per-address limit bounds each client anyway."""
    partner = _partner()
    if partner is None:
        return "none"
    if from_partner_page(partner):
        return f"key:{partner.key}"
    return f"key:{partner.key}:addr:{get_remote_address()}"


def partner_limit_exempt() -> bool:
    return _partner() is None


def partner_limit_message() -> str:
    partner = _partner()
    limit = partner.rate_limit if partner else ""
    return f"Too many requests for this partner key ({limit}); retry after Retry-After seconds."
