"""The canonical taxonomy: specialties, modalities, client types and session formats.

The terms live in `data/taxonomy.toml` (reviewed data, not code). Each term has a slug, a label,
synonyms in the words people and therapists use, and optionally `implies`: client types a term
implies ("premarital" implies that the therapist sees couples).

Two ways in: `resolve(kind, text)` maps one term of one kind (the search query parser and the
filters call it per word run); `resolve_phrase(home_kind, text)` maps a phrase as real listings
write it, under any field, to every term it names (ingest calls it per profile phrase). The
wording rules themselves are in `wording.py`.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from .nucc import NuccTable, load_nucc
from .resources import data_path
from .textnorm import term_key
from .wording import (
    GENERIC,
    age_band,
    compact,
    distributed,
    lookup_key,
    number_variants,
    parenthetical,
    sound,
    split_compound,
    stripped,
    undecorated,
)

KINDS = ("specialty", "modality", "client_type", "session_format")
PROFESSION = "profession"  # the fifth kind, from the NUCC table
DEFAULT_PATH = data_path("taxonomy.toml")
# Where a phrase written under one field is looked for: its own kind first, then the nearest.
# "Couples sessions" under formats is the couples client type, not couples counseling.
NEIGHBOURS = {
    "specialty": ("specialty", "modality", "client_type", "session_format"),
    "modality": ("modality", "specialty", "client_type", "session_format"),
    "client_type": ("client_type", "session_format", "specialty", "modality"),
    "session_format": ("session_format", "client_type", "specialty", "modality"),
}
# Distinct phrases remembered by resolve_phrase: a 1,000,000-profile ingest has a few thousand
# distinct phrases, so the cache holds them all; the bound only caps adversarial input.
PHRASE_CACHE = 100_000
# Misspellings (correct_phrase): the lowest rapidfuzz ratio between a misspelt word and the
# word it stands for. Measured by bench/judged_terms.py with the consonant check on: 13 of the
# 13 judged misspellings are corrected from 70 to 85, 12 at 88 and 90 ("Anxeity" is 85.7), 9 at
# 92; wrong corrections of the 48 absent rows, 583 real non-taxonomy words and 346 other judged
# phrases are 0, 0, 0 at 82 and 85, but 1 real word at 80 ("farsi" -> "fears") and 2 at 70-75
# (also "luther" -> "leather"). Without the consonant check every cutoff up to 92 corrects
# "mediation" to meditation. 85 keeps every judged misspelling with a step of margin.
MISSPELLING_CUTOFF = 85.0


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
    # Keys with a trailing decoration dropped ("family therapy" -> "family"), where that names
    # one term only and is no key already: "relationship counseling" (couples) and
    # "relationship issues" both reduce to "relationship", which stays relationship-issues'.
    _reduced: dict[str, dict[str, Term]] = field(default_factory=dict, repr=False)
    _compact: dict[str, dict[str, Term]] = field(default_factory=dict, repr=False)
    _own: dict[Term, frozenset[str]] = field(default_factory=dict, repr=False)
    _words: dict[Term, frozenset[str]] = field(default_factory=dict, repr=False)
    # For misspellings: (number of words, position, the other words) -> (word there, term).
    _spelt: dict[str, dict[tuple, list[tuple[str, Term]]]] = field(default_factory=dict, repr=False)
    _phrases: Callable[[str, str], tuple[Resolution, ...]] = field(
        init=False, repr=False, compare=False
    )
    _resolved: Callable[[str, str], Resolution | None] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for kind, by_slug in self.terms.items():
            keys: dict[str, Term] = {}
            for term in by_slug.values():
                own = [term.slug.replace("-", " "), term.label]
                if (label := parenthetical(term.label)) is not None:
                    own.append(label[0])  # "Cognitive Behavioral Therapy" of "... (CBT)"
                self._own[term] = frozenset(lookup_key(text) for text in own)
                for text in (*own, *term.synonyms):
                    keys.setdefault(lookup_key(text), term)
            self._keys[kind] = keys
            self._reduced[kind] = _unambiguous(
                (short, term) for key, term in keys.items() for short in undecorated(key)
            )
            for short in list(self._reduced[kind]):
                if short in keys:
                    del self._reduced[kind][short]
            self._compact[kind] = _unambiguous((compact(k), t) for k, t in keys.items())
            self._spelt[kind] = _by_other_words(keys)
        for key_map in self._keys.values():
            for key, term in key_map.items():
                words = self._words.get(term, frozenset())
                self._words[term] = words | {w for w in key.split() if w not in GENERIC}
        self._phrases = lru_cache(maxsize=PHRASE_CACHE)(self._phrase)
        self._resolved = lru_cache(maxsize=PHRASE_CACHE)(self._resolve)

    @classmethod
    def load(
        cls, path: str | Path = DEFAULT_PATH, professions: NuccTable | None = None
    ) -> Taxonomy:
        """Read a taxonomy TOML file (one array of tables per kind), with the professions of
        the NUCC table (data/nucc_taxonomy.toml) as one more kind, "profession": they are
        searched and filtered like terms. The fingerprint covers both files."""
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
        table = professions or load_nucc()
        terms[PROFESSION] = {
            p.slug: Term(PROFESSION, p.slug, p.label, p.synonyms)
            for p in table.professions.values()
        }
        digest = hashlib.sha256(data + repr(sorted(table.professions.items())).encode())
        return cls(terms, fingerprint=digest.hexdigest()[:16])

    def get(self, kind: str, slug: str) -> Term | None:
        """The term of that kind with exactly that slug."""
        return self.terms[kind].get(slug)

    def resolve(self, kind: str, text: str) -> Resolution | None:
        """Map a free-text term onto a canonical term of one kind, or None when nothing matches.

        Reads qualifiers ("EMDR certified", "Gottman Method Level 3"), singulars and plurals,
        a parenthetical either way round ("Cognitive Behavioral (CBT)") and, for client types,
        a numeric age band; never a misspelling and never a compound of several terms. The
        search query parser calls it for every run of words in every kind, so it is cached.
        """
        return self._resolved(kind, text)

    def _resolve(self, kind: str, text: str) -> Resolution | None:
        key = lookup_key(text)
        if not key:
            return None
        for reading in _readings(key):
            if (term := self._find(kind, reading)) is not None:
                return self._resolution(term, text)
        if kind == "client_type" and len(bands := age_band(text)) == 1:
            return self._resolution(self.terms[kind][bands[0]], text)
        if (parts := parenthetical(text)) is not None:
            outside, inside = parts
            res = self.resolve(kind, outside) if term_key(outside) else None
            if res is None and (inner := self.resolve(kind, inside)) is not None:
                res = inner if self._explains(inner.term, outside, inside) else None
            if res is not None:
                return self._resolution(res.term, text)
        return None

    def resolve_phrase(self, home_kind: str, text: str) -> list[Resolution]:
        """Every term a phrase written under a `home_kind` field names, in any kind.

        In this order, the first that gives anything wins: the phrase as one term (its own
        kind first, then the others: an approach under specialties is a modality), each reading
        more lenient than the last (exact, singular/plural, qualifiers dropped); a numeric age
        band; a parenthetical; a compound whose every part resolves; a close misspelling in
        its own kind. Each Resolution's term.kind says which field it belongs in.
        """
        return list(self._phrases(home_kind, text))

    def _phrase(self, home: str, text: str, fuzzy: bool = True) -> tuple[Resolution, ...]:
        key = lookup_key(text)
        if not key:
            return ()
        for reading in _readings(key):
            for kind in NEIGHBOURS[home]:
                if (term := self._find(kind, reading, home=kind == home)) is not None:
                    return (self._resolution(term, text), *self._who(home, term, reading, text))
        if bands := age_band(text):
            return tuple(self._resolution(self.terms["client_type"][b], text) for b in bands)
        if (parts := parenthetical(text)) is not None:
            found = self._parenthetical(home, text, *parts)
            if found:
                return found
        parts_found = self._compound(home, text)
        if parts_found:
            return parts_found
        if fuzzy and (term := self.correct_phrase(home, text)) is not None:
            return (Resolution(term, text, via=text),)
        return ()

    def _who(self, home: str, term: Term, reading: str, text: str) -> tuple[Resolution, ...]:
        """Under client types, a phrase is who is seen: "Same-Sex Couples" is LGBTQ+ and also
        couples, "Military Families" veterans and families, by its last word."""
        if home != "client_type" or term.kind == "client_type":
            return ()
        last = self._find("client_type", reading.rpartition(" ")[2])
        return (self._resolution(last, text),) if last is not None else ()

    def _parenthetical(
        self, home: str, text: str, outside: str, inside: str
    ) -> tuple[Resolution, ...]:
        """Both parts, each read as a phrase; an acronym inside counts only when the words
        outside explain it: "Ketamine-Assisted Psychotherapy (KAP)" is not Kink Aware."""
        found = {r.term: None for r in self._phrase(home, outside, fuzzy=False)} if outside else {}
        for res in self._phrase(home, inside, fuzzy=False):
            if res.term in found or self._explains(res.term, outside, inside):
                found.setdefault(res.term, None)
        return tuple(self._resolution(term, text) for term in found)

    def _explains(self, term: Term, outside: str, inside: str) -> bool:
        if " " in inside.strip() or not term_key(outside):
            return True  # words inside explain; nothing outside to contradict
        return bool(set(lookup_key(outside).split()) & self._words.get(term, frozenset()))

    def _compound(self, home: str, text: str) -> tuple[Resolution, ...]:
        """ "A/B", "A, B & C", "A and B": only when every part resolves on its own."""
        parts = split_compound(text)
        if len(parts) < 2:
            return ()
        found: dict[Term, None] = {}
        for options in distributed(parts):
            for option in options:
                if part := self._phrase(home, option, fuzzy=False):
                    found.update((res.term, None) for res in part)
                    break
            else:
                return ()
        return tuple(self._resolution(term, text) for term in found)

    def _find(self, kind: str, key: str, home: bool = False) -> Term | None:
        """The term of one kind a key names. Under its own field only, a word may stand for
        its therapy ("Family" under approaches is family therapy); a search query's words
        never do ("gottman couples" asks for Gottman and for couples)."""
        keys = self._keys[kind]
        term = keys.get(key) or (self._reduced[kind].get(key) if home else None)
        if term is None:
            term = next((keys[k] for k in undecorated(key) if k in keys), None)
        if term is None and len(key) >= 5:
            term = self._compact[kind].get(compact(key))
        return term

    def _resolution(self, term: Term, text: str) -> Resolution:
        return Resolution(term, text, via=None if lookup_key(text) in self._own[term] else text)

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

    def correct_phrase(
        self, kind: str, text: str, min_score: float = MISSPELLING_CUTOFF, same_sound: bool = True
    ) -> Term | None:
        """The misspelling step of resolve_phrase, alone: the term of `kind` that a misspelt
        phrase means ("Obssessive Compulsive Disorder" -> OCD), qualifiers dropped first.

        The phrase must be a key of that term with exactly one word misspelt: a word of 5
        letters or more, the same first letter, the same consonants in the same order (only
        vowels, doubling and letter order slip: see `wording.sound`) and a rapidfuzz ratio of
        at least `min_score` to the word it stands for; and no other term may fit as well.
        `same_sound=False` drops the consonant check, only to measure what it prevents.
        """
        for reading in (key := lookup_key(text), *stripped(key)):
            words = reading.split()
            found: set[Term] = set()
            for i, typed in enumerate(words):
                if len(typed) < 5 or not typed.isalpha():
                    continue
                rest = (len(words), i, *words[:i], *words[i + 1 :])
                for word, term in self._spelt[kind].get(rest, ()):
                    if (
                        word != typed
                        and word[0] == typed[0]
                        and fuzz.ratio(typed, word) >= min_score
                        and (not same_sound or sound(typed) == sound(word))
                    ):
                        found.add(term)
            if found:
                return found.pop() if len(found) == 1 else None
        return None

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


@lru_cache(maxsize=PHRASE_CACHE)
def _readings(key: str) -> tuple[str, ...]:
    """The keys a phrase is looked up by, most literal first: itself, singular/plural, then
    with qualifiers dropped (each also singular/plural)."""
    out = [key, *number_variants(key)]
    for short in stripped(key):
        out += [short, *number_variants(short)]
    return tuple(dict.fromkeys(out))


def _by_other_words(keys: dict[str, Term]) -> dict[tuple, list[tuple[str, Term]]]:
    """Each key word of 5 letters or more, found by the words around it: a misspelt phrase
    is looked up by its other words, so only one of its words can be wrong."""
    out: dict[tuple, list[tuple[str, Term]]] = {}
    for key, term in keys.items():
        words = key.split()
        for i, word in enumerate(words):
            # Short words ("ed", "act", "poly") are acronyms or too close to ordinary words.
            if len(word) >= 5 and word.isalpha():
                rest = (len(words), i, *words[:i], *words[i + 1 :])
                out.setdefault(rest, []).append((word, term))
    return out


def _unambiguous(pairs: Iterable[tuple[str, Term]]) -> dict[str, Term]:
    """key -> term for the keys that name one term only."""
    seen: dict[str, Term | None] = {}
    for key, term in pairs:
        seen[key] = term if seen.get(key, term) == term else None
    return {key: term for key, term in seen.items() if term is not None}


@lru_cache(maxsize=4)
def load_taxonomy(path: str | None = None) -> Taxonomy:
    """The taxonomy at `path` (default: the bundled one), loaded once per process."""
    return Taxonomy.load(path or DEFAULT_PATH)
