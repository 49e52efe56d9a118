"""Partner sites that embed the directory: their keys, origins, default filters and theme;
cross-origin access (CORS) to the public JSON API for those origins only; and the
`flask partners` commands.

A partner's key appears in its pages' HTML, so it is an identifier, not a secret. What keeps a
leaked key useless elsewhere is the list of origins: a browser request carrying the key from any
other origin is refused (403) and gets no CORS headers, so the page that sent it cannot read the
answer. Requests without a key behave as they always did (same-origin pages, servers).

Functions for the widget: `find_partner`, `partner_args`, `origin_allowed`.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, g, request
from flask.cli import AppGroup
from limits import parse_many
from marshmallow import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from indexer.models import Partner

from . import db
from .errors import ApiError, error_response
from .indexing import geocoder, taxonomy
from .search.params import LIST_PARAMS, SEARCH_ARGS, query_values
from .search.service import build_filters, resolve_location

KEY_PARAM = "partner"
KEY_HEADER = "X-Partner-Key"
# secrets.token_urlsafe(24) gives 32 characters; anything else that does not look like a key is
# refused without asking the database (a NUL byte, say, would be an error in PostgreSQL).
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
LAYOUTS = ("compact", "full")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")  # DNS names and IPv4 addresses
ACCENT_PATTERN = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
DEFAULT_PORTS = {"http": 80, "https": 443}
# The public JSON API: the only routes that answer cross-origin (never the admin routes).
PUBLIC_ENDPOINTS = frozenset({"api.therapists", "api.therapist", "api.taxonomy_terms"})
# Search parameters that make no sense as a partner's default.
NOT_DEFAULTS = {KEY_PARAM: "The key is not a filter.", "page": "Visitors choose the page."}
# Parameters that replace each other: a visitor's place replaces the partner's whole place
# (near, or lat and lon), and a visitor's radius comes with its unit.
GROUPS = (("near", "lat", "lon"), ("radius", "unit"))
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer
EXPOSED_HEADERS = "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"


class PartnerInvalid(ValueError):
    """Partner fields that failed validation, with the reasons by field
    ({"origins[0]": [...], "defaults.specialty": [...]})."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{name}: {' '.join(reasons)}"
                                   for name, reasons in fields.items()))


# -- what the widget calls ----------------------------------------------------------------
def find_partner(key: str | None) -> Partner | None:
    """The enabled partner with this key, or None (no key, a malformed, unknown or disabled
    key). Looked up once per request."""
    if not key or not KEY_PATTERN.fullmatch(key):
        return None
    cache: dict[str, Partner | None] = g.setdefault("partners_by_key", {})
    if key not in cache:
        cache[key] = db.session().scalar(
            select(Partner).where(Partner.key == key, Partner.enabled.is_(True)))
    return cache[key]


def partner_args(partner: Partner, visitor_query: MultiDict) -> MultiDict:
    """The search query for a visitor of `partner`'s widget: the partner's defaults under the
    visitor's choices. A parameter the visitor gives (with a non-empty value) replaces the
    default for that parameter (for a place: near, lat and lon together; radius with its unit);
    the `partner` parameter itself is left out. The result is ready for `load_args`."""
    given = {key for key in visitor_query
             if key != KEY_PARAM and any(v.strip() for v in visitor_query.getlist(key))}
    for group in GROUPS:
        if given & set(group):
            given |= set(group)
    out: MultiDict = MultiDict()
    for key, value in (partner.defaults or {}).items():
        if key not in given:
            for item in value if isinstance(value, list) else [value]:
                out.add(key, item)
    for key, value in visitor_query.items(multi=True):
        if key != KEY_PARAM:
            out.add(key, value)
    return out


def origin_allowed(partner: Partner, origin: str | None) -> bool:
    """Whether `origin` (an Origin header, say) is one of the partner's origins."""
    if not origin:
        return False
    try:
        return normalise_origin(origin) in (partner.origins or [])
    except ValueError:
        return False


# -- validation ---------------------------------------------------------------------------
def new_key() -> str:
    """A fresh partner key: random and URL-safe."""
    return secrets.token_urlsafe(24)


def normalise_origin(value: str) -> str:
    """`scheme://host[:port]` in lower case, without a default port; ValueError (with the
    reason) for anything that is not an http(s) origin."""
    text = str(value).strip()
    # Origins end up in a Content-Security-Policy header (frame-ancestors): whitespace, quotes
    # or control characters there would add sources or break the header.
    if not text or any(c.isspace() or not c.isprintable() or c in "'\";," for c in text):
        raise ValueError(f"Not an origin: {text!r} (one origin, no spaces or quotes).")
    try:
        parts = urlsplit(text)
    except ValueError as err:
        raise ValueError(f"Not a valid origin: {text!r}.") from err
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        raise ValueError(f"Not an http(s) origin: {text!r} (e.g. https://partner.example).")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"An origin has no path, query or fragment: {text!r}.")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"An origin has no user name or password: {text!r}.")
    host = parts.hostname or ""
    if not host or "*" in host:
        raise ValueError(f"Name one host, without wildcards: {text!r}.")
    try:
        port = parts.port
        if not host.isascii():
            host = host.encode("idna").decode("ascii")  # browsers send the punycode form
    except (ValueError, UnicodeError) as err:
        raise ValueError(f"Not a valid origin: {text!r}.") from err
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    elif not HOST_PATTERN.fullmatch(host):
        raise ValueError(f"Not a host name: {host!r}.")
    if parts.netloc.rsplit("@", 1)[-1].endswith(":") or port == 0:
        raise ValueError(f"A port from 1 to 65535: {text!r}.")
    return f"{scheme}://{host}" + (f":{port}" if port and port != DEFAULT_PORTS[scheme] else "")


def clean_origins(value: Any) -> list[str]:
    """Normalised origins, duplicates dropped; at least one."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise PartnerInvalid({"origins": ["A list of origins such as https://partner.example."]})
    out: list[str] = []
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(value):
        try:
            origin = normalise_origin(item)
        except ValueError as err:
            errors[f"origins[{i}]"] = [str(err)]
            continue
        if origin not in out:
            out.append(origin)
    if errors:
        raise PartnerInvalid(errors)
    if not out:
        raise PartnerInvalid({"origins": ["Give at least one origin the key is used on."]})
    return out


def clean_accent(value: Any) -> str | None:
    """`#rrggbb` in lower case (`#0a7` is `#00aa77`); empty or None: the site's own colour."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not ACCENT_PATTERN.fullmatch(value.strip()):
        raise ValueError(f"A colour as #rrggbb or #rgb, not {value!r}.")
    digits = value.strip()[1:].lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


def clean_layout(value: Any) -> str:
    if value not in LAYOUTS:
        raise ValueError(f"One of {', '.join(LAYOUTS)}, not {value!r}.")
    return value


def clean_rate_limit(value: Any) -> str:
    """A flask-limiter limit string such as "60/minute" or "60/minute;5/second"."""
    text = str(value or "").strip()
    try:
        if not isinstance(value, str) or not (limits := parse_many(text)):
            raise ValueError
        if any(limit.amount < 1 for limit in limits):
            raise ValueError
    except ValueError as err:
        raise ValueError(f"A limit such as 60/minute or 60/minute;5/second, not {value!r}."
                         ) from err
    return text


def clean_name(value: Any) -> str:
    text = " ".join(str(value).split()) if isinstance(value, str) else ""
    if not 1 <= len(text) <= 200:
        raise ValueError("A name of 1 to 200 characters.")
    return text


def clean_enabled(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false.")
    return value


def clean_defaults(defaults: Any) -> dict[str, Any]:
    """The partner's default filters as query values ({"couples": "true", "specialty":
    ["polyamory"]}), checked exactly as a search would check them: the search parameters'
    schema, the taxonomy's terms and synonyms, and the place. Raises PartnerInvalid with the
    reasons under `defaults.<parameter>`, so that a default that would break every widget
    search is refused when the partner is added rather than when a visitor comes."""
    if not isinstance(defaults, Mapping):
        raise PartnerInvalid({"defaults": ["An object of search parameters."]})
    query: MultiDict = MultiDict()
    errors: dict[str, list[str]] = {}
    for name, value in defaults.items():
        if name in NOT_DEFAULTS:
            errors[f"defaults.{name}"] = [NOT_DEFAULTS[name]]
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, int | float):
                item = str(item)
            if not isinstance(item, str):
                errors[f"defaults.{name}"] = ["A string, number, true/false or a list."]
                break
            query.add(str(name), item)
    if errors:
        raise PartnerInvalid(errors)
    try:
        values = query_values(query)
        args = SEARCH_ARGS.load(values)
        build_filters(args, taxonomy())
        resolve_location(args, geocoder())
    except ValidationError as err:
        raise PartnerInvalid({f"defaults.{k}": _messages(v)
                              for k, v in _as_dict(err.messages).items()}) from err
    except ApiError as err:
        if err.status >= 500:
            raise
        reasons = ({f"defaults.{k}": v for k, v in err.fields.items()} if err.fields
                   else {"defaults": [err.message]})
        if err.code in ("unknown_location", "ambiguous_location"):
            reasons = {"defaults.near": [err.message]}
        raise PartnerInvalid(reasons) from err
    return {k: (list(v) if k in LIST_PARAMS else v) for k, v in values.items()}


def parse_default_options(pairs: Iterable[str]) -> dict[str, Any]:
    """`--default key=value` options as a defaults mapping; a key given several times is a
    list (specialty=polyamory --default specialty=kink)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Give each default as key=value, not {pair!r}.")
        key = key.strip()
        if key in out:
            previous = out[key] if isinstance(out[key], list) else [out[key]]
            out[key] = [*previous, value]
        else:
            out[key] = [value] if key in LIST_PARAMS else value
    return out


CLEANERS = {"name": clean_name, "origins": clean_origins, "defaults": clean_defaults,
            "accent": clean_accent, "layout": clean_layout, "rate_limit": clean_rate_limit,
            "enabled": clean_enabled}


def clean_partner(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validated, normalised partner fields from `data` (the keys of CLEANERS). Every reason is
    collected before PartnerInvalid is raised; `partial` (an update) requires nothing."""
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(CLEANERS)
    for name in sorted(unknown):
        errors[name] = ["Unknown field."]
    if not partial:
        for name in ("name", "origins"):
            if name not in data:
                errors[name] = ["Required."]
    for name, clean in CLEANERS.items():
        if name not in data:
            continue
        try:
            out[name] = clean(data[name])
        except PartnerInvalid as err:
            errors.update(err.fields)
        except ValueError as err:
            errors[name] = [str(err)]
    if errors:
        raise PartnerInvalid(errors)
    return out


# -- storing ------------------------------------------------------------------------------
def create_partner(session: Session, data: Mapping[str, Any]) -> Partner:
    """Validate `data` (name and origins required; defaults, accent, layout, rate_limit
    optional) and add an enabled partner with a new key. The caller commits."""
    fields = clean_partner(data)
    _check_name_free(session, fields["name"], None)
    partner = Partner(key=new_key(), name=fields["name"], origins=fields["origins"],
                      defaults=fields.get("defaults", {}), accent=fields.get("accent"),
                      layout=fields.get("layout", "full"),
                      rate_limit=fields.get("rate_limit")
                      or current_app.config["PARTNER_RATE_LIMIT"],
                      enabled=fields.get("enabled", True), created_at=datetime.now(UTC))
    session.add(partner)
    session.flush()
    return partner


def update_partner(session: Session, partner: Partner, changes: Mapping[str, Any]) -> Partner:
    """Validate and apply `changes` (any of the fields, enabled too). The caller commits."""
    fields = clean_partner(changes, partial=True)
    if "name" in fields:
        _check_name_free(session, fields["name"], partner.id)
    for name, value in fields.items():
        setattr(partner, name, value)
    session.flush()
    return partner


def get_partner(session: Session, key_or_name: str) -> Partner | None:
    """Any partner, enabled or not, by its key or its name."""
    return session.scalar(select(Partner).where(
        or_(Partner.key == key_or_name, Partner.name == key_or_name)))


def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.name)))


def partner_json(partner: Partner) -> dict[str, Any]:
    """The admin view of a partner (the admin API and `partners list --json`)."""
    created = partner.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)  # SQLite hands back naive datetimes
    return {"name": partner.name, "key": partner.key, "origins": list(partner.origins or []),
            "defaults": dict(partner.defaults or {}), "accent": partner.accent,
            "layout": partner.layout, "rate_limit": partner.rate_limit,
            "enabled": partner.enabled,
            "created_at": created.isoformat() if created is not None else None}


def _check_name_free(session: Session, name: str, own_id: int | None) -> None:
    other = session.scalar(select(Partner.id).where(Partner.name == name))
    if other is not None and other != own_id:
        raise PartnerInvalid({"name": [f"A partner named {name!r} exists already."]})


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(m) for v in value.values() for m in _messages(v)]
    return [str(m) for m in value] if isinstance(value, list) else [str(value)]


# -- the JSON API across origins ----------------------------------------------------------
@dataclass(frozen=True)
class Access:
    """What a request carrying a partner key may do: `refusal` says why it is refused (403);
    otherwise `origin` is the request's Origin when it is one of the partner's (answered with
    CORS headers), None for requests without an Origin (servers, same-origin pages)."""

    partner: Partner | None
    origin: str | None = None
    refusal: str | None = None


def request_keys() -> set[str]:
    """The partner keys the request carries (query `partner`, header X-Partner-Key)."""
    keys = {v.strip() for v in request.args.getlist(KEY_PARAM)}
    keys.add(request.headers.get(KEY_HEADER, "").strip())
    return keys - {""}


def request_access() -> Access | None:
    """The partner access of the current request, None when it carries no key. Worked out once
    per request (the rate limiter and the CORS hooks both ask)."""
    if "partner_access" not in g:
        g.partner_access = _access()
    return g.partner_access


def request_partner() -> Partner | None:
    """The enabled partner whose key the current request carries, unless the request is
    refused (two keys, or an Origin the partner did not list); None without a key."""
    access = request_access()
    return access.partner if access is not None and not access.refusal else None


def from_partner_page(partner: Partner) -> bool:
    """Whether the request comes from one of the partner's pages as a browser sends it: a
    script there (an Origin the partner listed) or the widget framed there (a Referer from a
    listed origin). Only such requests share the key's bucket; see limits.partner_limit_key."""
    access = request_access()
    if access is not None and access.origin and not access.refusal:
        return True
    if request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
        return False
    referrer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc) and origin_allowed(
        partner, f"{parts.scheme}://{parts.netloc}")


def _access() -> Access | None:
    keys = request_keys()
    if not keys:
        return None
    if len(keys) > 1:
        return Access(None, refusal="The request carries two different partner keys.")
    partner = find_partner(next(iter(keys)))
    if partner is None:
        return Access(None, refusal="Unknown or disabled partner key.")
    origin = request.headers.get("Origin")
    if origin is None:
        return Access(partner)
    if not origin_allowed(partner, origin):
        return Access(partner, refusal=f"This key is not valid on {origin}.")
    return Access(partner, origin=origin)


def _guard():
    """Before a public API view: answer CORS preflights; refuse (403) a request whose key is
    unknown, disabled, or used from an origin that is not the partner's."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return None
    if (request.method == "OPTIONS" and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers):
        return _preflight(request.headers["Origin"])
    access = request_access()
    if access is not None and access.refusal:
        raise ApiError(403, access.refusal)
    return None


def _preflight(origin: str):
    """A browser asks whether it may send a GET with the X-Partner-Key header. A preflight
    carries no header values, so a key in the query decides; without one, the origin must be
    one of an enabled partner's (the GET itself is then checked against its key)."""
    keys = {v.strip() for v in request.args.getlist(KEY_PARAM)} - {""}
    if keys:
        partner = find_partner(next(iter(keys))) if len(keys) == 1 else None
        allowed = partner is not None and origin_allowed(partner, origin)
    else:
        allowed = any(origin_allowed(p, origin) for p in db.session().scalars(
            select(Partner).where(Partner.enabled.is_(True))))
    if not allowed:
        response, status = error_response(403, f"No partner key is valid on {origin}.")
        return response, status
    response = current_app.response_class(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    response.headers["Access-Control-Allow-Headers"] = f"{KEY_HEADER}, If-None-Match"
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    response.vary.add("Origin")
    return response


def _cors_headers(response):
    """After a public API view (errors included, so a partner's script can read a 400 or a
    429): CORS headers for a partner's own origin, none for anyone else."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return response
    # The answer depends on these headers (CORS, 403), so shared caches must key on them.
    response.vary.update(["Origin", KEY_HEADER])
    access = request_access()
    if access is not None and access.origin and not access.refusal:
        response.headers["Access-Control-Allow-Origin"] = access.origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


# The 403 and the key header, added to the public operations' description (flask-smorest merges
# API_SPEC_OPTIONS into the generated document; the operations themselves are in api.py).
FORBIDDEN = {"$ref": "#/components/responses/Forbidden"}
KEY_HEADER_PARAMETER = {
    "in": "header", "name": KEY_HEADER, "required": False, "schema": {"type": "string"},
    "description": "A partner site's key, instead of the `partner` query parameter: the API "
                   "then answers cross-origin (CORS) for that partner's origins only."}


def spec_additions() -> dict[str, Any]:
    """What the OpenAPI description says about partner keys on the public operations. Every
    dict is new: apispec merges these into the generated document in place."""
    def forbidden(**extra: Any) -> dict[str, Any]:
        return {"responses": {"403": dict(FORBIDDEN)}, **extra}

    return {
        "components": {"responses": {"Forbidden": {
            "description": "`forbidden`: an unknown or disabled partner key, or a key sent "
                           "from an origin that is not one of its partner's.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }}},
        "paths": {
            # The header goes at the path level where the operation lists parameters of its
            # own (a list given here would replace theirs), else on the operation.
            "/api/v1/therapists": {"parameters": [dict(KEY_HEADER_PARAMETER)],
                                   "get": forbidden()},
            "/api/v1/therapists/{therapist_id}": {
                "get": forbidden(parameters=[dict(KEY_HEADER_PARAMETER)])},
            "/api/v1/taxonomy": {"parameters": [dict(KEY_HEADER_PARAMETER)],
                                 "get": forbidden()},
        },
    }


# -- flask partners ... -------------------------------------------------------------------
@click.group(cls=AppGroup, name="partners")
def partners_cli() -> None:
    """Partner sites that embed the directory."""


@partners_cli.command("add")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, required=True, metavar="URL",
              help="An origin the key is used on, e.g. https://clinic.example (repeatable).")
@click.option("--default", "defaults", multiple=True, metavar="KEY=VALUE",
              help="A default search parameter, e.g. couples=true or near=10001 "
                   "(repeatable; repeat a key for several specialties).")
@click.option("--accent", default=None, help="Accent colour, #rrggbb or #rgb.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="full", show_default=True)
@click.option("--rate-limit", default=None,
              help="Requests per key, e.g. 60/minute (default: the PARTNER_RATE_LIMIT setting).")
@click.option("--json", "as_json", is_flag=True, help="Print the partner as JSON.")
def add_command(name, origins, defaults, accent, layout, rate_limit, as_json) -> None:
    """Register a partner site and print its key."""
    try:
        data: dict[str, Any] = {"name": name, "origins": list(origins), "layout": layout,
                                "defaults": parse_default_options(defaults)}
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--default") from err
    if accent is not None:
        data["accent"] = accent
    if rate_limit is not None:
        data["rate_limit"] = rate_limit
    session = db.session()
    try:
        partner = create_partner(session, data)
    except PartnerInvalid as err:
        session.rollback()
        raise click.ClickException(_reasons(err)) from err
    session.commit()
    if as_json:
        click.echo(json.dumps(partner_json(partner), indent=1))
        return
    click.echo(f"Added partner {partner.name!r}. Its key:\n{partner.key}")
    click.echo(_summary(partner))


@partners_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the partners as JSON.")
def list_command(as_json: bool) -> None:
    """List partners, enabled or not."""
    partners = list_partners(db.session())
    if as_json:
        click.echo(json.dumps([partner_json(p) for p in partners], indent=1))
        return
    if not partners:
        click.echo("No partners yet: add one with `flask partners add NAME --origin URL`.")
        return
    rows = [("NAME", "KEY", "STATUS", "LIMIT", "ORIGINS", "DEFAULTS")]
    rows += [(p.name, p.key, "enabled" if p.enabled else "disabled", p.rate_limit,
              " ".join(p.origins or []), _defaults_text(p.defaults)) for p in partners]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)),
                              row[-1]]).rstrip())


@partners_cli.command("disable")
@click.argument("key_or_name")
def disable_command(key_or_name: str) -> None:
    """Disable a partner: its widget and its key stop working at once."""
    _set_enabled(key_or_name, False)


@partners_cli.command("enable")
@click.argument("key_or_name")
def enable_command(key_or_name: str) -> None:
    """Enable a disabled partner again, with the same key."""
    _set_enabled(key_or_name, True)


def _set_enabled(key_or_name: str, enabled: bool) -> None:
    session = db.session()
    partner = get_partner(session, key_or_name)
    if partner is None:
        raise click.ClickException(f"No partner with the key or name {key_or_name!r}.")
    partner.enabled = enabled
    session.commit()
    click.echo(f"{'Enabled' if enabled else 'Disabled'} partner {partner.name!r} "
               f"({partner.key}).")


def _summary(partner: Partner) -> str:
    return "\n".join([
        f"  origins:    {' '.join(partner.origins)}",
        f"  defaults:   {_defaults_text(partner.defaults) or '(none)'}",
        f"  theme:      accent {partner.accent or '(site default)'}, layout {partner.layout}",
        f"  rate limit: {partner.rate_limit} per key",
    ])


def _defaults_text(defaults: Mapping[str, Any] | None) -> str:
    return " ".join(f"{k}={v}" for k, value in (defaults or {}).items()
                    for v in (value if isinstance(value, list) else [value]))


def _reasons(err: PartnerInvalid) -> str:
    lines = [f"  {name}: {reason}" for name, reasons in err.fields.items() for reason in reasons]
    return "The partner was not added:\n" + "\n".join(lines)


def init_app(app: Flask) -> None:
    """CORS and key checks for the public JSON API, the `partners` commands, and the partner
    key in the API's description."""
    app.before_request(_guard)
    app.after_request(_cors_headers)
    app.cli.add_command(partners_cli)
    options = app.config.setdefault("API_SPEC_OPTIONS", {})
    for section, value in spec_additions().items():
        options.setdefault(section, {}).update(value)
