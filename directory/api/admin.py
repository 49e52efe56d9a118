"""The admin API: ingest profiles, unpublish a therapist (bearer DIRECTORY_ADMIN_TOKEN)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import current_app, jsonify, request

from indexer import store
from indexer.index import IndexLocked
from indexer.pipeline import run_ingest

from .. import db
from ..errors import ApiError
from ..parts import geocoder, index_store, search_engine, taxonomy
from .blueprint import ADMIN, MAX_ID, bp, read_body, require_admin
from .schemas import IngestSummarySchema, ProfileInputSchema

MAX_INGEST_BYTES = 20 * 1024 * 1024
# Rejects listed in a response; the count is always complete, and the rejects table has all.
MAX_REJECTS_SHOWN = 100
# Seconds a request waits for another writer holding the node's index lock.
WEB_LOCK_TIMEOUT = 3.0
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
    `flask ingest`. Records failing validation are counted in `rejected` and the first
    100 are listed in `rejects` with field-level reasons; the others still go in.
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
            lock_timeout=WEB_LOCK_TIMEOUT,
        )
        result = summary.as_dict()
        result["files"] = ["request body"]
        result["rejects_file"] = None
        result["rejects"] = _first_rejects(Path(tmp) / "rejects.jsonl", MAX_REJECTS_SHOWN)
    search_engine().invalidate()  # searchable in this process as soon as the request returns
    return jsonify(result), 200 if summary.accepted or not summary.read else 422


@bp.delete(f"/admin/therapists/<int(max={MAX_ID}):therapist_id>", tags=["admin"])
@bp.doc(**ADMIN)
@bp.alt_response(
    204, description="Unpublished: gone from search and from its profile URL.", success=True
)
@bp.alt_response(
    202,
    description="Unpublished in the database; another writer holds this node's index, so it "
    "leaves search when that writer finishes (`status`: pending).",
)
@bp.alt_response(401, "Unauthorized")
@bp.alt_response(404, "NotFound")
def admin_unpublish(therapist_id: int):
    """Unpublish a therapist

    Gone from search when this request returns (the index syncs before it answers), or,
    while another writer holds this node's index (a large ingest), 202: gone when it finishes.
    """
    require_admin()
    with db.sessions().begin() as s:
        if not store.unpublish(s, therapist_id):
            raise ApiError(404, f"No therapist with id {therapist_id}.")
    try:
        index_store().sync(db.sessions(), lock_timeout=WEB_LOCK_TIMEOUT)
    except IndexLocked as err:
        # Stored and in the change log: the writer holding the lock applies it when it ends.
        body = {
            "status": "pending",
            "message": "Unpublished. Another writer is updating the "
            "index; it is gone from search when that writer finishes.",
            "detail": str(err),
        }
        return jsonify(body), 202
    search_engine().invalidate()
    return current_app.response_class(status=204)


def _first_rejects(path: Path, limit: int) -> list[dict]:
    """The first `limit` rejects of the run, as the rejects file holds them, with the file
    named as the request body (the server's temporary path is nobody's business)."""
    out: list[dict] = []
    if path.exists():
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if len(out) >= limit:
                    break
                reject = json.loads(line)
                reject["file"] = "request body"
                out.append(reject)
    return out
