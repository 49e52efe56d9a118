"""What a visitor's browser may contact: this site, the photo hosts and map tiles an operator
allowed, and the two video players (inserted only after a click). Every page says so in its
Content-Security-Policy.
"""

from __future__ import annotations

from flask import current_app

from .display import VIDEO_FRAME_ORIGINS, photo_allowed


def photo_shown(url: str | None) -> bool:
    """Whether a photo URL may be loaded by visitors' browsers (see PHOTO_ORIGINS)."""
    return photo_allowed(url, photo_origins())


def photo_origins() -> tuple[str, ...]:
    """The origins allowed to serve photos to visitors (PHOTO_ORIGINS)."""
    return _origins("PHOTO_ORIGINS")


def _origins(setting: str) -> tuple[str, ...]:
    value = current_app.config.get(setting) or ()
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    return tuple(value)


def _origin_of(url: str | None) -> str | None:
    if not url or "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].replace("{s}.", "*.")
    return f"{scheme}://{host}"


def content_security_policy() -> str:
    """This site only, plus the configured map tiles and photo hosts, and the video players
    (inserted only after a click)."""
    images = " ".join(
        [
            "'self'",
            "data:",
            *photo_origins(),
            *filter(None, [_origin_of(current_app.config["MAP_TILE_URL"])]),
        ]
    )
    players = " ".join(VIDEO_FRAME_ORIGINS)
    return (
        f"default-src 'self'; img-src {images}; media-src 'self' https:; "
        f"frame-src {players}; script-src 'self'; style-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    )
