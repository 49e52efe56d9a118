"""Embedding on partner sites: `/embed/v1/embed.js` (the snippet's script) and
`/embed/v1/widget` (the results page it frames), CONTRACT.md "Embedding on partner sites".

The widget is the search page's little sibling: the same `run_search`, the same result
template, the partner's default filters under the visitor's choices. It answers only for a
known, enabled key; only the partner's origins may frame it (CSP frame-ancestors); it sets no
cookies and loads nothing from other hosts; it tells its parent page its height through
postMessage, to the partner's origin only.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, send_file
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from ..errors import ApiError
from ..pages.display import query_with, term_label
from ..pages.form import invalid_settings, page_query, search_error
from ..pages.privacy import photo_origins
from ..partners.access import origin_allowed, partner_if_known, request_partner
from ..partners.storage import partner_args
from ..search import load_args, run_search

bp = Blueprint("embed", __name__, url_prefix="/embed/v1")

EMBED_JS = Path(__file__).resolve().parent.parent / "static" / "js" / "embed.js"
# The widget's own parameters; everything else is a search parameter.
WIDGET_PARAMS = ("partner", "origin", "frame", "layout")
DEFAULT_PER_PAGE = {"compact": 5, "full": 10}
FLAGS = (
    ("couples", "Sees couples"),
    ("video", "Video sessions"),
    ("intro_video", "Has an intro video"),
)


@bp.get("/embed.js")
def embed_script():
    """The snippet's script: finds the placeholders and frames the widget in each."""
    response = send_file(EMBED_JS, mimetype="text/javascript", max_age=3600)
    # Partners' pages may be cross-origin isolated; let them load it.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/widget")
def widget():
    """Results for a partner's visitors, framed by the partner's pages only."""
    partner = request_partner()
    if partner is None:
        html = render_template(
            "error.html",
            title="This widget is not available",
            message="The partner key is unknown or has been disabled. If this is your site, "
            "check the key in the snippet or ask the directory for a new one.",
        )
        return current_app.make_response((html, 403))

    layout = request.args.get("layout") or partner.layout or "full"
    layout = layout if layout in DEFAULT_PER_PAGE else "full"
    visitor = page_query(request.args)
    query = page_query(partner_args(partner, visitor))
    if "per_page" not in query:
        query["per_page"] = str(DEFAULT_PER_PAGE[layout])

    # Links inside the widget keep its own parameters and the visitor's choices; the
    # partner's defaults are applied again on every request, never written into links.
    links = MultiDict(
        [(k, v) for k, v in request.args.items(multi=True) if k in WIDGET_PARAMS]
        + list(visitor.items(multi=True))
    )
    status, error, body = 200, None, None
    try:
        body = run_search(load_args(query))
    except ValidationError as err:
        status, error = 400, invalid_settings(err)
    except ApiError as err:
        status, error = err.status, search_error(err, links)

    nonce = secrets.token_urlsafe(12)
    defaults = partner.defaults or {}
    html = render_template(
        "widget.html",
        partner=partner,
        layout=layout,
        body=body,
        error=error,
        query=query,
        links=links,
        nonce=nonce,
        accent=partner.accent,
        accent_ink=_ink_on(partner.accent),
        widget_params={k: links.get(k) for k in WIDGET_PARAMS if links.get(k)},
        flags=[(name, label) for name, label in FLAGS if name not in defaults],
        fixed=_describe_defaults(defaults),
        carried=_carried(links, defaults),
        full_search=query_with(query, per_page=None),
    )
    response = current_app.make_response((html, status))
    response.headers["Content-Security-Policy"] = _policy(nonce, partner.origins or [])
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.context_processor
def _frame_context() -> dict:
    """For every page of this blueprint, error pages included: the partner origin the widget
    may report its height to (checked against the key), and the frame's number."""
    partner = partner_if_known()
    parent = request.args.get("origin", "")
    allowed = partner is not None and origin_allowed(partner, parent)
    return {
        "parent_origin": parent if allowed else None,
        "frame": request.args.get("frame", "")[:40],
        "in_widget": True,
    }


@bp.after_request
def _frame_policy(response):
    """Error pages of the widget (403, 429, 500) may be shown where the widget is, so that a
    partner's visitors read what happened instead of a refused frame."""
    if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
        partner = partner_if_known()
        response.headers["Content-Security-Policy"] = _policy(
            None, (partner.origins or []) if partner else ["*"]
        )
    return response


def _policy(nonce: str | None, ancestors: list[str]) -> str:
    """This site only; an inline theme style with its nonce; framed only by `ancestors`."""
    styles = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    images = " ".join(["'self'", "data:", *photo_origins()])
    framers = " ".join(ancestors) if ancestors else "'none'"
    return (
        f"default-src 'self'; img-src {images}; script-src 'self'; style-src {styles}; "
        f"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {framers}"
    )


def _carried(args: MultiDict, defaults: dict) -> list[tuple[str, str]]:
    """Query values the widget's form has no control for, carried through a new search so the
    snippet's own filters (data-specialty, ...) survive the visitor's changes."""
    shown = {"near", "q", "radius", "page", *(name for name, _ in FLAGS if name not in defaults)}
    return [(k, v) for k, v in args.items(multi=True) if k not in shown and v.strip()]


def _describe_defaults(defaults: dict) -> list[str]:
    """The partner's fixed filters, in words, for the widget's heading."""
    words = {
        "couples": "sees couples",
        "video": "video sessions",
        "intro_video": "with an intro video",
        "accepting": "accepting new clients",
        "free_consultation": "free consultation",
        "sliding_scale": "sliding scale",
    }
    out = []
    for key, phrase in words.items():  # a fixed order: the database may reorder the dict
        if str(defaults.get(key, "")).lower() == "true":
            out.append(phrase)
    for key in ("specialty", "modality"):
        value = defaults.get(key, [])
        for slug in value if isinstance(value, list) else [value]:
            out.append(term_label(key, slug))
    return out


def _ink_on(accent: str | None) -> str:
    """Black or white text, whichever reads better on the partner's accent colour (stored as
    #rrggbb by partners/validation.py clean_accent)."""
    if not accent:
        return "#ffffff"
    r, g, b = (int(accent[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return "#1c2128" if luminance > 0.18 else "#ffffff"
