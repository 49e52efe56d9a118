"""What a partner's fields may hold: origins, default filters (checked like a search), theme,
rate limit. Every reason is collected and raised together as PartnerInvalid."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from indexer.textnorm import has_unstorable

from ..errors import ApiError
from ..parts import geocoder, taxonomy
from ..search import SEARCH_ARGS, query_values
from ..search.filters import build_filters
from ..search.params import LIST_PARAMS
from ..search.place import resolve_location
from .model import KEY_PARAM

LAYOUTS = ("compact", "full")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")  # DNS names and IPv4 addresses
ACCENT_PATTERN = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Search parameters that make no sense as a partner's default.
NOT_DEFAULTS = {KEY_PARAM: "The key is not a filter.", "page": "Visitors choose the page."}


class PartnerInvalid(ValueError):
    """Partner fields that failed validation, with the reasons by field
    ({"origins[0]": [...], "defaults.specialty": [...]})."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__(
            "; ".join(f"{name}: {' '.join(reasons)}" for name, reasons in fields.items())
        )


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
        raise ValueError(
            f"A limit such as 60/minute or 60/minute;5/second, not {value!r}."
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
        raise PartnerInvalid(
            {f"defaults.{k}": _messages(v) for k, v in _as_dict(err.messages).items()}
        ) from err
    except ApiError as err:
        if err.status >= 500:
            raise
        reasons = (
            {f"defaults.{k}": v for k, v in err.fields.items()}
            if err.fields
            else {"defaults": [err.message]}
        )
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


CLEANERS = {
    "name": clean_name,
    "origins": clean_origins,
    "defaults": clean_defaults,
    "accent": clean_accent,
    "layout": clean_layout,
    "rate_limit": clean_rate_limit,
    "enabled": clean_enabled,
}


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
            value = clean(data[name])
        except PartnerInvalid as err:
            errors.update(err.fields)
        except ValueError as err:
            errors[name] = [str(err)]
        else:
            if has_unstorable(value):  # what passed its checks must still fit a database
                errors[name] = ["Contains a NUL or a lone surrogate, which cannot be stored."]
            else:
                out[name] = value
    if errors:
        raise PartnerInvalid(errors)
    return out


def _as_dict(messages: Any) -> dict[str, Any]:
    return messages if isinstance(messages, dict) else {"_schema": messages}


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(m) for v in value.values() for m in _messages(v)]
    return [str(m) for m in value] if isinstance(value, list) else [str(value)]
