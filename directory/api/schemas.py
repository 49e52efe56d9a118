"""Marshmallow schemas of the JSON API's responses, for its OpenAPI description.

They document what `directory/search/results.py`, the API views and `health.py` return; the
views build their bodies themselves, so these schemas never change a response. Every response
object allows additional properties (the contract says a result "carries at least" its
fields), and a test checks that the fields the service returns are all documented here
(tests/test_openapi.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

from marshmallow import INCLUDE, Schema, fields, validate


def _d(text: str, **extra: Any) -> dict[str, Any]:
    return {"description": text, **extra}


F = TypeVar("F", bound=fields.Field)


def required(
    field_cls: type[F], *args: Any, text: str = "", nullable: bool = False, **kw: Any
) -> F:
    """A field always present in the response (required), null only when `nullable`."""
    if text:
        kw["metadata"] = {**kw.get("metadata", {}), "description": text}
    return field_cls(*args, required=True, allow_none=nullable, **kw)


def _strings(text: str = "") -> fields.List:
    return required(fields.List, fields.String(), text=text)


class ResponseSchema(Schema):
    """Base: objects in responses may gain properties in later minor versions."""

    class Meta:
        unknown = INCLUDE


# -- errors ---------------------------------------------------------------------------------
class TermRefSchema(ResponseSchema):
    value = required(fields.String, text="Canonical slug.")
    label = required(fields.String, text="Display label.")


class PlaceCandidateSchema(ResponseSchema):
    label = required(fields.String, text='e.g. "Springfield, IL"')
    lat = required(fields.Float)
    lon = required(fields.Float)
    state = required(fields.String, nullable=True)
    near = required(fields.String, text="The value to send as `near` to pick this place.")


class ErrorDetailSchema(ResponseSchema):
    code = required(
        fields.String,
        text=(
            "Machine-readable: invalid_request, unauthorized, forbidden, not_found, "
            "method_not_allowed, payload_too_large, unknown_location, ambiguous_location, "
            "unprocessable, too_many_requests, internal_error, unavailable."
        ),
    )
    message = required(fields.String, text="For people.")
    field_reasons = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        data_key="fields",
        metadata=_d("Field-level reasons, by parameter or input field."),
    )
    close_matches = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(TermRefSchema)),
        metadata=_d("An unknown specialty, modality or format: the closest known terms."),
    )
    candidates = fields.List(
        fields.Nested(PlaceCandidateSchema),
        metadata=_d("An ambiguous place (`ambiguous_location`): the places it could mean."),
    )


class ErrorSchema(Schema):
    """The one error shape: {"error": {"code", "message", "fields"?, ...}}."""

    error = required(fields.Nested, ErrorDetailSchema)


# -- search ---------------------------------------------------------------------------------
class DistanceSchema(ResponseSchema):
    value = required(fields.Float, text="Distance to the nearest office, one decimal.")
    unit = required(fields.String, validate=validate.OneOf(["mi", "km"]))


class NearestLocationSchema(ResponseSchema):
    city = required(fields.String, nullable=True)
    state = required(fields.String, nullable=True)
    zip = required(fields.String, nullable=True)
    lat = fields.Float(allow_none=True, metadata=_d("The office's latitude (null when unknown)."))
    lon = fields.Float(allow_none=True, metadata=_d("The office's longitude."))


class MatchTermSchema(ResponseSchema):
    how = required(
        fields.String, text='"listed on the profile" or "mentioned in the profile text".'
    )
    field = fields.String(
        metadata=_d("specialty, modality, client_type, session_format or profession.")
    )
    value = fields.String(metadata=_d("The canonical slug matched."))
    label = fields.String()
    query = fields.String(metadata=_d("What was asked, when it differs from the label."))
    synonym = fields.String(metadata=_d('e.g. "\\"ENM\\" means Polyamory"'))
    profile_term = fields.String(metadata=_d("The therapist's own word for the term."))
    words = fields.List(fields.String(), metadata=_d("Words matched in the profile text."))


class MatchSchema(ResponseSchema):
    filters = _strings("The filters satisfied, in words.")
    terms = required(
        fields.List,
        fields.Nested(MatchTermSchema),
        text="Terms matched and how (including the synonym used).",
    )
    remote = required(fields.Boolean, text="Matched as a remote video therapist.")


class ResultItemSchema(ResponseSchema):
    id = required(fields.Integer)
    slug = required(fields.String)
    name = required(fields.String)
    credentials = required(fields.String, nullable=True)
    photo_url = required(fields.String, nullable=True)
    specialties = _strings("Canonical specialty slugs.")
    modalities = _strings("Canonical modality slugs.")
    client_types = _strings()
    session_formats = _strings()
    professions = _strings("Profession slugs (counselor, social-worker, psychologist...).")
    has_intro_video = required(fields.Boolean)
    accepting_new_clients = required(fields.Boolean, nullable=True)
    distance = required(
        fields.Nested,
        DistanceSchema,
        nullable=True,
        text="To the nearest office; null for a remote match or without a place.",
    )
    remote = required(fields.Boolean)
    licensed_states = _strings("Two-letter states (telehealth and licences).")
    nearest_location = required(fields.Nested, NearestLocationSchema, nullable=True)
    match = required(fields.Nested, MatchSchema, text="Why it matched.")
    url = required(fields.String, text="Its HTML page.")
    api_url = required(fields.String, text="Its profile in this API.")


class FacetValueSchema(ResponseSchema):
    value = required(fields.String)
    label = required(fields.String)
    count = required(fields.Integer, text="Results that also have this value.")


def _facet() -> fields.List:
    return required(fields.List, fields.Nested(FacetValueSchema))


class FacetsSchema(ResponseSchema):
    specialty = _facet()
    modality = _facet()
    client_type = _facet()
    profession = _facet()
    language = _facet()
    insurance = _facet()


class SearchLocationSchema(ResponseSchema):
    query = required(fields.String, text="The place as asked (or lat,lon).")
    lat = required(fields.Float)
    lon = required(fields.Float)
    label = required(fields.String)
    precision = required(fields.String, text="exact, address, zip, city or state.")
    state = required(fields.String, nullable=True)
    radius = required(fields.Float)
    unit = required(fields.String, validate=validate.OneOf(["mi", "km"]))


class SuggestionSchema(ResponseSchema):
    label = required(fields.String, text='e.g. "Search within 50 mi".')
    total = required(fields.Integer, text="Results the changed search finds.")
    set = required(fields.Dict, keys=fields.String(), text="Parameters to set, with their values.")
    remove = _strings("Parameters to remove.")


class SearchResponseSchema(ResponseSchema):
    total = required(fields.Integer)
    page = required(fields.Integer)
    per_page = required(fields.Integer)
    results = required(fields.List, fields.Nested(ResultItemSchema))
    facets = required(fields.Nested, FacetsSchema, text="Counts over the whole result set.")
    location = required(
        fields.Nested,
        SearchLocationSchema,
        nullable=True,
        text="The resolved place, or null without one.",
    )
    suggestions = fields.List(
        fields.Nested(SuggestionSchema),
        metadata=_d("Only when nothing matched: changes that would find someone."),
    )


# -- one profile ----------------------------------------------------------------------------
class LabelledTermSchema(ResponseSchema):
    value = required(fields.String)
    label = required(fields.String)


class LicenseSchema(ResponseSchema):
    type = required(fields.String, nullable=True)
    number = required(fields.String, nullable=True)
    state = required(fields.String, nullable=True)


class OfficeSchema(ResponseSchema):
    address = required(fields.String, nullable=True)
    city = required(fields.String, nullable=True)
    state = required(fields.String, nullable=True)
    zip = required(fields.String, nullable=True)
    lat = required(fields.Float, nullable=True)
    lon = required(fields.Float, nullable=True)
    precision = required(
        fields.String,
        nullable=True,
        text="exact, address, zip or city; null when it could not be placed.",
    )


def _labelled() -> fields.List:
    return required(fields.List, fields.Nested(LabelledTermSchema))


class ProfileSchema(ResponseSchema):
    id = required(fields.Integer)
    slug = required(fields.String)
    name = required(fields.String)
    credentials = required(fields.String, nullable=True)
    pronouns = required(fields.String, nullable=True)
    photo_url = required(fields.String, nullable=True)
    bio = required(fields.String, nullable=True, text="Sanitised HTML.")
    approach = required(fields.String, nullable=True, text="Sanitised HTML.")
    specialties = _labelled()
    modalities = _labelled()
    client_types = _labelled()
    session_formats = _labelled()
    professions = _labelled()
    npi = required(
        fields.String,
        nullable=True,
        text="The NPI the NPPES registry lists for this person (a licence on record), if any.",
    )
    tags = _strings("Terms that map to nothing in the taxonomy.")
    video_url = required(fields.String, nullable=True, text="Intro video (https).")
    has_intro_video = required(fields.Boolean)
    telehealth_states = _strings()
    languages = _strings()
    insurance = _strings()
    fee_min = required(fields.Integer, nullable=True, text="USD.")
    fee_max = required(fields.Integer, nullable=True, text="USD.")
    sliding_scale = required(fields.Boolean, nullable=True)
    accepting_new_clients = required(fields.Boolean, nullable=True)
    free_consultation = required(fields.Boolean, nullable=True)
    email = required(fields.String, nullable=True)
    phone = required(fields.String, nullable=True, text="E.164.")
    website = required(fields.String, nullable=True)
    licenses = required(fields.List, fields.Nested(LicenseSchema))
    locations = required(fields.List, fields.Nested(OfficeSchema))
    updated_at = required(fields.DateTime, nullable=True)
    url = required(fields.String, text="Its HTML page.")


# -- taxonomy -------------------------------------------------------------------------------
class TaxonomyTermSchema(ResponseSchema):
    value = required(fields.String, text="Canonical slug, accepted by the search parameters.")
    label = required(fields.String)
    synonyms = _strings("Words that map to this term.")
    implies = _strings('Other terms this one implies, e.g. "client_type:couples".')
    group = required(fields.String, nullable=True)


def _terms() -> fields.List:
    return required(fields.List, fields.Nested(TaxonomyTermSchema))


class TaxonomySchema(ResponseSchema):
    """The canonical terms by kind."""

    specialty = _terms()
    modality = _terms()
    client_type = _terms()
    session_format = _terms()
    profession = _terms()


# -- admin ----------------------------------------------------------------------------------
class IndexSyncSchema(ResponseSchema):
    generation = required(fields.String)
    applied_changes = required(fields.Integer)
    change_id = required(fields.Integer, nullable=True)


class RejectSchema(ResponseSchema):
    file = required(fields.String, nullable=True)
    position = required(fields.Integer, nullable=True, text="1-based record position.")
    record = required(fields.Raw, nullable=True, text="The original record, unchanged.")
    reasons = required(
        fields.Dict,
        keys=fields.String(),
        values=fields.List(fields.String()),
        text='Field-level reasons, e.g. {"locations[0].zip": ["..."]}.',
    )


def _count(text: str) -> fields.Integer:
    return required(fields.Integer, text=text)


class IngestSummarySchema(ResponseSchema):
    """The same summary as `flask ingest --json`, plus the rejects themselves."""

    run_id = required(fields.Integer, nullable=True)
    source = required(fields.String)
    files = _strings()
    dry_run = required(fields.Boolean)
    read = _count("read = accepted + rejected")
    accepted = _count("Valid records.")
    created = _count("New therapists.")
    updated = _count("Changed therapists.")
    unchanged = _count("Therapists whose content did not change.")
    superseded = _count("The same id again later in the body: the later one wins.")
    rejected = _count("Records that did not go in (see rejects).")
    offices_not_geolocated = _count("Offices that could not be placed.")
    with_unknown_terms = _count("Accepted profiles with a term the taxonomy does not know.")
    unknown_terms = required(
        fields.Dict,
        keys=fields.String(),
        values=fields.Integer(),
        text="Terms kept as tags, with counts.",
    )
    ignored_fields = required(
        fields.Dict,
        keys=fields.String(),
        values=fields.Integer(),
        text="Input fields not in the format, with counts.",
    )
    rejects_file = required(fields.String, nullable=True, text="Always null over HTTP.")
    index = required(fields.Nested, IndexSyncSchema, nullable=True)
    seconds = required(fields.Float)
    index_pending = fields.String(
        allow_none=True,
        metadata=_d(
            "Why the index was not updated yet (another writer held it); the change log keeps "
            "the changes for that writer or the next sync."
        ),
    )
    rejects = required(
        fields.List,
        fields.Nested(RejectSchema),
        text="The first 100 rejects; `rejected` counts them all.",
    )


class LicenseInputSchema(Schema):
    type = fields.String(metadata=_d("LMFT, LCSW, PhD, ..."))
    number = fields.String()
    state = fields.String(metadata=_d("Two letters or a state name."))


class OfficeInputSchema(Schema):
    address = fields.String()
    city = fields.String()
    state = fields.String()
    zip = fields.String(metadata=_d("5 digits or ZIP+4."))
    lat = fields.Float(metadata=_d("Optional: geocoded when absent."))
    lon = fields.Float()


def _list_input(text: str) -> fields.List:
    return fields.List(
        fields.String(), metadata=_d(text + " A list, or one string joined with ';'.")
    )


class ProfileInputSchema(Schema):
    """One therapist profile in the input format (CONTRACT.md). Records failing validation
    are rejected with field-level reasons; the rest go in."""

    class Meta:
        unknown = INCLUDE  # unknown fields are ignored and counted, not rejected

    id = fields.String(required=True, metadata=_d("The source's own id."))
    name = fields.String(required=True)
    credentials = fields.String(metadata=_d('e.g. "LMFT, PhD"'))
    pronouns = fields.String()
    photo_url = fields.String(metadata=_d("http(s)"))
    licenses = fields.List(fields.Nested(LicenseInputSchema))
    bio = fields.String(metadata=_d("HTML is sanitised."))
    approach = fields.String(metadata=_d("HTML is sanitised."))
    specialties = _list_input('In the therapist\'s own words ("ENM", "anxiety").')
    modalities = _list_input('"EFT", "Gottman Method", ...')
    client_types = _list_input("individuals, couples, families, children, teens, groups.")
    session_formats = _list_input("in_person, video, phone.")
    video_url = fields.String(metadata=_d("https on YouTube, Vimeo or a direct video file."))
    telehealth_states = _list_input("Two-letter states.")
    languages = _list_input("")
    insurance = _list_input("")
    fee_min = fields.Integer(metadata=_d("USD."))
    fee_max = fields.Integer(metadata=_d("USD."))
    sliding_scale = fields.Boolean()
    accepting_new_clients = fields.Boolean()
    free_consultation = fields.Boolean()
    locations = fields.List(
        fields.Nested(OfficeInputSchema),
        metadata=_d("Offices. A profile needs one office or one telehealth state."),
    )
    email = fields.String()
    phone = fields.String()
    website = fields.String()
    updated_at = fields.String(metadata=_d("ISO 8601."))


# -- operations -----------------------------------------------------------------------------
class HealthSchema(ResponseSchema):
    status = required(fields.String, validate=validate.OneOf(["ok"]))


class CheckSchema(ResponseSchema):
    ok = required(fields.Boolean)
    error = fields.String(metadata=_d("Why it failed, in words."))
    generation = fields.String(allow_none=True, metadata=_d("The live index generation."))
    documents = fields.Integer(metadata=_d("Documents in the live generation."))
    change_id = fields.Integer(metadata=_d("The change-log position it reflects."))
    built_at = fields.Float(
        allow_none=True, metadata=_d("When the generation was built (Unix time).")
    )


class HeartbeatSchema(ResponseSchema):
    at = required(fields.Float, text="When the follower last beat (Unix time).")
    age_seconds = required(fields.Float, text="Seconds since then.")
    pid = fields.Integer(metadata=_d("The follower's process id."))
    host = fields.String(metadata=_d("The follower's host name."))
    status = fields.String(
        metadata=_d("following, waiting (for the node's index lock), error, or stopped.")
    )
    generation = fields.String(allow_none=True, metadata=_d("The generation it synced."))
    change_id = fields.Integer(metadata=_d("The change-log position it reached."))
    applied = fields.Integer(metadata=_d("Changes applied by its last sync."))
    error = fields.String(metadata=_d("What went wrong, while it tries again."))


class SyncCheckSchema(ResponseSchema):
    ok = required(fields.Boolean)
    error = fields.String(metadata=_d("Why it failed, in words."))
    position = fields.Integer(metadata=_d("The change id this node's index reflects."))
    latest = fields.Integer(metadata=_d("The newest change id in the database."))
    changes_behind = fields.Integer(metadata=_d("Changes this node has not applied yet."))
    lag_seconds = fields.Float(
        metadata=_d("Age of the oldest change this node has not applied (0 when none).")
    )
    diverged = fields.Boolean(
        metadata=_d(
            "The index reflects a change this database does not have (restored from an "
            "older backup): it needs a rebuild."
        )
    )
    max_lag_changes = fields.Float(
        allow_none=True, metadata=_d("DIRECTORY_READY_MAX_LAG_CHANGES (null: no limit).")
    )
    max_lag_seconds = fields.Float(
        allow_none=True, metadata=_d("DIRECTORY_READY_MAX_LAG_SECONDS (null: no limit).")
    )
    heartbeat = fields.Nested(
        HeartbeatSchema,
        allow_none=True,
        metadata=_d("The last beat of this node's `index sync --follow` (null: none ran)."),
    )


class ReadyChecksSchema(ResponseSchema):
    database = required(fields.Nested, CheckSchema)
    index = required(fields.Nested, CheckSchema)
    sync = required(fields.Nested, SyncCheckSchema)


class ReadySchema(ResponseSchema):
    status = required(fields.String, validate=validate.OneOf(["ready", "not_ready"]))
    checks = required(fields.Nested, ReadyChecksSchema)
