"""Partner sites that embed the directory: their keys, origins, default filters and theme.

    model.py        the Partner table; how a key looks and travels
    validation.py   what the fields may hold (defaults are checked like a search)
    storage.py      add, change, find, list; a visitor's search in a partner's widget
    access.py       which requests a key admits; CORS for the public JSON API
    limits.py       each partner's own rate limit
    admin_api.py    /api/v1/admin/partners
    commands.py     flask partners ...

The widget itself is directory/embed/.
"""

from __future__ import annotations

from flask import Flask

from ..limits import limit_per_address
from .access import cors_headers, guard, spec_additions
from .admin_api import bp as admin_bp
from .commands import partners_cli


def init_app(app: Flask) -> None:
    """CORS and key checks for the public JSON API, the admin API for partners, the
    `partners` commands, and the partner key in the API's description."""
    app.before_request(guard)
    app.after_request(cors_headers)
    app.cli.add_command(partners_cli)
    limit_per_address(app, admin_bp, scope="api")
    app.register_blueprint(admin_bp)
    options = app.config.setdefault("API_SPEC_OPTIONS", {})
    for section, value in spec_additions().items():
        options.setdefault(section, {}).update(value)
