"""The public JSON API: search, one profile, the taxonomy."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, redirect, request, url_for

from ..errors import ApiError
from ..parts import search_engine, taxonomy
from ..search import SEARCH_ARGS, run_search
from ..search.evaluate import current_snapshot
from ..search.results import profile, published_therapist
from .blueprint import MAX_ID, bp
from .cache import etag, response_cache
from .schemas import ProfileSchema, SearchResponseSchema, TaxonomySchema

ETAG_HEADERS = {
    "ETag": {
        "description": "Changes when the index or the query changes.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "public, max-age=30", "schema": {"type": "string"}},
}
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "An ETag from an earlier response: 304 when it still holds.",
    "schema": {"type": "string"},
}


@bp.get("/therapists", tags=["search"], parameters=[IF_NONE_MATCH])
@bp.arguments(SEARCH_ARGS, location="query")
@bp.alt_response(
    200,
    schema=SearchResponseSchema,
    headers=ETAG_HEADERS,
    success=True,
    description="Results, facet counts, the resolved place.",
)
@bp.alt_response(
    304, description="Not modified (If-None-Match matched the ETag).", headers=ETAG_HEADERS
)
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
    tag = etag(snap, request.query_string)
    headers = {"ETag": f'"{tag}"', "Cache-Control": "public, max-age=30"}
    if request.if_none_match.contains(tag):
        return current_app.response_class(status=304, headers=headers)
    cached = response_cache().get(tag)
    if cached is not None:
        return current_app.response_class(cached, mimetype="application/json", headers=headers)
    response = jsonify(run_search(args, snap))
    response.headers.update(headers)
    response_cache().put(tag, response.get_data())
    return response


@bp.get(f"/therapists/<int(max={MAX_ID}):therapist_id>", tags=["search"])
@bp.alt_response(200, schema=ProfileSchema, success=True, description="The public profile.")
@bp.alt_response(404, "NotFound")
@bp.alt_response(429, "TooManyRequests")
def therapist(therapist_id: int):
    """One public profile

    No admin-only fields (source ids, hashes). An unknown or unpublished id is a 404.
    """
    t = published_therapist(id=therapist_id)
    if t is None:
        raise ApiError(404, f"No therapist with id {therapist_id}.")
    if t.id != therapist_id:  # another profile of the same person is shown instead
        return redirect(url_for("api.therapist", therapist_id=t.id), 301)
    return jsonify(profile(t, taxonomy()))


@bp.get("/taxonomy", tags=["search"])
@bp.alt_response(
    200,
    schema=TaxonomySchema,
    success=True,
    description="Terms by kind: specialty, modality, client_type, session_format.",
)
@bp.alt_response(429, "TooManyRequests")
def taxonomy_terms():
    """The taxonomy

    The canonical terms with labels and synonyms, by kind. Search parameters accept a term's
    value or any of its synonyms.
    """
    tax = taxonomy()
    return jsonify(
        {
            kind: [
                {
                    "value": t.slug,
                    "label": t.label,
                    "synonyms": list(t.synonyms),
                    "implies": list(t.implies),
                    "group": t.group or None,
                }
                for t in terms.values()
            ]
            for kind, terms in tax.terms.items()
        }
    )
