"""oEmbed (https://oembed.com): GET /oembed?url=... for this site's profile and search pages, so
that a CMS that understands oEmbed can embed one by pasting its link.

The answer is a "rich" type whose html is a self-contained card: a blockquote with text and
links, inline styles only; no script, no iframe, nothing loaded from anywhere. Only JSON is
provided (format=xml is a 501, as the spec says).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from flask import jsonify, request
from markupsafe import Markup
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from ..api.blueprint import ApiBlueprint, QueryArgs
from ..api.schemas import ErrorSchema, ResponseSchema, required
from ..errors import ApiError
from ..pages.display import term_label
from ..pages.form import page_query
from ..partners.validation import DEFAULT_PORTS
from ..parts import taxonomy
from ..search import load_args, run_search
from ..search.results import published_therapist

PROVIDER_NAME = "Therapist directory"
CACHE_AGE = 3600  # seconds a consumer may keep an answer
WIDTH = 480  # pixels the card asks for, less when maxwidth says so
PROFILE_HEIGHT = 200
SEARCH_HEIGHT, RESULT_HEIGHT = 110, 44  # a search card: header and footer, then per result
SEARCH_RESULTS = 5  # results listed in a search card
MAX_SPECIALTIES = 6
PROFILE_PATH = re.compile(r"/therapists/([\w.~-]{1,120})/?")
CARD_STYLE = (
    "margin:0;max-width:{w}px;max-height:{h}px;overflow:auto;box-sizing:border-box;"
    "padding:12px 16px;border:1px solid #d0d7de;border-radius:8px;"
    "font:14px/1.45 system-ui,sans-serif"
)
P_STYLE = "margin:0 0 6px"


class OEmbedQuery(QueryArgs):
    """The API's parser (400 with field reasons in the one error shape), reading the query as
    single values: `format` here is oEmbed's, not the search's repeatable parameter."""

    def load_querystring(self, req, schema) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for key in req.args:
            values = [v.strip() for v in req.args.getlist(key) if v.strip()]
            if len(values) > 1 and key in schema.fields:
                raise ValidationError({key: ["Give this parameter once."]})
            if values:
                raw[key] = values[0]
        return raw


class OEmbedBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = OEmbedQuery()


bp = OEmbedBlueprint("oembed", __name__, description="oEmbed for profile and search pages.")


class OEmbedArgs(Schema):
    """The oEmbed request parameters; others are ignored (consumers may add their own).

    `format` is read by the view: json is the only format provided, and the spec answers any
    other with a 501, which API fuzzers count as a server failure if the parameter is
    described, so it is described in words only."""

    class Meta:
        unknown = EXCLUDE

    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "A profile (`/therapists/<slug>`) or search (`/?near=...`) URL of this "
            "site."
        },
    )
    maxwidth = fields.Integer(
        validate=validate.Range(1, 10_000), metadata={"description": "Pixels at most."}
    )
    maxheight = fields.Integer(
        validate=validate.Range(1, 10_000), metadata={"description": "Pixels at most."}
    )


class OEmbedSchema(ResponseSchema):
    type = required(fields.String, text='"rich"')
    version = required(fields.String, text='"1.0"')
    title = required(fields.String)
    provider_name = required(fields.String)
    provider_url = required(fields.String)
    cache_age = required(fields.Integer, text="Seconds the answer may be cached.")
    html = required(
        fields.String, text="A self-contained card: no script, no iframe, nothing loaded."
    )
    width = required(fields.Integer)
    height = required(fields.Integer)


@bp.get("/oembed", tags=["embedding"])
@bp.arguments(OEmbedArgs, location="query")
@bp.alt_response(
    200,
    schema=OEmbedSchema,
    success=True,
    description="A rich embed: a card for a profile, or the top results of a "
    "search with a link to all of them.",
)
@bp.alt_response(400, "InvalidRequest")
@bp.alt_response(
    404,
    schema=ErrorSchema,
    description="`not_found`: the URL is not a profile or search page of this "
    "site (another host, another page, an unpublished profile, or a "
    "search that cannot be run; `fields` says why).",
)
@bp.alt_response(429, "TooManyRequests")
@bp.alt_response(
    501,
    schema=ErrorSchema,
    description="`not_implemented`: a `format` other than json (xml, say); only JSON is provided.",
)
@bp.alt_response(503, "Unavailable")
def oembed(args: dict[str, Any]):
    """oEmbed

    For a profile URL (`/therapists/<slug>`) or a search URL (`/?near=10001&couples=true`) of
    this site: an oEmbed "rich" answer whose html is a self-contained card. The spec's `format`
    parameter may be `json` (the default); any other format is a 501.
    """
    if (request.args.get("format", "").strip().lower() or "json") != "json":
        raise ApiError(501, "Only format=json is provided.", code="not_implemented")
    try:
        target = urlsplit(args["url"].strip())
    except ValueError:  # e.g. "http://[::1/": not a URL at all
        raise ApiError(404, "Not a page of this site.") from None
    host = _host(target.scheme, target.netloc)
    if (
        target.scheme.lower() not in DEFAULT_PORTS
        or not host
        or (host != _host(request.scheme, request.host))
    ):
        raise ApiError(404, "Not a page of this site.")
    width = min(WIDTH, args.get("maxwidth", WIDTH))
    match = PROFILE_PATH.fullmatch(unquote(target.path))
    if match:
        body = _profile(match.group(1), width, args.get("maxheight"))
    elif target.path in ("", "/"):
        body = _search(target.query, width, args.get("maxheight"))
    else:
        raise ApiError(404, "Only profile and search pages can be embedded.")
    body.update(
        type="rich",
        version="1.0",
        provider_name=PROVIDER_NAME,
        provider_url=request.host_url,
        cache_age=CACHE_AGE,
        width=width,
    )
    response = jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_AGE}"
    # The card's links are built from the Host asked for: a shared cache must key on it.
    response.vary.add("Host")
    return response


def _profile(slug: str, width: int, maxheight: int | None) -> dict[str, Any]:
    t = published_therapist(slug=slug)
    if t is None:
        raise ApiError(404, "No published profile at this URL.")
    link = _absolute(f"therapists/{quote(t.slug)}")
    height = min(PROFILE_HEIGHT, maxheight or PROFILE_HEIGHT)
    places = list(dict.fromkeys(f"{o.city}, {o.state}" for o in t.offices if o.city and o.state))
    where = " · ".join(places[:3]) or ("Video sessions" if t.offers_video else "")
    labels = [term_label("specialty", s) for s in (t.specialties or [])[:MAX_SPECIALTIES]]
    rows = [
        Markup('<p style="{}"><strong><a href="{}">{}</a></strong>{}</p>').format(
            P_STYLE, link, t.name, f", {t.credentials}" if t.credentials else ""
        )
    ]
    if where:
        rows.append(Markup('<p style="{}">{}</p>').format(P_STYLE, where))
    if labels:
        rows.append(Markup('<p style="{}">Specialties: {}</p>').format(P_STYLE, ", ".join(labels)))
    rows.append(
        Markup('<p style="margin:0"><a href="{}">See the profile on {}</a></p>').format(
            link, PROVIDER_NAME
        )
    )
    title = f"{t.name}, {t.credentials}" if t.credentials else t.name
    return {"title": title, "html": _card(rows, width, height), "height": height}


def _search(query: str, width: int, maxheight: int | None) -> dict[str, Any]:
    try:
        # Read as the search page reads it: shared links carry utm_source and the like.
        args = load_args(page_query(MultiDict(parse_qsl(query, keep_blank_values=True))))
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"url": err.messages}
        raise ApiError(
            404,
            "This search cannot be run: see fields.",
            fields={
                k: [str(m) for m in v] if isinstance(v, list) else [str(v)]
                for k, v in messages.items()
            },
        ) from err
    args.update(page=1, per_page=SEARCH_RESULTS)
    try:
        body = run_search(args)
    except ApiError as err:
        if err.status >= 500:
            raise
        raise ApiError(404, f"This search cannot be run: {err.message}", fields=err.fields) from err
    results_link = _absolute("?" + query if query else "")
    title = _search_title(args, body)
    rows = [
        Markup('<p style="{}"><strong><a href="{}">{}</a></strong></p>').format(
            P_STYLE, results_link, title
        )
    ]
    if body["results"]:
        items = [Markup("<li>{}</li>").format(_result_line(r)) for r in body["results"]]
        rows.append(
            Markup('<ul style="margin:0 0 6px;padding-left:20px">{}</ul>').format(
                Markup("").join(items)
            )
        )
    else:
        rows.append(
            Markup('<p style="{}">No therapist matches this search right now.</p>').format(P_STYLE)
        )
    total = body["total"]
    rows.append(
        Markup('<p style="margin:0"><a href="{}">{} on {}</a></p>').format(
            results_link,
            {0: "Open this search", 1: "See this therapist"}.get(
                total, f"See all {total} therapists"
            ),
            PROVIDER_NAME,
        )
    )
    natural = SEARCH_HEIGHT + RESULT_HEIGHT * len(body["results"])
    height = min(natural, maxheight or natural)
    return {"title": title, "html": _card(rows, width, height), "height": height}


def _result_line(result: dict[str, Any]) -> Markup:
    where = result.get("nearest_location") or {}
    bits = []
    if result.get("remote"):
        bits.append("video sessions")
    elif where.get("city"):
        bits.append(f"{where['city']}, {where['state']}")
    if result.get("distance"):
        bits.append(f"{result['distance']['value']:g} {result['distance']['unit']}")
    name = result["name"] + (f", {result['credentials']}" if result.get("credentials") else "")
    return Markup('<a href="{}">{}</a>{}').format(
        _absolute(result["url"].lstrip("/")), name, f" · {' · '.join(bits)}" if bits else ""
    )


def _search_title(args: dict[str, Any], body: dict[str, Any]) -> str:
    tax = taxonomy()
    words = [
        w
        for flag, w in (
            ("couples", "couples"),
            ("video", "video sessions"),
            ("intro_video", "intro video"),
            ("accepting", "accepting clients"),
        )
        if args.get(flag) is True
    ]
    for param, kind in (
        ("specialty", "specialty"),
        ("modality", "modality"),
        ("format", "session_format"),
    ):
        for text in args.get(param, ()):
            res = tax.resolve(kind, text)
            words.append(res.term.label if res else text)
    words += list(args.get("language", ())) + list(args.get("insurance", ()))
    if args.get("q"):
        words.append(f"\u201c{args['q']}\u201d")
    title = "Therapists"
    if body.get("location"):
        title += f" near {body['location']['label']}"
    return title + (f": {', '.join(words)}" if words else "")


def _card(rows: list[Markup], width: int, height: int) -> str:
    return str(
        Markup('<blockquote class="therapist-directory-embed" style="{}">{}</blockquote>').format(
            CARD_STYLE.format(w=width, h=height), Markup("").join(rows)
        )
    )


def _absolute(path: str) -> str:
    return request.host_url + path


def _host(scheme: str, netloc: str) -> str | None:
    """host[:port] in lower case, without the scheme's default port; None when malformed."""
    try:
        parts = urlsplit(f"{scheme.lower()}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    return host if port in (None, DEFAULT_PORTS.get(scheme.lower())) else f"{host}:{port}"
