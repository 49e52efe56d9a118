"""The canonical taxonomy: specialties, modalities, client types and session formats.

The terms live in `data/taxonomy.toml` (reviewed data, not code). Each term has a slug, a label,
synonyms in the words people and therapists use, and optionally `implies`: client types a term
implies ("premarital" implies that the therapist sees couples).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from .resources import data_path
from .textnorm import term_key

KINDS = ("specialty", "modality", "client_type", "session_format")
DEFAULT_PATH = data_path("taxonomy.toml")

# Words that decorate a term without changing it: "anxiety therapy" is "anxiety".
_DECORATIONS = ("therapy", "counseling", "counselling", "issues", "treatment", "support")


@dataclass(frozen=True)
class Term:
    """One canonical term of the taxonomy."""

    kind: str
    slug: str
    label: str
    synonyms: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    group: str = ""


@dataclass(frozen=True)
class Resolution:
    """How a free-text term mapped onto the taxonomy: `via` is the synonym used, if any."""

    term: Term
    text: str
    via: str | None = None


@dataclass
class Taxonomy:
    """All terms by kind, with a lookup of every slug, label and synonym."""

    terms: dict[str, dict[str, Term]]
    fingerprint: str = ""
    _keys: dict[str, dict[str, Term]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for kind, by_slug in self.terms.items():
            keys: dict[str, Term] = {}
            for term in by_slug.values():
                for text in (term.slug.replace("-", " "), term.label, *term.synonyms):
                    keys.setdefault(term_key(text), term)
            self._keys[kind] = keys

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> Taxonomy:
        """Read a taxonomy TOML file: one array of tables per kind."""
        data = Path(path).read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
        terms: dict[str, dict[str, Term]] = {kind: {} for kind in KINDS}
        for kind in KINDS:
            for item in raw.get(kind, []):
                term = Term(
                    kind=kind,
                    slug=item["slug"],
                    label=item["label"],
                    synonyms=tuple(item.get("synonyms", ())),
                    implies=tuple(item.get("implies", ())),
                    group=item.get("group", ""),
                )
                if term.slug in terms[kind]:
                    raise ValueError(f"duplicate {kind} slug {term.slug!r} in {path}")
                terms[kind][term.slug] = term
        return cls(terms, fingerprint=hashlib.sha256(data).hexdigest()[:16])

    def get(self, kind: str, slug: str) -> Term | None:
        """The term of that kind with exactly that slug."""
        return self.terms[kind].get(slug)

    def resolve(self, kind: str, text: str) -> Resolution | None:
        """Map a free-text term onto a canonical term, or None when nothing matches."""
        key = term_key(text)
        if not key:
            return None
        term = self._keys[kind].get(key)
        if term is None:
            for word in _DECORATIONS:
                if key.endswith(" " + word):
                    term = self._keys[kind].get(key[: -len(word) - 1])
                    if term:
                        break
        if term is None:
            return None
        via = None if key in (term_key(term.slug.replace("-", " ")), term_key(term.label)) else text
        return Resolution(term=term, text=text, via=via)

    def resolve_all(self, kind: str, texts: Iterable[str]) -> tuple[list[Resolution], list[str]]:
        """Resolve many terms: (resolutions, no slug twice; texts that mapped to nothing)."""
        found: dict[str, Resolution] = {}
        unknown: list[str] = []
        for text in texts:
            res = self.resolve(kind, text)
            if res is None:
                unknown.append(text)
            else:
                found.setdefault(res.term.slug, res)
        return list(found.values()), unknown

    def correct(self, kind: str, text: str, min_score: float = 80) -> Term | None:
        """The term a misspelt word means ("gotman" -> Gottman Method): the one whose slug,
        label or synonym is spelt closest to `text`, if its rapidfuzz ratio is at least
        `min_score`; None otherwise."""
        keys = self._keys[kind]
        match = process.extractOne(
            term_key(text), keys.keys(), scorer=fuzz.ratio, score_cutoff=min_score
        )
        return keys[match[0]] if match is not None else None

    def suggest(self, kind: str, text: str, limit: int = 3) -> list[Term]:
        """Close matches for a term that resolved to nothing ("polyamry" -> polyamory)."""
        keys = self._keys[kind]
        matches = process.extract(term_key(text), list(keys), scorer=fuzz.WRatio, limit=limit * 3)
        out: list[Term] = []
        for key, score, _ in matches:
            term = keys[key]
            if score >= 60 and term not in out:
                out.append(term)
        return out[:limit]


@lru_cache(maxsize=4)
def load_taxonomy(path: str | None = None) -> Taxonomy:
    """The taxonomy at `path` (default: the bundled one), loaded once per process."""
    return Taxonomy.load(path or DEFAULT_PATH)
