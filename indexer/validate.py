"""Validation of one input profile: marshmallow schemas with field-level reasons.

`validate_profile(record)` returns `(profile, None)` with every field in its canonical form, or
`(None, reasons)` where reasons map a field path ("locations[0].zip") to what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from .converters import (
    normalise_bool,
    normalise_credentials,
    normalise_money,
    normalise_npi,
    normalise_phone,
    normalise_state,
    normalise_taxonomy_codes,
    normalise_url,
    normalise_video_url,
    normalise_zip,
    sanitise_html,
    split_list,
)
from .textnorm import clean_text


class Converted(fields.Field):
    """A field whose value goes through one of the converters in `indexer.converters`."""

    def __init__(
        self, converter: Callable[[Any], Any], *, is_list: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.converter, self.is_list = converter, is_list

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict) or (isinstance(value, list) and not self.is_list):
            raise ValidationError("Expected a single value.")
        try:
            return self.converter(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _text(max_len: int) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("Expected text.")
        text = clean_text(str(value))
        if len(text) > max_len:
            raise ValueError(f"Longer than {max_len} characters.")
        return text

    return convert


def _coordinate(limit: float) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"Not a number: {value!r}.") from None
        if not -limit <= number <= limit:
            raise ValueError(f"Out of range: must be between -{limit:g} and {limit:g}.")
        return number

    return convert


def _state_list(value: Any) -> list[str]:
    return sorted({normalise_state(s) for s in split_list(value)})


def _timestamp(value: Any) -> datetime:
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise ValueError(f"Not an ISO 8601 date or time: {text!r}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text_field(max_len: int, **kw: Any) -> Converted:
    return Converted(_text(max_len), allow_none=True, **kw)


def _list_field(converter: Callable[[Any], list] = split_list) -> Converted:
    return Converted(converter, is_list=True, allow_none=True)


class LicenseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    type = _text_field(40)
    number = _text_field(60)
    state = Converted(normalise_state, allow_none=True)


class LocationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    address = _text_field(300)
    city = _text_field(120)
    state = Converted(normalise_state, allow_none=True)
    zip = Converted(normalise_zip, allow_none=True)
    lat = Converted(_coordinate(90), allow_none=True)
    lon = Converted(_coordinate(180), allow_none=True)

    @validates_schema
    def check_placeable(self, data: dict, **kwargs: Any) -> None:
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("Give both lat and lon, or neither.", "lat")
        if (
            data.get("lat") is None
            and not data.get("zip")
            and not (data.get("city") and data.get("state"))
        ):
            raise ValidationError(
                "An office needs a ZIP, a city and state, or coordinates.", "_office"
            )


class ProfileSchema(Schema):
    """One therapist profile in the input format of CONTRACT.md."""

    class Meta:
        unknown = EXCLUDE

    id = Converted(_text(128), required=True, allow_none=False)
    name = Converted(_text(200), required=True, allow_none=False)
    credentials = Converted(normalise_credentials, allow_none=True)
    pronouns = _text_field(60)
    photo_url = Converted(normalise_url, allow_none=True)
    licenses = fields.List(fields.Nested(LicenseSchema), allow_none=True)
    bio = Converted(sanitise_html, allow_none=True, validate=validate.Length(max=20_000))
    approach = Converted(sanitise_html, allow_none=True, validate=validate.Length(max=10_000))
    specialties = _list_field()
    modalities = _list_field()
    client_types = _list_field()
    session_formats = _list_field()
    video_url = Converted(normalise_video_url, allow_none=True)
    telehealth_states = _list_field(_state_list)
    languages = _list_field()
    insurance = _list_field()
    fee_min = Converted(normalise_money, allow_none=True)
    fee_max = Converted(normalise_money, allow_none=True)
    sliding_scale = Converted(normalise_bool, allow_none=True)
    accepting_new_clients = Converted(normalise_bool, allow_none=True)
    free_consultation = Converted(normalise_bool, allow_none=True)
    locations = fields.List(fields.Nested(LocationSchema), allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=320))
    phone = Converted(normalise_phone, allow_none=True)
    website = Converted(normalise_url, allow_none=True)
    updated_at = Converted(_timestamp, allow_none=True)
    # Beyond the contract's fields: what registries such as NPPES add (see README: Formats).
    npi = Converted(normalise_npi, allow_none=True)
    taxonomy_codes = Converted(normalise_taxonomy_codes, is_list=True, allow_none=True)
    professions = _list_field()

    @validates_schema
    def check_profile(self, data: dict, **kwargs: Any) -> None:
        if not data.get("name"):
            raise ValidationError("A name is required.", "name")
        if not data.get("locations") and not data.get("telehealth_states"):
            raise ValidationError(
                "A profile needs at least one office or one telehealth state.", "locations"
            )
        low, high = data.get("fee_min"), data.get("fee_max")
        if low is not None and high is not None and low > high:
            raise ValidationError("fee_min is above fee_max.", "fee_min")


PROFILE_SCHEMA = ProfileSchema()
PROFILE_FIELDS = frozenset(PROFILE_SCHEMA.fields)


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as {"locations[0].zip": ["..."]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_office" or key == "_schema":
                path = prefix or "_record"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub_path, texts in flatten_errors(value, path).items():
                out.setdefault(sub_path, []).extend(texts)
    elif isinstance(messages, list):
        out[prefix or "_record"] = [str(m) for m in messages]
    else:
        out[prefix or "_record"] = [str(messages)]
    return out


def validate_profile(record: Any) -> tuple[dict | None, dict[str, list[str]] | None]:
    """Validate and normalise one record: (profile, None) or (None, field-level reasons)."""
    if not isinstance(record, dict):
        return None, {"_record": ["A profile must be a JSON object."]}
    try:
        profile = PROFILE_SCHEMA.load(record)
    except ValidationError as err:
        return None, flatten_errors(err.messages)
    # Nulls in the input mean "not given": drop them so that the canonical form is stable.
    return {k: v for k, v in profile.items() if v is not None}, None


def ignored_fields(record: dict) -> list[str]:
    """Top-level fields of a record that the input format does not know (reported, not stored)."""
    return [key for key in record if key not in PROFILE_FIELDS]
