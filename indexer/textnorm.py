"""Small, pure text normalisers shared by the pipeline, the taxonomy and the gazetteer."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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
