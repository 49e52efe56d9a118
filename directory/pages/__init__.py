"""The web pages for people: search, profiles, and what every HTML page shares.

views.py     the routes: / and /therapists/<slug>
form.py      the search form's state, facet groups, the map, errors with links
display.py   pure helpers for templates: links, the intro video, JSON-LD, phone numbers
privacy.py   which hosts a visitor's browser may contact (the Content-Security-Policy)
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, current_app, request, url_for
from flask_compress import Compress

from ..limits import limit_per_address
from . import display
from .privacy import content_security_policy, photo_shown
from .views import bp


@cache
def _file_version(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """A static file's URL with a content hash, so browsers may keep it for a year."""
    path = Path(current_app.static_folder or "") / filename
    version = _file_version(str(path), path.stat().st_mtime) if path.exists() else "0"
    return url_for("static", filename=filename, v=version)


# Pages, stylesheets and scripts travel compressed (zstd, Brotli or gzip, whichever the browser
# takes): Leaflet alone is 147 KB as a file and about 45 KB on the wire. JSON API responses
# are left as they were (their ETags and the response cache stay byte-for-byte).
COMPRESSED_TYPES = ("text/html", "text/css", "text/javascript", "application/javascript")


def init_app(app: Flask) -> None:
    """The pages, their template helpers, compression of pages and assets, security headers
    on every HTML page, and long-lived caching of versioned static files."""
    app.config.setdefault("COMPRESS_REGISTER", False)
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    compress = Compress(app)
    app.jinja_env.globals.update(
        asset=asset_url,
        query_with=display.query_with,
        suggestion_query=display.suggestion_query,
        initials=display.initials,
        photo_shown=photo_shown,
        term_label=display.term_label,
        why_matched=display.why_matched,
    )
    app.jinja_env.filters["safe_html"] = display.safe_html
    app.jinja_env.filters["phone"] = display.phone_display
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True

    @app.after_request
    def _page_headers(response):
        if request.endpoint == "static" and request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if response.mimetype == "text/html":
            # Every HTML page, error pages included; the docs page sets its own policy.
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            response.headers.setdefault(
                "Permissions-Policy", "geolocation=(), camera=(), microphone=()"
            )
        if response.mimetype in COMPRESSED_TYPES:
            response = compress.after_request(response)
        return response

    limit_per_address(app, bp, scope="pages")
    app.register_blueprint(bp)
