"""The taxonomy's terms arranged for picking, and written the way therapists write them."""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from ..taxonomy import Taxonomy, Term, load_taxonomy
from .draws import between, one
from .words import (
    COUPLES_MODALITIES,
    COUPLES_SPECIALTIES,
    FLAGGED,
    GENERAL_MODALITIES,
    GENERAL_SPECIALTIES,
)


def _pool(weights: dict[str, float], terms: dict[str, Term]) -> tuple[list[str], list[float]]:
    """The weighted slugs that exist in the taxonomy (the data may drop a term)."""
    slugs = [s for s in weights if s in terms]
    return slugs, [weights[s] for s in slugs]


@dataclass(frozen=True)
class Vocab:
    """The taxonomy's terms arranged for picking."""

    taxonomy: Taxonomy
    couples_terms: tuple[str, ...]  # specialties implying couples, e.g. premarital
    general_specialties: tuple[list[str], list[float]]
    couples_specialties: tuple[list[str], list[float]]
    general_modalities: tuple[list[str], list[float]]
    couples_modalities: tuple[list[str], list[float]]


@lru_cache(maxsize=1)
def vocabulary() -> Vocab:
    """Pick pools from the bundled taxonomy, so new or renamed terms flow into the sample."""
    tax = load_taxonomy()
    specs = tax.terms["specialty"]
    couples_terms = tuple(s for s, t in specs.items() if "couples" in t.implies)
    skip = set(couples_terms) | FLAGGED
    general = [s for s in specs if s not in skip]
    couples_mods = [s for s, t in tax.terms["modality"].items() if t.group == "couples"]
    other_mods = [s for s in tax.terms["modality"] if s not in couples_mods]
    return Vocab(
        tax,
        couples_terms,
        (general, [GENERAL_SPECIALTIES.get(s, 0.8) for s in general]),
        _pool(COUPLES_SPECIALTIES, specs),
        (other_mods, [GENERAL_MODALITIES.get(s, 0.5) for s in other_mods]),
        _pool(COUPLES_MODALITIES, tax.terms["modality"]),
    )


def _pick(
    rng: random.Random,
    pool: tuple[list[str], list[float]],
    k: int,
    boost: dict[str, float] | None = None,
) -> list[str]:
    """Up to k distinct slugs drawn by weight (boost multiplies some weights)."""
    slugs, weights = pool
    if not slugs:
        return []
    if boost:
        weights = [w * boost.get(s, 1.0) for s, w in zip(slugs, weights, strict=True)]
    cum = list(accumulate(weights))
    total, last = cum[-1], len(slugs) - 1
    chosen: list[str] = []
    for _ in range(k * 4):
        slug = slugs[min(bisect(cum, rng.random() * total), last)]
        if slug not in chosen:
            chosen.append(slug)
            if len(chosen) == k:
                break
    return chosen


def render_term(rng: random.Random, term: Term, heavy: bool = False) -> str:
    """A term as a therapist would type it: mostly the label, often a common synonym."""
    if not term.synonyms or rng.random() < (0.4 if heavy else 0.7):
        return term.label
    # The first synonyms are the common spellings; the tail holds rarer ones ("Stan Tatkin").
    return one(rng, term.synonyms[:4])


@lru_cache(maxsize=512)
def as_prose(text: str) -> str:
    """A label as it reads mid-sentence: "Self-Esteem" -> "self-esteem"; "LGBTQ+" stays."""

    def title(word: str) -> bool:
        return all(p[:1].isupper() and (p[1:].islower() or not p[1:]) for p in word.split("-"))

    return " ".join(w.lower() if title(w) else w for w in text.split())


def as_spoken(term: Term, written: str) -> str:
    """How a bio names a term: the label, or the acronym ("CBT", "EFT") the therapist used.

    Other written variants ("EMDR-trained", "emotionally focused") don't fit "I use ..." lines.
    """
    return written if written.replace("-", "").isupper() else term.label


def join_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def choose_specialties(rng: random.Random, v: Vocab, couples: bool) -> list[str]:
    """Specialty slugs: couples work first for couples therapists, then the usual mix."""
    out: list[str] = []
    if couples:
        odds = {"couples-counseling": 0.9, "premarital": 0.25, "discernment-counseling": 0.1}
        out += [s for s in v.couples_terms if rng.random() < odds.get(s, 0.06)]
        out += _pick(rng, v.couples_specialties, between(rng, 1, 3))
    poly = rng.random() < (0.15 if couples else 0.04)
    kink = rng.random() < (0.45 if poly else 0.03)
    lgbtq = rng.random() < (0.7 if poly or kink else 0.2)
    trans = rng.random() < (0.45 if lgbtq else 0.01)
    out += [
        s
        for s, on in (
            ("polyamory", poly),
            ("kink", kink),
            ("lgbtq", lgbtq),
            ("gender-identity", trans),
        )
        if on
    ]
    extra = _pick(rng, v.general_specialties, between(rng, 1, 4) if couples else between(rng, 2, 7))
    return list(dict.fromkeys(out + extra))[:10]


def choose_modalities(
    rng: random.Random, v: Vocab, couples: bool, specs: list[str], children: bool
) -> list[str]:
    """Modality slugs, nudged by the specialties (EMDR with trauma, ERP with OCD, ...)."""
    out = _pick(rng, v.couples_modalities, between(rng, 1, 2)) if couples else []
    trauma = "trauma" in specs
    boost = {
        "emdr": 3.0 if trauma else 1.0,
        "tf-cbt": 2.0 if trauma else 1.0,
        "exposure": 6.0 if "ocd" in specs else 1.0,
        "play-therapy": 1.0 if children else 0.0,
    }
    return out + _pick(rng, v.general_modalities, between(rng, 0 if couples else 1, 3), boost)
