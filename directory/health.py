"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from . import db
from .parts import index_store

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """/healthz and /readyz, never rate limited."""
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Database and index reachable; the index generation and its document count."""
    checks: dict[str, dict] = {}
    try:
        db.session().execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # any failure means "not ready", and says why
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        status = index_store().status()
        checks["index"] = {"ok": status["generation"] is not None, **status}
    except Exception as exc:
        checks["index"] = {"ok": False, "error": type(exc).__name__}
    ready = all(c["ok"] for c in checks.values())
    return jsonify({"status": "ready" if ready else "not_ready", "checks": checks}), (
        200 if ready else 503
    )
