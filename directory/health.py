"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from indexer.index import IndexUnavailable, NoIndexYet

from . import db
from .parts import index_store, search_engine

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """/healthz and /readyz, never rate limited."""
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database answers, the index answers a tiny query (the generation, its
    document count and the change-log position) and the index is not further behind the
    database than READY_MAX_LAG_CHANGES / READY_MAX_LAG_SECONDS allow (with the follower's
    last heartbeat); 503 with the reason otherwise."""
    checks = {"database": _database(), "index": _index()}
    checks["sync"] = _sync() if checks["database"]["ok"] else {"ok": False, "error": "no database"}
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return jsonify(body), 200 if ready else 503


def _database() -> dict[str, Any]:
    try:
        db.session().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:  # not ready, and says why
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _index() -> dict[str, Any]:
    try:
        answer = search_engine().check()
    except NoIndexYet:
        return {
            "ok": False,
            "error": "no index yet: run `flask index rebuild`",
            "generation": None,
            "documents": 0,
            "change_id": 0,
        }
    except IndexUnavailable as exc:
        return {
            "ok": False,
            "error": f"the index cannot be read: {exc}",
            "generation": index_store().current(strict=False),
        }
    state = index_store().state(answer["generation"])
    return {
        "ok": True,
        **answer,
        "change_id": state.get("change_id", 0),
        "built_at": state.get("built_at"),
    }


def _sync() -> dict[str, Any]:
    """This node's lag behind the database's change log, against the configured limits."""
    store = index_store()
    try:
        lag = store.lag(db.session())
    except SQLAlchemyError as exc:
        return {"ok": False, "error": type(exc).__name__}
    limits = {
        "changes_behind": current_app.config["READY_MAX_LAG_CHANGES"],
        "lag_seconds": current_app.config["READY_MAX_LAG_SECONDS"],
    }
    over = [
        f"{name} {lag[name]:g} > {limit:g}"
        for name, limit in limits.items()
        if limit is not None and lag[name] > limit
    ]
    answer: dict[str, Any] = {
        "ok": not over,
        **lag,
        "max_lag_changes": limits["changes_behind"],
        "max_lag_seconds": limits["lag_seconds"],
        "heartbeat": store.heartbeat(),
    }
    if lag["diverged"]:
        answer["ok"] = False
        answer["error"] = (
            "the index reflects changes this database does not have (restored from an older "
            "backup?): its follower rebuilds it, or run `flask index rebuild`"
        )
    elif over:
        answer["error"] = "the index is behind the database: " + ", ".join(over)
    return answer
