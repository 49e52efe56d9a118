"""One error shape for every failure: {"error": {"code", "message", "fields"?}}.

No request produces an HTML error page or a stack trace: unexpected exceptions are logged
server-side and answered with a plain 500 JSON body.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

CODES = {
    400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 422: "unprocessable",
    429: "too_many_requests", 500: "internal_error", 503: "unavailable",
}


class ApiError(Exception):
    """An error answered as JSON with a status, a code and optional field-level reasons."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 fields: dict[str, list[str]] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.fields, self.extra = fields, extra


def error_response(status: int, message: str, code: str | None = None,
                   fields: dict | None = None, **extra: Any):
    body: dict[str, Any] = {"code": code or CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return jsonify({"error": body}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        return error_response(err.status, err.message, err.code, err.fields, **err.extra)

    @app.errorhandler(HTTPException)
    def handle_http_exception(err: HTTPException):
        response, status = error_response(err.code or 500, err.description or err.name)
        # Keep headers such as Allow (405) and Retry-After (429).
        for key, value in err.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response, status

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, InternalServerError.description)
