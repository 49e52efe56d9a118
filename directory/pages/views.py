"""The web pages: `/` (search) and `/therapists/<slug>` (a profile), server-rendered from
templates/ and fed by the same `run_search` as the JSON API.

Pages work without JavaScript; static/js/ only improves them (results updated in place, the
map, the video player on click).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound

from ..errors import ApiError
from ..parts import taxonomy
from ..search import load_args, run_search
from ..search.params import LIST_PARAMS
from ..search.results import profile as profile_dict
from ..search.results import published_therapist
from . import display
from .form import (
    FLAG_FILTERS,
    facet_groups,
    form_state,
    invalid_settings,
    map_data,
    page_query,
    radius_choices,
    search_error,
)
from .privacy import photo_shown

bp = Blueprint("pages", __name__)


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
    form = form_state(query, args)
    context = {
        "form": form,
        "body": body,
        "error": error,
        "args": args or {},
        "facets": facet_groups(body, form),
        "map_data": map_data(body, args) if body else None,
        "query": query,
        "radius_choices": radius_choices(form),
        "flag_filters": FLAG_FILTERS,
        "active_filters": sum(len(form[p]) for p in LIST_PARAMS)
        + sum(bool(form[name]) for name, _ in FLAG_FILTERS)
        + bool(form["max_fee"]),
        "formats": list(taxonomy().terms.get("session_format", {}).values()),
    }
    if body:
        last = max(1, -(-body["total"] // body["per_page"]))
        context["pages"] = display.page_window(min(body["page"], last), last)
        context["last_page"] = last
    return render_template("search.html", **context), status


@bp.get("/therapists/<slug>")
def profile_page(slug: str):
    """One therapist's public profile."""
    t = published_therapist(slug=slug)
    if t is not None and t.slug != slug:
        return redirect(url_for("pages.profile_page", slug=t.slug), 301)  # same person
    if t is None:
        raise NotFound(
            "There is no therapist at this address. The profile may have been "
            "removed, or the link mistyped."
        )
    info = profile_dict(t, taxonomy())
    page_url = url_for("pages.profile_page", slug=slug, _external=True)
    photo = info["photo_url"] if photo_shown(info["photo_url"]) else None
    return render_template(
        "profile.html",
        t=info,
        page_url=page_url,
        photo=photo,
        video=display.intro_video(info["video_url"]),
        json_ld=display.profile_json_ld(info, page_url, photo),
        description=display.plain_text(info["bio"], 200),
    )
