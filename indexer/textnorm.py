"""Small, pure text normalisers shared by the pipeline, the taxonomy and the gazetteer."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def clean_text(value: str) -> str:
    """Unicode NFC with runs of whitespace collapsed to one space and the ends trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Accent- and case-folded form: "José Núñez" -> "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def term_key(value: str) -> str:
    """The lookup key of a free-text term: folded, punctuation to spaces, collapsed.

    "Kink-aware", "kink aware" and "KINK / aware" all give "kink aware".
    """
    return _NON_WORD.sub(" ", fold(value).replace("&", " and ")).strip()


def slugify(value: str) -> str:
    """A URL slug: "Dr. Ana María López" -> "dr-ana-maria-lopez"."""
    return _NON_WORD.sub("-", fold(value)).strip("-")


# What no database can store in text: NUL (PostgreSQL refuses it) and lone UTF-16 surrogates
# (valid in JSON as "\ud800", but not encodable as UTF-8 anywhere).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def has_unstorable(value: Any) -> bool:
    """Whether a string, or any string inside lists and dicts, holds a NUL or a lone
    surrogate."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, list):
        return any(has_unstorable(v) for v in value)
    if isinstance(value, dict):
        return any(has_unstorable(k) or has_unstorable(v) for k, v in value.items())
    return False


def storable(value: Any) -> Any:
    """`value` with every string fit to store: NULs removed, lone surrogates replaced by
    U+FFFD, inside lists and dicts too (keys included). The same object when nothing needed
    cleaning, so clean records cost one regex search per string."""
    if isinstance(value, str):
        if not _UNSTORABLE.search(value):
            return value
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    if isinstance(value, list):
        items = [storable(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        pairs = [(storable(k), storable(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    return value
