"""The JSON API, /api/v1, with its OpenAPI description and offline docs page.

blueprint.py   the blueprint, its query parser, the admin check, request bodies
public.py      GET /therapists, /therapists/<id>, /taxonomy
admin.py       POST /admin/ingest, DELETE /admin/therapists/<id>
cache.py       the per-process cache of search responses and their ETags
schemas.py     marshmallow schemas of the responses (for the description)
openapi.py     GET /openapi.json and /docs
"""

from __future__ import annotations

from flask import Flask

from ..limits import limit_per_address
from ..partners.limits import limit_per_partner
from . import admin, openapi, public  # noqa: F401 - registers the routes on bp
from .blueprint import bp


def init_app(app: Flask) -> None:
    """Register the API with its limits (per client address, and per partner key on the
    public routes), and its description."""
    limit_per_partner(app, bp)
    limit_per_address(app, bp, scope="api")
    app.register_blueprint(bp)
    openapi.init_app(app)
