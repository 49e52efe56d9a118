"""The API's blueprint and what its routes share: the query parser, the admin check, bodies.

The routes are a flask-smorest Blueprint so that openapi.py can describe them from their
decorators. Only the search parameters are parsed by flask-smorest (webargs), with a parser that
keeps this API's rules (QueryArgs below); every other decorator only documents: the views build
their responses themselves, and every error goes through directory/errors.py.
"""

from __future__ import annotations

import hmac
from typing import Any, NoReturn

from flask import current_app, request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from ..errors import ApiError
from ..search import query_values

# therapists.id is a 32-bit INTEGER column: a larger id is simply not found (404 from routing)
# rather than an integer the database driver cannot bind.
MAX_ID = 2**31 - 1
ADMIN: dict[str, Any] = {"security": [{"bearerAuth": []}]}


class QueryArgs(FlaskParser):
    """webargs' Flask parser with this API's rules: query values as `query_values` reads
    them, unknown parameters rejected (SearchArgs says RAISE), and 400 with field-level
    reasons in the one error shape instead of webargs' 422."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def load_querystring(self, req, schema) -> dict[str, Any]:
        return query_values(req.args)

    def load_json(self, req, schema) -> Any:
        """The JSON body; 400 for one nested too deeply to parse (Python's parser recurses),
        and for a body that is not JSON at all."""
        try:
            return super().load_json(req, schema)
        except RecursionError:
            raise ApiError(400, "The JSON body is nested too deeply.") from None

    def handle_error(self, error, req, schema, *, error_status_code, error_headers) -> NoReturn:
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            # webargs nests the reasons under the location: {"query": {...}}.
            [messages] = messages.values()
        raise ApiError(
            error_status_code or 400,
            "Invalid parameters: see fields.",
            fields=field_reasons(messages),
        )


class ApiBlueprint(Blueprint):
    """A flask-smorest Blueprint that parses with QueryArgs."""

    ARGUMENTS_PARSER = QueryArgs()


bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Search therapists, read profiles and the taxonomy; admin.",
)


def require_admin() -> None:
    """401 unless the request carries the admin bearer token (none configured: always 401)."""
    token = current_app.config.get("ADMIN_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise ApiError(401, "A valid admin bearer token is required.")


def read_body(limit: int) -> bytes:
    """The request body; 413 beyond `limit` bytes, also when it comes without a Content-Length
    (chunked), which is read only up to the limit."""
    too_large = ApiError(413, f"At most {limit // 2**20} MB per request.")
    if request.content_length and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(min(1 << 16, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise too_large
    return b"".join(chunks)


def field_reasons(messages: Any) -> dict[str, list[str]]:
    """webargs' messages as {"field": ["reason", ...]}."""
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            value = [m for msgs in value.values() for m in msgs]
        out[str(key)] = [str(v) for v in value]
    return out
