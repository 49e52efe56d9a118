"""Rate limits (429 with Retry-After), shared through Redis when DIRECTORY_REDIS_URL is set and
in process memory otherwise. Per client address here (RATE_LIMIT); per partner key in
directory/partners/limits.py.

Only counters keyed by address or partner key are kept, never what was searched for.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def init_app(app: Flask) -> None:
    """The app's limiter; RATE_LIMIT "" switches every limit off, per key included. Features
    limit their blueprints with `limit_per_address` before registering them."""
    app.extensions["directory.limiter"] = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config["REDIS_URL"] or "memory://",
        headers_enabled=True,
        enabled=bool(app.config["RATE_LIMIT"]),
    )


def limiter(app: Flask) -> Limiter:
    """The app's limiter."""
    return app.extensions["directory.limiter"]


def limit_per_address(app: Flask, blueprint: Blueprint) -> None:
    """Apply the configured limit per client address to every route of a blueprint."""
    if app.config["RATE_LIMIT"]:
        limiter(app).limit(app.config["RATE_LIMIT"])(blueprint)
