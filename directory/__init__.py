"""The therapist directory: a Flask service over a database and a Whoosh index."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .settings import defaults

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Application factory: defaults, then instance/config.py, then DIRECTORY_* variables,
    then `test_config`, which wins. `instance_path` defaults to `instance/` beside the code
    (or DIRECTORY_INSTANCE_PATH)."""
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("DIRECTORY_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DIRECTORY")
    if test_config is not None:
        app.config.from_mapping(test_config)
    _resolve_paths(app)

    from . import (
        api,
        cli,
        db,
        embed,
        errors,
        health,
        indexing,
        limits,
        oembed,
        pages,
        partners,
        partners_api,
    )

    db.init_app(app)
    indexing.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    limits.init_app(app)
    partners.init_app(app)
    limits.limit_per_partner(app, api.bp)
    for blueprint in (partners_api.bp, oembed.bp):
        limits.limit_blueprint(app, blueprint)
        app.register_blueprint(blueprint)
    app.register_blueprint(health.bp)
    limits.limit_blueprint(app, api.bp)
    app.register_blueprint(api.bp)
    pages.init_app(app)
    limits.limit_blueprint(app, pages.bp)
    app.register_blueprint(pages.bp)
    limits.limit_per_partner(app, embed.bp)
    limits.limit_blueprint(app, embed.bp)
    app.register_blueprint(embed.bp)
    return app


def _resolve_paths(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'directory.sqlite3'}"
    app.config["DATABASE_URL"] = str(app.config["DATABASE_URL"])
    app.config["INDEX_DIR"] = str(app.config["INDEX_DIR"] or instance / "index")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if app.config["ADMIN_TOKEN"] is not None:
        app.config["ADMIN_TOKEN"] = str(app.config["ADMIN_TOKEN"])
    os.makedirs(app.config["INDEX_DIR"], exist_ok=True)
