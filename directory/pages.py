"""The web pages: `/` (search) and `/therapists/<slug>` (a profile), server-rendered from
templates/ and fed by the same `run_search` as the JSON API.

Pages work without JavaScript; static/js/ only improves them (results updated in place, the
map, the video player on click). Every page sends a Content-Security-Policy that allows this
site alone, plus the configured map tiles and photo hosts, plus the two video players, which
are only ever inserted after a click.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_compress import Compress
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from indexer.geo import KM_PER_MILE
from indexer.models import Therapist

from . import db, presenting
from .errors import ApiError
from .indexing import taxonomy
from .search.params import LIST_PARAMS, SEARCH_ARGS, Flag, load_args
from .search.present import profile as profile_dict
from .searching import run_search

bp = Blueprint("pages", __name__)

RADIUS_CHOICES = (5, 10, 25, 50, 100, 250)
FACETS_SHOWN = 8  # per group before "More"; the rest stay one keypress away
FLAG_FILTERS = (("accepting", "Accepting new clients"),
                ("free_consultation", "Free consultation"),
                ("sliding_scale", "Sliding scale fees"))


@bp.get("/")
def search_page():
    """The search page: the form, facet counts, results, the map and pagination."""
    status, error, body, args = 200, None, None, None
    query = page_query(request.args)
    try:
        args = load_args(query)
    except ValidationError as err:
        status, error = 400, invalid_settings(err)
    else:
        try:
            body = run_search(args)
        except ApiError as err:
            status, error = err.status, search_error(err, query)
    form = _form_state(query, args)
    context = {
        "form": form, "body": body, "error": error, "args": args or {},
        "facets": _facet_groups(body, form),
        "map_data": _map_data(body, args) if body else None,
        "query": query, "radius_choices": _radius_choices(form),
        "flag_filters": FLAG_FILTERS,
        "active_filters": sum(len(form[p]) for p in LIST_PARAMS)
        + sum(bool(form[name]) for name, _ in FLAG_FILTERS) + bool(form["max_fee"]),
        "formats": list(taxonomy().terms.get("session_format", {}).values()),
    }
    if body:
        last = max(1, -(-body["total"] // body["per_page"]))
        context["pages"] = presenting.page_window(min(body["page"], last), last)
        context["last_page"] = last
    return render_template("search.html", **context), status


@bp.get("/therapists/<slug>")
def profile_page(slug: str):
    """One therapist's public profile."""
    t = db.session().scalar(
        select(Therapist).where(Therapist.slug == slug, Therapist.published.is_(True))
        .options(selectinload(Therapist.offices), selectinload(Therapist.licenses)))
    if t is None:
        raise NotFound("There is no therapist at this address. The profile may have been "
                       "removed, or the link mistyped.")
    info = profile_dict(t, taxonomy())
    page_url = url_for("pages.profile_page", slug=slug, _external=True)
    photo = info["photo_url"] if photo_shown(info["photo_url"]) else None
    return render_template(
        "profile.html", t=info, page_url=page_url, photo=photo,
        video=presenting.intro_video(info["video_url"]),
        json_ld=presenting.profile_json_ld(info, page_url, photo),
        description=presenting.plain_text(info["bio"], 200),
    )


def page_query(raw: MultiDict) -> MultiDict:
    """The query string as pages and the widget read it. Unlike the API, which refuses what it
    does not know, pages ignore parameters search does not know (`utm_source`, `fbclid`: shared
    links pick them up). A place typed in the form wins over coordinates carried from an earlier
    search, and sorting by distance without a place falls back to the default order."""
    known = set(SEARCH_ARGS.fields) - {"partner"}
    out = MultiDict([(k, v) for k, v in raw.items(multi=True) if k in known])
    if any(v.strip() for v in out.getlist("near")):
        out.poplist("lat")
        out.poplist("lon")
    has_place = any(v.strip() for k in ("near", "lat", "lon") for v in out.getlist(k))
    if not has_place and out.get("sort") == "distance":
        out.poplist("sort")
    return out


def photo_shown(url: str | None) -> bool:
    """Whether a photo URL may be loaded by visitors' browsers (see PHOTO_ORIGINS)."""
    return presenting.photo_allowed(url, photo_origins())


def photo_origins() -> tuple[str, ...]:
    """The origins allowed to serve photos to visitors (PHOTO_ORIGINS)."""
    return _origins("PHOTO_ORIGINS")


def invalid_settings(err: ValidationError) -> dict:
    """A 400 for the page: the reasons by field, for people."""
    messages = err.messages if isinstance(err.messages, dict) else {"": err.messages}
    fields = {k: [str(m) for m in (v if isinstance(v, list) else [v])]
              for k, v in messages.items()}
    return {"status": 400, "message": "Some of the search settings could not be used.",
            "fields": fields}


def search_error(err: ApiError, query: MultiDict) -> dict:
    """An error from the search (unknown place or term, no index yet) for the page, with links
    for "did you mean" that keep the rest of `query`."""
    message = ("Some of the search settings could not be used."
               if err.code == "invalid_request" else err.message)
    out = {"status": err.status, "code": err.code, "message": message,
           "fields": err.fields or {}}
    if err.extra.get("candidates"):
        out["candidates"] = [
            {"label": c["label"], "query": presenting.query_with(query, near=c["label"])}
            for c in err.extra["candidates"]]
    if err.extra.get("close_matches"):
        out["close_matches"] = {
            param: [{"label": m["label"],
                     "query": presenting.query_with(query, **{param: [m["value"]]})}
                    for m in matches]
            for param, matches in err.extra["close_matches"].items()}
    return out


def _form_state(raw: MultiDict, args: dict | None) -> dict[str, Any]:
    """What the form shows: the visitor's own words for text, canonical slugs for terms."""
    def flag(name: str) -> bool:
        return raw.get(name, "").strip().lower() in Flag.truthy

    state: dict[str, Any] = {
        "near": raw.get("near", ""), "q": raw.get("q", ""),
        "radius": (args or {}).get("radius", 25.0), "unit": raw.get("unit", "mi") or "mi",
        "sort": raw.get("sort", ""), "per_page": raw.get("per_page", ""),
        "max_fee": raw.get("max_fee", ""),
        "lat": raw.get("lat", ""), "lon": raw.get("lon", ""),
    }
    for name in ("couples", "video", "intro_video", "accepting", "free_consultation",
                 "sliding_scale"):
        state[name] = flag(name)
    tax = taxonomy()
    for param in LIST_PARAMS:
        values = [v.strip() for v in raw.getlist(param) if v.strip()]
        kind = {"specialty": "specialty", "modality": "modality",
                "format": "session_format"}.get(param)
        if kind:
            values = [(res.term.slug if (res := tax.resolve(kind, v)) else v) for v in values]
        else:
            values = [v.lower() for v in values]
        state[param] = list(dict.fromkeys(values))
    state["has_place"] = bool(state["near"] or state["lat"])
    return state


def _facet_groups(body: dict | None, form: dict) -> list[dict]:
    """Checkbox groups with counts: chosen values first (always shown), then the most
    frequent; each group split into the first FACETS_SHOWN and the rest."""
    groups = []
    tax = taxonomy()
    for param, facet, title, kind in (("specialty", "specialty", "Specialties", "specialty"),
                                      ("modality", "modality", "Approaches", "modality"),
                                      ("language", "language", "Languages", None),
                                      ("insurance", "insurance", "Insurance", None)):
        values = list((body or {}).get("facets", {}).get(facet, []))
        known = {v["value"] for v in values}
        chosen = form[param]
        for value in chosen:
            if value not in known:
                term = tax.get(kind, value) if kind else None
                values.append({"value": value, "count": (body or {}).get("total", 0),
                               "label": term.label if term else value.title()})
        options = [dict(v, checked=v["value"] in chosen, id=f"{param}-{_dom_id(v['value'])}")
                   for v in values]
        options.sort(key=lambda o: not o["checked"])
        groups.append({"param": param, "title": title, "shown": options[:FACETS_SHOWN],
                       "more": options[FACETS_SHOWN:]})
    return groups


def _dom_id(value: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in value.lower())


def _radius_choices(form: dict) -> list[float]:
    return sorted({float(r) for r in RADIUS_CHOICES} | {float(form["radius"])})


def _map_data(body: dict, args: dict) -> dict | None:
    """Markers for the results on this page that have an office nearby, the searched place,
    the radius and the tile source; None when there is nothing to draw."""
    markers = [{"lat": r["nearest_location"]["lat"], "lon": r["nearest_location"]["lon"],
                "name": r["name"], "url": r["url"],
                "label": f"{r['distance']['value']:g} {r['distance']['unit']}"}
               for r in body["results"]
               if r["distance"] and r["nearest_location"]
               and r["nearest_location"].get("lat") is not None]
    place = body.get("location")
    if not markers and not place:
        return None
    radius_km = args["radius"] * (KM_PER_MILE if args["unit"] == "mi" else 1.0)
    config = current_app.config
    return {
        "markers": markers,
        "place": ({"lat": place["lat"], "lon": place["lon"], "label": place["label"],
                   "radius_m": round(radius_km * 1000)} if place else None),
        "tiles": config["MAP_TILE_URL"] or None,
        "attribution": config["MAP_ATTRIBUTION"] or "",
    }


def _origins(setting: str) -> tuple[str, ...]:
    value = current_app.config.get(setting) or ()
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    return tuple(value)


def _origin_of(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].replace("{s}.", "*.")
    return f"{scheme}://{host}"


def content_security_policy() -> str:
    """This site only, plus the configured map tiles and photo hosts, and the video players
    (inserted only after a click)."""
    images = " ".join(["'self'", "data:", *photo_origins(),
                       *filter(None, [_origin_of(current_app.config["MAP_TILE_URL"])])])
    players = " ".join(presenting.VIDEO_FRAME_ORIGINS)
    return (f"default-src 'self'; img-src {images}; media-src 'self' https:; "
            f"frame-src {players}; script-src 'self'; style-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'self'")


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
    """Template helpers, compression of pages and assets, and long-lived caching of
    versioned static files."""
    app.config.setdefault("COMPRESS_REGISTER", False)
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    compress = Compress(app)
    app.jinja_env.globals.update(asset=asset_url, query_with=presenting.query_with,
                                 suggestion_query=presenting.suggestion_query,
                                 initials=presenting.initials, photo_shown=photo_shown,
                                 term_label=term_label,
                                 why_matched=presenting.why_matched)
    app.jinja_env.filters["safe_html"] = presenting.safe_html
    app.jinja_env.filters["phone"] = presenting.phone_display
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True

    @app.after_request
    def _page_headers(response):
        if request.endpoint == "static" and request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if response.mimetype == "text/html":
            # Every HTML page, error pages included; the docs page sets its own policy.
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Permissions-Policy",
                                        "geolocation=(), camera=(), microphone=()")
        if response.mimetype in COMPRESSED_TYPES:
            response = compress.after_request(response)
        return response


def term_label(kind: str, slug: str) -> str:
    """A taxonomy term's label, or the slug itself when the taxonomy does not know it."""
    term = taxonomy().get(kind, slug)
    return term.label if term else slug
