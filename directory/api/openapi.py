"""The OpenAPI 3.1 description of the JSON API (GET /openapi.json) and a docs page that works
offline (GET /docs).

The description is generated from the marshmallow schemas: the request parameters from
`directory/search/params.py` (SearchArgs) and the responses from `schemas.py`, through
flask-smorest's apispec integration. It is built on the first request for it, when every
route is registered, and kept for the life of the app.

The docs page is Swagger UI from the `flask-swagger-ui` package's `dist/` folder, served by the
app itself under /docs/assets/ (nothing vendored here, nothing loaded from another host), started
by `static/docs/init.js` (no inline script, so the page can send a strict
Content-Security-Policy).
"""

from __future__ import annotations

import json
import threading
from importlib.resources import files
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, send_from_directory, url_for
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from markupsafe import escape
from marshmallow import validate
from werkzeug.exceptions import NotFound

from .schemas import ErrorSchema, HealthSchema, ReadySchema

TITLE = "Therapist directory API"
API_VERSION = "1.0.0"
OPENAPI_VERSION = "3.1.0"
DESCRIPTION = """\
Find a therapist who fits: near a place, by specialty and modality (canonical terms or any
synonym: "ENM" means polyamory), couples work, video sessions, free text, and practical filters.

Every error is JSON in one shape: `{"error": {"code", "message", "fields"?, ...}}`.
Search responses carry an `ETag`; send it back in `If-None-Match` for a 304.
The admin endpoints need `Authorization: Bearer <DIRECTORY_ADMIN_TOKEN>`.
"""
SWAGGER_UI_DIST = Path(str(files("flask_swagger_ui"))) / "dist"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

bp = Blueprint("openapi", __name__)
_lock = threading.Lock()


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": ErrorSchema}},
        **extra,
    }


# Error responses referenced by name from the views' decorators (public.py, admin.py, ...).
RESPONSES = {
    "Error": _error("Any other error (405, 500, ...), in the same shape."),
    "InvalidRequest": _error(
        "`invalid_request`: bad parameters or body; `fields` gives the reasons by parameter, "
        "and an unknown specialty, modality or format also gets `close_matches`."
    ),
    "Unauthorized": _error(
        "`unauthorized`: a missing or wrong admin bearer token (or no "
        "DIRECTORY_ADMIN_TOKEN configured)."
    ),
    "NotFound": _error("`not_found`: no published therapist with this id."),
    "UnknownLocation": _error(
        "`unknown_location`: the place was not found; `ambiguous_location`: it matches "
        "several places, listed in `candidates`."
    ),
    "PayloadTooLarge": _error("`payload_too_large`: the body is too large."),
    "TooManyRequests": _error(
        "`too_many_requests`: rate limited; retry after `Retry-After` seconds.",
        headers={"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    ),
    "Unavailable": _error("`unavailable`: the search index is being built; retry shortly."),
}


def _ops(tag: str, summary: str, description: str, responses: dict) -> dict[str, Any]:
    return {
        "get": {
            "tags": [tag],
            "summary": summary,
            "description": description,
            "responses": responses,
        }
    }


# Routes outside the API blueprint (directory/health.py), described here, by endpoint.
OTHER_ROUTES = {
    "health.healthz": _ops(
        "operations",
        "Liveness",
        "The process answers.",
        {
            "200": {"description": "OK", "content": {"application/json": {"schema": HealthSchema}}},
            "default": "Error",
        },
    ),
    "health.readyz": _ops(
        "operations",
        "Readiness",
        "Database and index reachable: the live index generation, its document count and "
        "the change-log position it reflects; and this node's lag behind the database "
        "(changes and seconds, with its follower's last heartbeat) within the configured "
        "limits.",
        {
            "200": {
                "description": "Ready.",
                "content": {"application/json": {"schema": ReadySchema}},
            },
            "503": {
                "description": "Not ready; `checks` says which part failed and why.",
                "content": {"application/json": {"schema": ReadySchema}},
            },
            "default": "Error",
        },
    ),
}
TAGS = [
    {"name": "search", "description": "Public: search, profiles, taxonomy."},
    {"name": "admin", "description": "Bearer token: ingest and unpublish."},
    {"name": "operations", "description": "Health checks for load balancers."},
]


def exclusive_range(converter, field, ret: dict, **kwargs: Any) -> dict:
    """apispec attribute function: a Range with min_inclusive=False (radius > 0) is an
    exclusiveMinimum, not a minimum (apispec ignores the inclusivity)."""
    out: dict[str, Any] = {}
    for validator in field.validators:
        if not isinstance(validator, validate.Range):
            continue
        for bound, inclusive, key, exclusive in (
            (validator.min, validator.min_inclusive, "minimum", "exclusiveMinimum"),
            (validator.max, validator.max_inclusive, "maximum", "exclusiveMaximum"),
        ):
            if bound is not None and not inclusive and key in ret:
                out[exclusive] = ret.pop(key)
    return out


# Examples shown by the docs page (and tried first by API fuzzers).
PARAMETER_EXAMPLES = {
    "near": "10001",
    "radius": 10,
    "couples": True,
    "specialty": ["ENM"],
    "modality": ["gottman"],
    "video": True,
    "q": "attachment communication",
    "language": ["Spanish"],
    "insurance": ["Aetna"],
    "format": ["video"],
    "max_fee": 150,
}


def query_parameter(converter, field, ret: dict, **kwargs: Any) -> dict:
    """apispec parameter attribute function for the search parameters: an empty query value
    counts as absent (a form may submit every field), which OpenAPI says with
    allowEmptyValue; and an example for the main ones."""
    if ret.get("in") != "query":
        return {}
    out: dict[str, Any] = {"allowEmptyValue": True}
    if ret.get("name") in PARAMETER_EXAMPLES:
        out["example"] = PARAMETER_EXAMPLES[ret["name"]]
    return out


def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    """Responses in status order, `default` last (decorators list them bottom-up)."""
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                responses = operation["responses"]
                operation["responses"] = {
                    k: responses[k]
                    for k in sorted(responses, key=lambda k: (k == "default", str(k)))
                }
    # Registered by flask-smorest for its pagination feature, which this API does not use.
    document["components"]["schemas"].pop("PaginationMetadata", None)
    return document


class DescriptionApi(Api):
    """flask-smorest's Api, used only to build the description: errors.py keeps answering every
    error (smorest's own handler has another shape and drops the Allow header on 405)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = "Error"

    def _register_error_handlers(self) -> None:
        pass


def build_description(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every documented route of `app`."""
    api = DescriptionApi(
        app,
        spec_kwargs={
            "title": TITLE,
            "version": API_VERSION,
            "openapi_version": OPENAPI_VERSION,
            "info": {"description": DESCRIPTION},
            "tags": TAGS,
        },
    )
    # smorest adds a `flask openapi` command group; this service documents its commands in
    # the README (tests/test_docs.py), so it keeps to those.
    app.cli.commands.pop("openapi", None)
    spec = api.spec
    api.ma_plugin.converter.add_attribute_function(exclusive_range)
    api.ma_plugin.converter.add_parameter_attribute_function(query_parameter)
    spec.components.security_scheme(
        "bearerAuth",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "The DIRECTORY_ADMIN_TOKEN of the service.",
        },
    )
    for name, response in RESPONSES.items():
        spec.components.response(name, response)
    for name, blueprint in app.blueprints.items():
        if isinstance(blueprint, SmorestBlueprint):
            blueprint.register_views_in_doc(api, app, spec, name=name, parameters=None)
    for endpoint, operations in OTHER_ROUTES.items():
        if endpoint in app.view_functions:
            for rule in app.url_map.iter_rules(endpoint):
                spec.path(rule=rule, operations=operations)
    # Round-trip through JSON: what clients read, with no shared mutable state.
    return _ordered(json.loads(json.dumps(spec.to_dict())))


def description(app: Flask) -> dict[str, Any]:
    """The description of `app`, built once."""
    ext = app.extensions
    if "directory.openapi" not in ext:
        with _lock:
            if "directory.openapi" not in ext:
                ext["directory.openapi"] = build_description(app)
    return ext["directory.openapi"]


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description."""
    response = current_app.response_class(
        json.dumps(description(current_app._get_current_object()), indent=1),
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{favicon}">
<link rel="stylesheet" href="{css}">
</head>
<body>
<noscript><p>This page needs JavaScript. The description itself is
<a href="{spec}">{spec}</a>.</p></noscript>
<div id="swagger-ui" data-spec-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@bp.get("/docs")
def docs():
    """Swagger UI over /openapi.json, every asset from this app."""
    html = DOCS_HTML.format(
        title=escape(f"{TITLE} {API_VERSION}"),
        spec=url_for("openapi.openapi_json"),
        favicon=url_for("openapi.docs_asset", filename="favicon-32x32.png"),
        css=url_for("openapi.docs_asset", filename="swagger-ui.css"),
        bundle=url_for("openapi.docs_asset", filename="swagger-ui-bundle.js"),
        init=url_for("static", filename="docs/init.js"),
    )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@bp.get("/docs/assets/<path:filename>")
def docs_asset(filename: str):
    """Swagger UI's own files, from the installed flask-swagger-ui package."""
    if not SWAGGER_UI_DIST.is_dir():  # pragma: no cover - a broken install
        raise NotFound("The docs assets are not installed.")
    response = send_from_directory(SWAGGER_UI_DIST, filename, max_age=86400)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
