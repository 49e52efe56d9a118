"""Rate limits (429 with Retry-After): per client address here (RATE_LIMIT), per partner key
in directory/partners/limits.py.

The counters are shared by every worker of a node (an SQLite file in the instance folder,
limit_storage.py) or, with DIRECTORY_REDIS_URL, by every node. The limit per address is one
bucket for a whole part of the service (`scope`): /api/v1 is one, not one per endpoint.
Only counters keyed by address or partner key are kept, never what was searched for.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from . import limit_storage  # noqa: F401 - registers the directory+sqlite storage


def init_app(app: Flask) -> None:
    """The app's limiter; RATE_LIMIT "" switches every limit off, per key included. Features
    limit their blueprints with `limit_per_address` before registering them."""
    app.extensions["directory.limiter"] = Limiter(
        key_func=get_remote_address,
        app=app,
        storage_uri=app.config["REDIS_URL"] or f"directory+sqlite://{limits_file(app)}",
        headers_enabled=True,
        enabled=bool(app.config["RATE_LIMIT"]),
    )


def limiter(app: Flask) -> Limiter:
    """The app's limiter."""
    return app.extensions["directory.limiter"]


def limit_per_address(app: Flask, blueprint: Blueprint, scope: str) -> None:
    """Apply the configured limit per client address to every route of a blueprint, in one
    bucket per address for the whole `scope` (blueprints of one scope share it)."""
    if app.config["RATE_LIMIT"]:
        limiter(app).shared_limit(app.config["RATE_LIMIT"], scope=scope)(blueprint)


def limits_file(app: Flask) -> str:
    """The node's counters: an SQLite file in the instance folder."""
    return os.path.join(app.instance_path, "limits.sqlite3")
