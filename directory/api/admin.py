"""The admin API: ingest profiles, unpublish a therapist (bearer DIRECTORY_ADMIN_TOKEN)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import current_app, jsonify, request

from indexer import store
from indexer.pipeline import run_ingest

from .. import db
from ..errors import ApiError
from ..parts import geocoder, index_store, search_engine, taxonomy
from .blueprint import ADMIN, MAX_ID, bp, read_body, require_admin
from .schemas import IngestSummarySchema, ProfileInputSchema

MAX_INGEST_BYTES = 20 * 1024 * 1024
INGEST_PARAMETERS = [
    {
        "in": "query",
        "name": "source",
        "required": False,
        "schema": {"type": "string"},
        "description": "The source the ids belong to (default: DIRECTORY_SOURCE).",
    },
    {
        "in": "query",
        "name": "dry_run",
        "required": False,
        "schema": {"type": "string", "enum": ["true", "false"]},
        "description": "`true`: validate and count, write nothing.",
    },
]
INGEST_BODY = {
    "required": True,
    "description": "Profiles in the input format: a JSON array, or JSON Lines (one object "
    "per line). The body is read the same way whatever its Content-Type. "
    f"At most {MAX_INGEST_BYTES // 2**20} MB.",
    "content": {
        "application/json": {"schema": {"type": "array", "items": ProfileInputSchema}},
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "JSON Lines: one profile object per line."}
        },
    },
}


@bp.post("/admin/ingest", tags=["admin"], parameters=INGEST_PARAMETERS)
@bp.doc(requestBody=INGEST_BODY, **ADMIN)
@bp.alt_response(
    200,
    schema=IngestSummarySchema,
    success=True,
    description="The summary (the same as `flask ingest --json`) with the "
    "rejects; accepted profiles are searchable on return.",
)
@bp.alt_response(400, "InvalidRequest")
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(413, "PayloadTooLarge")
@bp.alt_response(
    422,
    schema=IngestSummarySchema,
    description="Nothing in the body could be accepted: the summary says why.",
)
def admin_ingest():
    """Ingest profiles

    Reads, validates, geocodes, stores and indexes the profiles in the body, like
    `flask ingest`. Records failing validation are listed in `rejects` with field-level
    reasons; the others still go in.
    """
    require_admin()
    data = read_body(MAX_INGEST_BYTES)
    if not data.strip():
        raise ApiError(400, "The body is empty: send a JSON array or JSON Lines.")
    source = request.args.get("source") or current_app.config["SOURCE"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "body.json"
        path.write_bytes(data)
        summary = run_ingest(
            [path],
            sessions=db.sessions(),
            taxonomy=taxonomy(),
            geocoder=geocoder(),
            source=source,
            index=index_store(),
            rejects_path=Path(tmp) / "rejects.jsonl",
            dry_run=request.args.get("dry_run") == "true",
        )
        result = summary.as_dict()
        result["files"] = ["request body"]
        result["rejects_file"] = None
        result["rejects"] = (
            [json.loads(line) for line in (Path(tmp) / "rejects.jsonl").read_text().splitlines()]
            if summary.rejected
            else []
        )
    search_engine().invalidate()  # searchable in this process as soon as the request returns
    return jsonify(result), 200 if summary.accepted or not summary.read else 422


@bp.delete(f"/admin/therapists/<int(max={MAX_ID}):therapist_id>", tags=["admin"])
@bp.doc(**ADMIN)
@bp.alt_response(
    204, description="Unpublished: gone from search and from its profile URL.", success=True
)
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(404, "NotFound")
def admin_unpublish(therapist_id: int):
    """Unpublish a therapist

    Gone from search when this request returns (the index syncs before it answers).
    """
    require_admin()
    with db.sessions().begin() as s:
        if not store.unpublish(s, therapist_id):
            raise ApiError(404, f"No therapist with id {therapist_id}.")
    index_store().sync(db.sessions())
    search_engine().invalidate()
    return current_app.response_class(status=204)
