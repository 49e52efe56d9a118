"""Small, pure converters for profile fields, each raising ValueError with a reason a person reads.

They accept what real exports contain (float-mangled ZIPs like "13069.0", "$120", "yes") and
return one canonical form, so that the marshmallow schema stays declarative.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
import phonenumbers

from . import gazetteer
from .textnorm import clean_text

_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_FLOAT_ZIP = re.compile(r"^(\d{3,9})\.0+$")
_MONEY = re.compile(r"^\$?\s*(\d{1,6})(?:\.\d{1,2})?$")
_CRED_SPLIT = re.compile(r"\s*[,;/]\s*")

MAX_URL_CHARS = 2000  # the database columns' size, on every database

TRUE_WORDS = {"true", "t", "yes", "y", "1", "on"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "off"}

VIDEO_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtu.be",
    "www.youtube-nocookie.com",
    "youtube-nocookie.com",
    "vimeo.com",
    "www.vimeo.com",
    "player.vimeo.com",
}
VIDEO_FILE_SUFFIXES = (".mp4", ".webm", ".m4v", ".mov", ".ogv")

# What profile HTML may keep: text structure and plain links, nothing that runs or loads.
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def normalise_zip(value: str) -> str:
    """A 5-digit ZIP from "10001", "10001-1234", "100011234" or a float-mangled "13069.0".

    Spreadsheets drop leading zeros ("2134.0" for 02134), so 3-4 digit forms are zero-padded.
    """
    text = str(value).strip()
    mangled = _FLOAT_ZIP.match(text)
    if mangled:
        digits = mangled.group(1)
        text = digits.zfill(5) if len(digits) <= 5 else digits.zfill(9)
    elif re.fullmatch(r"\d{3,4}", text):
        text = text.zfill(5)
    match = _ZIP.match(text)
    if not match:
        raise ValueError(f"Not a valid ZIP code: {value!r} (5 digits, or ZIP+4).")
    return match.group(1)


def normalise_state(value: str) -> str:
    """A two-letter state or territory code from "NY", "ny" or "New York"."""
    code = gazetteer.state_code(str(value))
    if code is None:
        raise ValueError(f"Unknown US state: {value!r}.")
    return code


def normalise_phone(value: str) -> str:
    """E.164 ("+12125550147") from the formats people type; US numbers without a country code."""
    text = str(value).strip()
    # Spreadsheets turn 5073770107 into "5073770107.0".
    if re.fullmatch(r"\d{10,11}\.0+", text):
        text = text.split(".")[0]
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"Not a phone number: {value!r}.") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"Not a possible phone number: {value!r}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_url(value: str) -> str:
    """An absolute http(s) URL; anything else (javascript:, data:, relative) is refused."""
    text = str(value).strip()
    if len(text) > MAX_URL_CHARS:
        raise ValueError(f"Longer than {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(text)
    except ValueError:  # "http://[::1" and the like
        raise ValueError(f"Not an http(s) URL: {text[:100]!r}.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"Not an http(s) URL: {text[:100]!r}.")
    return text


def normalise_video_url(value: str) -> str:
    """An https intro-video URL on YouTube or Vimeo, or a direct video file."""
    text = normalise_url(value)
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ValueError("The intro video must be an https URL.")
    host = (parts.hostname or "").lower()
    if host not in VIDEO_HOSTS and not parts.path.lower().endswith(VIDEO_FILE_SUFFIXES):
        raise ValueError(
            "The intro video must be on YouTube or Vimeo, or a direct video file "
            f"({', '.join(VIDEO_FILE_SUFFIXES)})."
        )
    return text


def normalise_bool(value: object) -> bool:
    """True/False from booleans, 1/0 and the words spreadsheets use."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"Not a yes/no value: {value!r}.")


def normalise_money(value: object) -> int:
    """Whole US dollars from 120, "120", "$120" or "120.00"."""
    if isinstance(value, bool):
        raise ValueError("Not an amount in dollars.")
    if isinstance(value, int | float):
        amount = float(value)
    else:
        match = _MONEY.match(str(value).strip())
        if not match:
            raise ValueError(f"Not an amount in dollars: {value!r}.")
        amount = float(match.group(1))
    if not 0 <= amount <= 100_000:
        raise ValueError("A fee must be between 0 and 100000 dollars.")
    return round(amount)


def normalise_credentials(value: str) -> str:
    """ "LMFT,PhD" -> "LMFT, PhD": one separator style, whitespace collapsed."""
    parts = [p for p in _CRED_SPLIT.split(clean_text(str(value))) if p]
    return ", ".join(parts)


def sanitise_html(value: str) -> str:
    """Profile free text with only harmless markup kept (nh3 / Ammonia)."""
    cleaned = nh3.clean(
        str(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return cleaned.strip()


def split_list(value: object) -> list[str]:
    """A list from a JSON list or a ";"-joined CSV cell, cleaned, empties dropped."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(";")
    out = []
    for item in items:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ValueError(f"Not a list of words: {item!r}.")
        text = clean_text(str(item))
        if text:
            out.append(text)
    return out


_NPI = re.compile(r"\d{10}")
_NUCC = re.compile(r"\d{3}[0-9A-Z]{6}X")


def normalise_npi(value: object) -> str:
    """A National Provider Identifier: 10 digits whose last is the Luhn check digit of the
    others prefixed with 80840 (CMS's rule); a float-mangled "1234567893.0" is repaired."""
    text = str(value).strip().removesuffix(".0")
    if not _NPI.fullmatch(text):
        raise ValueError(f"Not an NPI: {value!r} (10 digits).")
    # Luhn over "80840" + the NPI: from the right, every second digit doubled (minus 9 when
    # that passes 9); the sum of all ends in 0.
    total = 0
    for position, digit in enumerate(int(d) for d in reversed("80840" + text)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    if total % 10:
        raise ValueError(f"Not an NPI: {value!r} (its check digit is wrong).")
    return text


def normalise_taxonomy_codes(value: object) -> list[str]:
    """NUCC Health Care Provider Taxonomy codes ("101YM0800X"), upper case."""
    codes = [c.upper() for c in split_list(value)]
    for code in codes:
        if not _NUCC.fullmatch(code):
            raise ValueError(f"Not a NUCC taxonomy code: {code!r}.")
    return codes
