"""gunicorn settings for the directory:

    gunicorn -c python:directory.gunicorn_config -b 127.0.0.1:5000 'directory:create_app()'

- Errors gunicorn answers itself, before the app sees a request (a request line over 4 KB, a
  header over 8 KB, a malformed request), are JSON in the API's one error shape, like every
  other error, instead of gunicorn's HTML page.
- Two processes of four threads: a request that takes a while (a search that finds nothing
  and tries suggestions) does not hold up the health checks and small requests behind it.
- Each worker builds the taxonomy, the gazetteer and its index snapshot before it takes
  requests, so no visitor waits for that.
- No access log: search queries are not logged with client addresses.
- Settings given on the command line (`-w`, `-b`, `--threads`) win over these.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util

workers = 2
worker_class = "gthread"
threads = 4
accesslog = None
# gunicorn's own defaults, stated: the request line and each header field are bounded.
limit_request_line = 4094
limit_request_field_size = 8190
limit_request_fields = 100
timeout = 30

# gunicorn's error reasons -> the API's codes.
CODES = {
    400: "invalid_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}
MESSAGES = {
    414: "The request line is longer than 4 KB.",
    431: "A request header is larger than 8 KB, or there are too many headers.",
}


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's util.write_error, answering in the API's error shape."""
    message = MESSAGES.get(status_int) or mesg or reason
    body = json.dumps(
        {"error": {"code": CODES.get(status_int, "error"), "message": message}}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def post_fork(server: Any, worker: Any) -> None:
    """In each worker: gunicorn's own error answers in JSON (it looks the writer up when it
    answers, so replacing it in the worker process is enough)."""
    util.write_error = write_json_error


def post_worker_init(worker: Any) -> None:
    """Build the worker's parts before its first request (parts.warm_up)."""
    from directory.parts import warm_up

    with worker.wsgi.app_context():
        warm_up()
