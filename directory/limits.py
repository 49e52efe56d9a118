"""Rate limits per client address (429 with Retry-After), shared through Redis when
DIRECTORY_REDIS_URL is set and in process memory otherwise.

Only counters keyed by address are kept, never what was searched for.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def init_app(app: Flask) -> Limiter:
    """Limit the JSON API per client address (RATE_LIMIT; "" switches limits off)."""
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config["REDIS_URL"] or "memory://",
        headers_enabled=True,
        enabled=bool(app.config["RATE_LIMIT"]),
    )
    app.extensions["directory.limiter"] = limiter
    return limiter


def limit_blueprint(app: Flask, blueprint) -> None:
    """Apply the configured limit to every route of a blueprint."""
    limiter: Limiter = app.extensions["directory.limiter"]
    if app.config["RATE_LIMIT"]:
        limiter.limit(app.config["RATE_LIMIT"])(blueprint)
