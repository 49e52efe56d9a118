"""The search request: one marshmallow schema, the page size bounded by it."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

LIST_PARAMS = ("specialty", "modality", "language", "insurance", "format", "profession")
MAX_RADIUS = {"mi": 500.0, "km": 800.0}
# Bounds on the work one request can ask for: every value is a filter (and a suggestion to
# try without it when nothing matches), every word of `q` a concept to match.
MAX_VALUES = 10
MAX_WORDS = 20


class Flag(fields.Boolean):
    """true/false, 1/0, yes/no; an empty value means "not set"."""

    truthy = {"true", "1", "yes", "on", "True", True}
    falsy = {"false", "0", "no", "off", "False", False}


def _words(max_len: int, **kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


def _values(item: fields.Field, description: str) -> fields.List:
    """A repeatable parameter, given at most MAX_VALUES times."""
    limit = validate.Length(max=MAX_VALUES, error="At most {max} values of this parameter.")
    return fields.List(
        item,
        validate=limit,
        metadata={"description": f"{description} At most {MAX_VALUES} values."},
    )


def _few_words(text: str) -> None:
    if len(text.split()) > MAX_WORDS:
        raise ValidationError(f"At most {MAX_WORDS} words.")


class SearchArgs(Schema):
    """Query parameters of GET /api/v1/therapists (CONTRACT.md)."""

    class Meta:
        unknown = RAISE

    near = _words(200, metadata={"description": 'A ZIP, "City, ST" or an address.'})
    lat = fields.Float(
        validate=validate.Range(-90, 90),
        metadata={"description": "Latitude; with lon, instead of near."},
    )
    lon = fields.Float(validate=validate.Range(-180, 180), metadata={"description": "Longitude."})
    radius = fields.Float(
        load_default=25.0,
        validate=validate.Range(min=0, min_inclusive=False),
        metadata={"description": "Distance limit (default 25)."},
    )
    unit = fields.String(load_default="mi", validate=validate.OneOf(["mi", "km"]))
    couples = Flag(metadata={"description": "true: sees couples."})
    specialty = _values(_words(100), "Repeatable; a canonical slug or any synonym; all must match.")
    modality = _values(_words(100), "Repeatable, like specialty.")
    video = Flag(
        metadata={
            "description": "true: offers video sessions; with a place, remote "
            "therapists licensed in its state are included."
        }
    )
    intro_video = Flag(metadata={"description": "true: the profile has an intro video."})
    q = fields.String(
        validate=[validate.Length(max=200), _few_words],
        metadata={
            "description": f"Free text: names, bios, approaches, terms; at most {MAX_WORDS} words."
        },
    )
    language = _values(_words(60), "Repeatable; all must match.")
    insurance = _values(_words(100), "Repeatable; all must match.")
    accepting = Flag(metadata={"description": "true: accepting new clients."})
    free_consultation = Flag(metadata={"description": "true: offers a free consultation."})
    max_fee = fields.Integer(
        validate=validate.Range(0, 100_000),
        metadata={"description": "Lowest fee at most this (USD)."},
    )
    sliding_scale = Flag(metadata={"description": "true: offers a sliding scale."})
    format = _values(_words(30), "Repeatable: in_person, video, phone (or a synonym).")
    profession = _values(
        _words(60),
        "Repeatable: counselor, social-worker, marriage-family-therapist, psychologist, "
        "psychiatrist, psychiatric-nurse-practitioner, ... or what people call them (LCSW, "
        "LMFT, social worker); all must match.",
    )
    sort = fields.String(
        validate=validate.OneOf(["relevance", "distance"]),
        metadata={
            "description": "Default: distance with a place, else relevance. With neither a "
            "place nor words to rank by, results come by therapist id (the same on every node)."
        },
    )
    # Identifies a partner site (directory/partners/: CORS and its own rate limit); the
    # search itself ignores it.
    partner = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "A partner site's key: the API then answers cross-origin (CORS) for "
            "that partner's origins only. An unknown or disabled key, or a key "
            "sent from another origin, is a 403. Does not change the results."
        },
    )
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 50))

    @validates_schema
    def check(self, data: dict, **kwargs: Any) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give both lat and lon.", "lat" if "lat" not in data else "lon")
        if "near" in data and "lat" in data:
            raise ValidationError("Give near, or lat and lon, not both.", "near")
        if data["radius"] > MAX_RADIUS[data["unit"]]:
            raise ValidationError(f"At most {MAX_RADIUS[data['unit']]:g} {data['unit']}.", "radius")
        if data.get("sort") == "distance" and "near" not in data and "lat" not in data:
            raise ValidationError(
                "Sorting by distance needs a place (near, or lat and lon).", "sort"
            )


SEARCH_ARGS = SearchArgs()


def load_args(args: MultiDict) -> dict[str, Any]:
    """Validated parameters from a query string; raises ValidationError with field reasons."""
    return SEARCH_ARGS.load(query_values(args))


def query_values(args: MultiDict) -> dict[str, Any]:
    """The query string as SearchArgs loads it: values stripped, empty values absent (a form
    may submit every field), list parameters repeated, any other parameter at most once."""
    raw: dict[str, Any] = {}
    for key in args:
        values = [v.strip() for v in args.getlist(key) if v.strip()]
        if not values:
            continue
        if key in LIST_PARAMS:
            raw[key] = values
        elif len(values) > 1:
            raise ValidationError({key: ["Give this parameter once."]})
        else:
            raw[key] = values[0]
    return raw
