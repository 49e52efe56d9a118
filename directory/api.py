"""The JSON API, /api/v1: search, one profile, the taxonomy, and the admin endpoints."""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from indexer import store
from indexer.models import Therapist
from indexer.pipeline import run_ingest

from . import db
from .errors import ApiError
from .indexing import geocoder, index_store, search_engine, taxonomy
from .search.facets import facet_counts
from .search.params import load_args
from .search.present import profile, result_item
from .search.service import search, suggestions

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_INGEST_BYTES = 20 * 1024 * 1024


@bp.get("/therapists")
def therapists():
    """Search therapists (CONTRACT.md: GET /api/v1/therapists)."""
    try:
        args = load_args(request.args)
    except ValidationError as err:
        raise ApiError(400, "Invalid parameters: see fields.",
                       fields=_fields(err.messages)) from None
    snap, outcome = search(args, engine=search_engine(), taxonomy=taxonomy(),
                           geocoder=geocoder())
    etag = _etag(snap.generation, snap.searcher, request.query_string)
    if request.if_none_match.contains(etag):
        return "", 304, {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=30"}
    start = (args["page"] - 1) * args["per_page"]
    page_hits = outcome.hits[start:start + args["per_page"]]
    rows = _load([snap.ids[h.doc] for h in page_hits])
    results = [result_item(rows[snap.ids[h.doc]], h, outcome, args, taxonomy())
               for h in page_hits if snap.ids[h.doc] in rows]
    body = {
        "total": len(outcome.hits),
        "page": args["page"],
        "per_page": args["per_page"],
        "results": results,
        "facets": facet_counts(snap, outcome.docs, taxonomy()),
        "location": _location(args, outcome),
    }
    if not outcome.hits:
        body["suggestions"] = suggestions(snap, args, outcome, taxonomy())
    response = jsonify(body)
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "public, max-age=30"
    return response


@bp.get("/therapists/<int:therapist_id>")
def therapist(therapist_id: int):
    """One public profile."""
    t = db.session().scalar(
        select(Therapist).where(Therapist.id == therapist_id, Therapist.published.is_(True))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses)))
    if t is None:
        raise ApiError(404, f"No therapist with id {therapist_id}.")
    return jsonify(profile(t, taxonomy()))


@bp.get("/taxonomy")
def taxonomy_terms():
    """The canonical terms with labels and synonyms, by kind."""
    tax = taxonomy()
    return jsonify({
        kind: [{"value": t.slug, "label": t.label, "synonyms": list(t.synonyms),
                "implies": list(t.implies), "group": t.group or None}
               for t in terms.values()]
        for kind, terms in tax.terms.items()
    })


@bp.post("/admin/ingest")
def admin_ingest():
    """Ingest a JSON array or JSON Lines body; returns the same summary as the CLI."""
    _require_admin()
    if request.content_length and request.content_length > MAX_INGEST_BYTES:
        raise ApiError(413, f"At most {MAX_INGEST_BYTES // 2**20} MB per request.")
    data = request.get_data(cache=False)
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
    return jsonify(result), 200 if summary.accepted or not summary.read else 422


@bp.delete("/admin/therapists/<int:therapist_id>")
def admin_unpublish(therapist_id: int):
    """Unpublish a therapist: gone from search after the index syncs (this request)."""
    _require_admin()
    with db.sessions().begin() as s:
        if not store.unpublish(s, therapist_id):
            raise ApiError(404, f"No therapist with id {therapist_id}.")
    index_store().sync(db.sessions())
    return "", 204


def _require_admin() -> None:
    token = current_app.config.get("ADMIN_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise ApiError(401, "A valid admin bearer token is required.")


def _load(ids: list[int]) -> dict[int, Therapist]:
    if not ids:
        return {}
    rows = db.session().scalars(
        select(Therapist).where(Therapist.id.in_(ids))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses)))
    return {t.id: t for t in rows}


def _location(args: dict, outcome) -> dict | None:
    place = outcome.place
    if place is None:
        return None
    return {"query": args.get("near") or f"{args['lat']},{args['lon']}", "lat": place.lat,
            "lon": place.lon, "label": place.label, "precision": place.precision,
            "state": place.state, "radius": args["radius"], "unit": args["unit"]}


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
