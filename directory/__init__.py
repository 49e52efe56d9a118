"""The therapist directory: a Flask service over a database and a Whoosh index."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    api,
    commands,
    curation,
    db,
    embed,
    errors,
    headers,
    health,
    limits,
    pages,
    partners,
    parts,
)
from .json_provider import OrjsonProvider
from .settings import configure

PACKAGE = Path(__file__).resolve().parent


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Application factory. Settings: see settings.py (`test_config` wins). `instance_path`
    defaults to DIRECTORY_INSTANCE_PATH, else Flask's instance folder."""
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("DIRECTORY_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(templates_folder()),
    )
    app.json = OrjsonProvider(app)
    configure(app, test_config)
    # The parts every feature uses, then the features, each registering its own routes,
    # limits and commands. `limits` comes before the features that limit their routes.
    for part in (
        db,
        parts,
        errors,
        headers,
        limits,
        commands,
        curation,
        health,
        api,
        partners,
        pages,
        embed,
    ):
        part.init_app(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the client's address (rate limits) and scheme
    (HSTS) are the ones the nearest of them saw: ProxyFix takes the address that many hops
    from the right of `X-Forwarded-For`, which a client cannot forge through a proxy that
    appends to it. Hosts are not taken from `X-Forwarded-Host`: the proxy passes `Host`."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def templates_folder() -> Path:
    """The page templates: inside the installed package (the wheel carries the repository's
    top-level templates/ as directory/templates/), else in the checkout."""
    installed = PACKAGE / "templates"
    return installed if installed.is_dir() else PACKAGE.parent / "templates"
