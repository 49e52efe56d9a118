"""Embedding on partner sites (CONTRACT.md "Embedding on partner sites").

widget.py   /embed/v1/embed.js (the snippet's script) and /embed/v1/widget (what it frames)
oembed.py   /oembed: self-contained cards for profile and search URLs
"""

from __future__ import annotations

from flask import Flask

from ..limits import limit_per_address
from ..partners.limits import limit_per_partner
from .oembed import bp as oembed_bp
from .widget import bp as widget_bp


def init_app(app: Flask) -> None:
    """The widget (limited per address and per partner key) and oEmbed (per address)."""
    limit_per_partner(app, widget_bp)
    for blueprint in (widget_bp, oembed_bp):
        limit_per_address(app, blueprint, scope="embed")
        app.register_blueprint(blueprint)
