"""One error shape for every failure: {"error": {"code", "message", "fields"?}}.

The JSON API always answers in that shape. Pages (and addresses no route knows, asked for by
a browser) get the same status with a short HTML page instead. No request produces a stack
trace: unexpected exceptions are logged server-side and answered with a plain 500.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


# Blueprints whose errors are pages; everything else speaks JSON.
HTML_BLUEPRINTS = {"pages", "embed"}
PAGE_TITLES = {
    400: "That search could not be run",
    403: "Not allowed here",
    404: "Page not found",
    405: "Not allowed",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Back in a moment",
}


class ApiError(Exception):
    """An error answered as JSON with a status, a code and optional field-level reasons."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.fields, self.extra = fields, extra


def error_response(
    status: int, message: str, code: str | None = None, fields: dict | None = None, **extra: Any
):
    body: dict[str, Any] = {"code": code or CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return jsonify({"error": body}), status


def wants_html() -> bool:
    """A page's error is a page; so is an unknown address when the client prefers HTML."""
    if request.blueprint in HTML_BLUEPRINTS:
        return True
    if request.blueprint is None and not request.path.startswith(("/api/", "/openapi")):
        best = request.accept_mimetypes.best_match(["application/json", "text/html"])
        return best == "text/html"
    return False


def error_page(status: int, message: str):
    """The HTML form of an error, for people."""
    title = PAGE_TITLES.get(status, "Something went wrong")
    return render_template("error.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        if wants_html():
            return error_page(err.status, err.message)
        return error_response(err.status, err.message, err.code, err.fields, **err.extra)

    @app.errorhandler(HTTPException)
    def handle_http_exception(err: HTTPException):
        if isinstance(err, SecurityError):
            # A Host outside TRUSTED_HOSTS: no URL of this site can be built for it, so no
            # page either; the plain error shape.
            return error_response(400, err.description or "Bad request.")
        if wants_html():
            response, status = error_page(err.code or 500, err.description or err.name)
            response = app.make_response((response, status))
        else:
            response, status = error_response(err.code or 500, err.description or err.name)
        # Keep headers such as Allow (405) and Retry-After (429).
        for key, value in err.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response, status

    @app.errorhandler(SQLAlchemyError)
    def handle_database_error(err: SQLAlchemyError):
        # The database is unreachable, or refused for a moment (locked, restarting): 503.
        app.logger.error("database error: %s", str(err).splitlines()[0][:300])
        message = "The directory's database is unavailable; try again in a moment."
        if wants_html():
            return error_page(503, message)
        return error_response(503, message)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("unhandled error")
        if wants_html():
            return error_page(500, "Please try again in a moment.")
        return error_response(500, InternalServerError.description)
