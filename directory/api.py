"""The JSON API, /api/v1: search, one profile, the taxonomy, and the admin endpoints.

The routes are a flask-smorest Blueprint so that directory/openapi.py can describe them from
their decorators. Only the search parameters are parsed by flask-smorest (webargs), with a parser
that keeps this API's rules (QueryArgs below); every other decorator here only documents: the
views build their responses themselves, and every error goes through errors.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from flask import current_app, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from webargs.flaskparser import FlaskParser

from indexer import store
from indexer.models import Therapist
from indexer.pipeline import run_ingest

from . import db
from .errors import ApiError
from .indexing import geocoder, index_store, response_cache, search_engine, taxonomy
from .search.params import SEARCH_ARGS, query_values
from .search.present import profile
from .search.schemas import (
    IngestSummarySchema,
    ProfileInputSchema,
    ProfileSchema,
    SearchResponseSchema,
    TaxonomySchema,
)
from .search.service import current_snapshot
from .searching import run_search

MAX_INGEST_BYTES = 20 * 1024 * 1024
# therapists.id is a 32-bit INTEGER column: a larger id is simply not found (404 from routing)
# rather than an integer the database driver cannot bind.
MAX_ID = 2**31 - 1


class QueryArgs(FlaskParser):
    """webargs' Flask parser with this API's rules: query values as `query_values` reads
    them, unknown parameters rejected (SearchArgs says RAISE), and 400 with field-level
    reasons in the one error shape instead of webargs' 422."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": None, "querystring": None}

    def load_querystring(self, req, schema) -> dict[str, Any]:
        return query_values(req.args)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers
                     ) -> NoReturn:
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            # webargs nests the reasons under the location: {"query": {...}}.
            [messages] = messages.values()
        raise ApiError(error_status_code or 400, "Invalid parameters: see fields.",
                       fields=_fields(messages))


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = QueryArgs()


bp = ApiBlueprint("api", __name__, url_prefix="/api/v1",
                  description="Search therapists, read profiles and the taxonomy; admin.")

# Shared documentation of responses (components registered in directory/openapi.py).
ETAG_HEADERS = {
    "ETag": {"description": "Changes when the index or the query changes.",
             "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, max-age=30", "schema": {"type": "string"}},
}
IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False,
                 "description": "An ETag from an earlier response: 304 when it still holds.",
                 "schema": {"type": "string"}}
ADMIN = {"security": [{"bearerAuth": []}]}


@bp.get("/therapists", tags=["search"], parameters=[IF_NONE_MATCH])
@bp.arguments(SEARCH_ARGS, location="query")
@bp.alt_response(200, schema=SearchResponseSchema, headers=ETAG_HEADERS, success=True,
                 description="Results, facet counts, the resolved place.")
@bp.alt_response(304, description="Not modified (If-None-Match matched the ETag).",
                 headers=ETAG_HEADERS)
@bp.alt_response(400, "InvalidRequest")
@bp.alt_response(422, "UnknownLocation")
@bp.alt_response(429, "TooManyRequests")
@bp.alt_response(503, "Unavailable")
def therapists(args: dict[str, Any]):
    """Search therapists

    Every parameter is optional; list parameters repeat (`specialty=a&specialty=b`, all must
    match); an empty value counts as absent; an unknown parameter, or another parameter given
    twice, is a 400 with field-level reasons (CONTRACT.md: GET /api/v1/therapists).
    """
    snap = current_snapshot(search_engine())
    etag = _etag(snap.generation, snap.searcher, request.query_string)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=30"}
    if request.if_none_match.contains(etag):
        return current_app.response_class(status=304, headers=headers)
    cached = response_cache().get(etag)
    if cached is not None:
        return current_app.response_class(cached, mimetype="application/json",
                                          headers=headers)
    body = run_search(args, snap)
    response = jsonify(body)
    response.headers.update(headers)
    response_cache().put(etag, response.get_data())
    return response


@bp.get(f"/therapists/<int(max={MAX_ID}):therapist_id>", tags=["search"])
@bp.alt_response(200, schema=ProfileSchema, success=True, description="The public profile.")
@bp.alt_response(404, "NotFound")
@bp.alt_response(429, "TooManyRequests")
def therapist(therapist_id: int):
    """One public profile

    No admin-only fields (source ids, hashes). An unknown or unpublished id is a 404.
    """
    t = db.session().scalar(
        select(Therapist).where(Therapist.id == therapist_id, Therapist.published.is_(True))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses)))
    if t is None:
        raise ApiError(404, f"No therapist with id {therapist_id}.")
    return jsonify(profile(t, taxonomy()))


@bp.get("/taxonomy", tags=["search"])
@bp.alt_response(200, schema=TaxonomySchema, success=True,
                 description="Terms by kind: specialty, modality, client_type, session_format.")
@bp.alt_response(429, "TooManyRequests")
def taxonomy_terms():
    """The taxonomy

    The canonical terms with labels and synonyms, by kind. Search parameters accept a term's
    value or any of its synonyms.
    """
    tax = taxonomy()
    return jsonify({
        kind: [{"value": t.slug, "label": t.label, "synonyms": list(t.synonyms),
                "implies": list(t.implies), "group": t.group or None}
               for t in terms.values()]
        for kind, terms in tax.terms.items()
    })


INGEST_PARAMETERS = [
    {"in": "query", "name": "source", "required": False, "schema": {"type": "string"},
     "description": "The source the ids belong to (default: DIRECTORY_SOURCE)."},
    {"in": "query", "name": "dry_run", "required": False,
     "schema": {"type": "string", "enum": ["true", "false"]},
     "description": "`true`: validate and count, write nothing."},
]
INGEST_BODY = {
    "required": True,
    "description": "Profiles in the input format: a JSON array, or JSON Lines (one object "
                   "per line). The body is read the same way whatever its Content-Type. "
                   f"At most {MAX_INGEST_BYTES // 2**20} MB.",
    "content": {
        "application/json": {"schema": {"type": "array", "items": ProfileInputSchema}},
        "application/x-ndjson": {"schema": {
            "type": "string", "description": "JSON Lines: one profile object per line."}},
    },
}


@bp.post("/admin/ingest", tags=["admin"], parameters=INGEST_PARAMETERS)
@bp.doc(requestBody=INGEST_BODY, **ADMIN)
@bp.alt_response(200, schema=IngestSummarySchema, success=True,
                 description="The summary (the same as `flask ingest --json`) with the "
                             "rejects; accepted profiles are searchable on return.")
@bp.alt_response(400, "InvalidRequest")
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(413, "PayloadTooLarge")
@bp.alt_response(422, schema=IngestSummarySchema,
                 description="Nothing in the body could be accepted: the summary says why.")
def admin_ingest():
    """Ingest profiles

    Reads, validates, geocodes, stores and indexes the profiles in the body, like
    `flask ingest`. Records failing validation are listed in `rejects` with field-level
    reasons; the others still go in.
    """
    _require_admin()
    data = _body(MAX_INGEST_BYTES)
    if not data.strip():
        raise ApiError(400, "The body is empty: send a JSON array or JSON Lines.")
    source = request.args.get("source") or current_app.config["SOURCE"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "body.json"
        path.write_bytes(data)
        summary = run_ingest([path], sessions=db.sessions(), taxonomy=taxonomy(),
                             geocoder=geocoder(), source=source, index=index_store(),
                             rejects_path=Path(tmp) / "rejects.jsonl",
                             dry_run=request.args.get("dry_run") == "true")
        result = summary.as_dict()
        result["files"] = ["request body"]
        result["rejects_file"] = None
        result["rejects"] = [json.loads(line) for line in
                             (Path(tmp) / "rejects.jsonl").read_text().splitlines()
                             ] if summary.rejected else []
    _search_sees_changes()
    return jsonify(result), 200 if summary.accepted or not summary.read else 422


@bp.delete(f"/admin/therapists/<int(max={MAX_ID}):therapist_id>", tags=["admin"])
@bp.doc(**ADMIN)
@bp.alt_response(204, description="Unpublished: gone from search and from its profile URL.",
                 success=True)
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(404, "NotFound")
def admin_unpublish(therapist_id: int):
    """Unpublish a therapist

    Gone from search when this request returns (the index syncs before it answers).
    """
    _require_admin()
    with db.sessions().begin() as s:
        if not store.unpublish(s, therapist_id):
            raise ApiError(404, f"No therapist with id {therapist_id}.")
    index_store().sync(db.sessions())
    _search_sees_changes()
    return current_app.response_class(status=204)


def _body(limit: int) -> bytes:
    """The request body; 413 beyond `limit` bytes, also when it comes without a Content-Length
    (chunked), which is read only up to the limit."""
    too_large = ApiError(413, f"At most {limit // 2**20} MB per request.")
    if request.content_length and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(min(1 << 16, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large
    return b"".join(chunks)


def _search_sees_changes() -> None:
    """The next search in this process looks at the index afresh, so that an admin change is
    searchable as soon as its request returns (otherwise within CHECK_INTERVAL_SECONDS)."""
    search_engine().invalidate()


def _require_admin() -> None:
    token = current_app.config.get("ADMIN_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise ApiError(401, "A valid admin bearer token is required.")


def _etag(generation: str, searcher, query: bytes) -> str:
    version = f"{generation}:{searcher.reader().generation()}:".encode()
    return hashlib.sha256(version + query).hexdigest()[:32]


def _fields(messages) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            value = [m for msgs in value.values() for m in msgs]
        out[str(key)] = [str(v) for v in value]
    return out


@bp.record_once
def _describe(state) -> None:
    """Registering the API also serves its description and docs page (openapi.py)."""
    from . import openapi

    openapi.init_app(state.app)
