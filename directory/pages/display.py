"""What the HTML templates need beyond the API's shapes: links that change one filter, the
privacy-friendly form of an intro video, photos only from allowed hosts, structured data.

Everything here is a pure function of its arguments, so templates stay declarative and the
rules (which hosts may be contacted, when) are tested in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import phonenumbers
from werkzeug.datastructures import MultiDict

from indexer.converters import VIDEO_FILE_SUFFIXES, sanitise_html

from ..parts import taxonomy

YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
# The only hosts a page may frame, and only after the visitor presses play.
VIDEO_FRAME_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class IntroVideo:
    """An intro video as the profile page offers it: a local poster that links to `page_url`;
    on click (JavaScript) the player at `embed_url` replaces the poster."""

    provider: str  # "YouTube", "Vimeo" or the file's host
    page_url: str  # where the poster's link goes without JavaScript
    embed_url: str  # what is loaded after the click
    kind: str  # "iframe" or "file"


def intro_video(url: str | None) -> IntroVideo | None:
    """The privacy-friendly form of a profile's video URL: YouTube through its no-cookie
    domain, Vimeo with do-not-track, a direct file as a <video>; None when there is none or
    the URL is not one of those."""
    if not url:
        return None
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    if host in YOUTUBE_HOSTS or host == "youtu.be":
        video_id = _youtube_id(host, path, parts.query)
        if video_id:
            return IntroVideo(
                "YouTube",
                f"https://www.youtube.com/watch?v={video_id}",
                f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1&rel=0",
                "iframe",
            )
        return None
    if host in VIMEO_HOSTS:
        digits = [p for p in path.split("/") if p.isdigit()]
        if digits:
            return IntroVideo(
                "Vimeo",
                f"https://vimeo.com/{digits[-1]}",
                f"https://player.vimeo.com/video/{digits[-1]}?dnt=1&autoplay=1",
                "iframe",
            )
        return None
    if parts.scheme == "https" and path.lower().endswith(VIDEO_FILE_SUFFIXES):
        return IntroVideo(host, url, url, "file")
    return None


def _youtube_id(host: str, path: str, query: str) -> str | None:
    segments = [p for p in path.split("/") if p]
    if host == "youtu.be":
        candidate = segments[0] if segments else ""
    elif segments[:1] == ["watch"]:
        candidate = (parse_qs(query).get("v") or [""])[0]
    elif len(segments) >= 2 and segments[0] in ("embed", "shorts", "v", "live"):
        candidate = segments[1]
    else:
        return None
    return candidate if _YOUTUBE_ID.match(candidate) else None


def why_matched(match: dict) -> list[str]:
    """A result's `match` (search/present.py) as short phrases for people: the filters it
    satisfied, then the terms, each with the synonym that was used ("ENM" means ...)."""
    # Specialty and modality filters are said by their terms, which name the synonym.
    out = [f for f in match["filters"] if not f.startswith(("specialty: ", "modality: "))]
    for term in match["terms"]:
        if term.get("label"):
            out.append(term["label"] + (f" ({term['synonym']})" if term.get("synonym") else ""))
        else:
            out.append(f"\u201c{term['query']}\u201d {term['how']}")
    return list(dict.fromkeys(out))


def photo_allowed(url: str | None, allowed_origins: list[str] | tuple[str, ...]) -> bool:
    """Whether a profile photo may be shown: pages load images only from this site and the
    origins an operator allowed (PHOTO_ORIGINS), so a visitor's browser never contacts an
    arbitrary host."""
    if not url:
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc and url.startswith("/"):
        return True
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return origin in {o.rstrip("/").lower() for o in allowed_origins}


def phone_display(value: str | None) -> str:
    """An E.164 number as people write it: "+12125550147" -> "(212) 555-0147"."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return value
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def initials(name: str) -> str:
    """Up to two initials for the avatar shown instead of a photo."""
    words = [w for w in name.split() if w[:1].isalpha()]
    if not words:
        return "?"
    picked = words[:1] + words[-1:] if len(words) > 1 else words
    return "".join(w[0].upper() for w in picked)


def safe_html(value: str | None) -> str:
    """Profile text sanitised again on the way out: ingest already sanitised it, but the
    database is shared, and markup reaching a page must never run or load anything."""
    return sanitise_html(value or "")


def plain_text(value: str | None, limit: int | None = None) -> str:
    """Profile HTML as plain text (for meta descriptions and structured data)."""
    text = " ".join(_TAGS.sub(" ", value or "").split())
    text = (
        text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#39;", "'")
    )
    if limit and len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"
    return text


def query_with(args: MultiDict, *, drop: tuple[str, ...] = ("page",), **changes: Any) -> str:
    """The query string of `args` with some parameters replaced (a list replaces every value,
    None removes the parameter) and `drop` removed: every link on the search page is a
    shareable URL of a filter state."""
    out = MultiDict(args)
    for key in drop:
        out.poplist(key)
    for key, value in changes.items():
        out.poplist(key)
        if value is None or value is False:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            out.add(key, _query_value(item))
    return urlencode([(k, v) for k, v in out.items(multi=True) if str(v).strip()])


def _query_value(value: Any) -> str:
    if value is True:
        return "true"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def suggestion_query(args: MultiDict, suggestion: dict) -> str:
    """The URL query of one suggestion from an empty result (service.suggestions)."""
    changes: dict[str, Any] = {k: v for k, v in suggestion["set"].items()}
    changes.update({k: None for k in suggestion["remove"]})
    return query_with(args, **changes)


def page_window(page: int, last: int, width: int = 2) -> list[int | None]:
    """Page numbers to link around the current page, with None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = {1, last, *range(max(1, page - width), min(last, page + width) + 1)}
    out: list[int | None] = []
    for number in sorted(shown):
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


def profile_json_ld(profile: dict, page_url: str, photo: str | None) -> dict:
    """schema.org structured data for a profile page: a Person with their offices, licences,
    languages and what they work with, so that search engines and link previews read it."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Person",
        "name": profile["name"],
        "jobTitle": "Therapist",
        "url": page_url,
        "description": plain_text(profile.get("bio"), 500) or None,
        "honorificSuffix": profile.get("credentials") or None,
        "image": photo,
        "telephone": profile.get("phone"),
        "email": profile.get("email"),
        "sameAs": profile.get("website"),
        "knowsLanguage": profile.get("languages") or None,
        "knowsAbout": [t["label"] for t in profile["specialties"] + profile["modalities"]] or None,
        "workLocation": [_place(o) for o in profile["locations"]] or None,
        "hasCredential": [
            {
                "@type": "EducationalOccupationalCredential",
                "credentialCategory": "license",
                "name": " ".join(p for p in (lic["type"], lic["state"]) if p),
            }
            for lic in profile["licenses"]
        ]
        or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def _place(office: dict) -> dict:
    place: dict[str, Any] = {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": office.get("address"),
            "addressLocality": office.get("city"),
            "addressRegion": office.get("state"),
            "postalCode": office.get("zip"),
            "addressCountry": "US",
        },
    }
    place["address"] = {k: v for k, v in place["address"].items() if v}
    if office.get("lat") is not None:
        place["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": office["lat"],
            "longitude": office["lon"],
        }
    return place


def term_label(kind: str, slug: str) -> str:
    """A taxonomy term's label, or the slug itself when the taxonomy does not know it."""
    term = taxonomy().get(kind, slug)
    return term.label if term else slug
