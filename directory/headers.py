"""What every response carries, and the hosts this service answers for.

- `X-Content-Type-Options: nosniff` on every response (JSON, scripts, static files, pages), so
  no browser reads an answer as another type than it says.
- `Strict-Transport-Security` on every answer over https (behind a proxy, once
  DIRECTORY_TRUSTED_PROXIES says the proxy's X-Forwarded-Proto is to be believed).
- DIRECTORY_TRUSTED_HOSTS: with it set, a request for any other Host is a 400, so a forged
  Host header never reaches canonical links, og:url, JSON-LD or oEmbed cards (Flask checks
  `request.host` against it).
"""

from __future__ import annotations

from flask import Flask, Response, request

HSTS_SECONDS = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    """Trusted hosts, and the headers every response carries."""
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [h for h in hosts.replace(",", " ").split() if h]
    app.config["TRUSTED_HOSTS"] = list(hosts) if hosts else None

    @app.after_request
    def _every_response(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains"
            )
        return response
