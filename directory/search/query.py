"""Free-text queries: split `q` into concepts, each matched structurally or in the text.

"poly EFT anxeity" becomes three concepts: polyamory (a synonym), EFT (a modality) and anxiety
(a typo of a specialty). A concept that names a taxonomy term matches therapists who list that
term, and also those whose bio uses its words (ranked lower); a client type ("couples") is
matched only structurally, so a bio saying "I do not work with couples" never makes a couples
match. Other words match names and bios: stemmed, accent-insensitive, typo-tolerant. Every
concept must match. No input is a syntax error: nothing here is a query language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from indexer.index import STOP_WORDS, Snapshot, bits_at
from indexer.taxonomy import Resolution, Taxonomy
from indexer.textnorm import clean_text, term_key
from indexer.wording import LEADING, TRAILING

_PHRASE = re.compile(r'"([^"]+)"')
_WORD = re.compile(r"[\w][\w'&+-]*", re.UNICODE)
KINDS = ("specialty", "modality", "client_type", "session_format", "profession")
# Matched only as listed, never in bios: "I do not work with couples", "not a psychologist".
STRUCTURED_ONLY = {"client_type", "session_format", "profession"}
STRUCTURED_SCORE = 10.0
MAX_NGRAM = 4
# Words that qualify a term without being it ("certified", "trained", "level"...).
QUALIFIERS = TRAILING | LEADING | {"level", "method", "1", "2", "3", "i", "ii", "iii"}


@dataclass
class Concept:
    """One thing the person asked for, and how it maps onto the index."""

    text: str
    terms: list[Resolution] = field(default_factory=list)
    corrected: bool = False  # a misspelt word read as a term ("gotman")

    @property
    def structured_only(self) -> bool:
        return any(r.term.kind in STRUCTURED_ONLY for r in self.terms)


def parse_query(q: str, taxonomy: Taxonomy) -> list[Concept]:
    """Concepts of a free-text query, in order; empty for a blank query."""
    q = clean_text(q)
    concepts: list[Concept] = []
    for phrase in _PHRASE.findall(q):
        concepts.append(_concept(phrase, taxonomy) or Concept(phrase))
    words = _WORD.findall(_PHRASE.sub(" ", q))
    i = 0
    while i < len(words):
        for size in range(min(MAX_NGRAM, len(words) - i), 0, -1):
            text = " ".join(words[i : i + size])
            concept = _concept(text, taxonomy)
            if concept is not None:
                concepts.append(concept)
                i += size
                break
        else:
            if words[i].lower() not in STOP_WORDS:
                concepts.append(_fuzzy_concept(words[i], taxonomy) or Concept(words[i]))
            i += 1
    return concepts


def _concept(text: str, taxonomy: Taxonomy) -> Concept | None:
    found = [r for kind in KINDS if (r := taxonomy.resolve(kind, text)) is not None]
    return Concept(text, found) if found else None


def _fuzzy_concept(word: str, taxonomy: Taxonomy) -> Concept | None:
    """A misspelt taxonomy word ("gotman", "anxeity"): only close, long-enough matches, by
    the same rule as ingest (Taxonomy.correct_phrase: one word, same consonants)."""
    if len(term_key(word)) < 5:
        return None
    for kind in ("specialty", "modality"):
        term = taxonomy.correct_phrase(kind, word)
        if term is not None:
            return Concept(word, [Resolution(term, word, via=word)], corrected=True)
    return None


@dataclass
class ConceptMatch:
    """The documents a concept matched, with scores and how each matched."""

    concept: Concept
    structured: int  # masks of documents
    text: int
    score_tables: list[tuple[np.ndarray, np.ndarray]]  # BM25 (documents, scores) per term
    text_terms: list[str]

    @property
    def mask(self) -> int:
        return self.text | self.structured

    def listed(self, doc: int) -> bool:
        """Whether the document lists one of the concept's taxonomy terms."""
        return bool(self.structured >> doc & 1)

    def mentioned(self, doc: int) -> bool:
        return bool(self.text >> doc & 1)


def match_concept(snap: Snapshot, concept: Concept) -> ConceptMatch:
    """Documents matching one concept: its taxonomy terms, or all of its words in the text."""
    structured = 0
    for res in concept.terms:
        prefix = "format" if res.term.kind == "session_format" else res.term.kind
        structured |= snap.term_mask(f"{prefix}:{res.term.slug}")
    text = 0
    tables: list[tuple[np.ndarray, np.ndarray]] = []
    used: list[str] = []
    if not concept.structured_only:
        words = [w for w in _WORD.findall(concept.text) if w.lower() not in STOP_WORDS]
        if concept.terms:
            # "EMDR certified": a bio that names EMDR matches without the qualifier.
            words = [w for w in words if w.lower() not in QUALIFIERS] or words
        # A word corrected to a term ("gotman") also finds the term's spelling in bios.
        fuzzy = not concept.terms or concept.corrected
        for n, word in enumerate(words or [concept.text]):
            docs, word_tables, terms = snap.text_match(word, fuzzy=fuzzy)
            used += terms
            tables += word_tables
            text = docs if n == 0 else text & docs
            if not text:
                break
    return ConceptMatch(concept, structured, text, tables, used)


def scores(docs: np.ndarray, matches: list[ConceptMatch]) -> np.ndarray:
    """Relevance of each of the result's documents (ascending): per concept, a listed term
    first, then the BM25 scores of the words found in the text (only for these documents)."""
    out = np.zeros(len(docs))
    for m in matches:
        out += np.where(bits_at(m.structured, docs), STRUCTURED_SCORE, 0.0)
        in_text = bits_at(m.text, docs)
        if not in_text.any():
            continue
        text = np.zeros(len(docs))
        for table_docs, table_scores in m.score_tables:
            if not len(table_docs):
                continue
            at = np.minimum(np.searchsorted(table_docs, docs), len(table_docs) - 1)
            text += np.where(table_docs[at] == docs, table_scores[at], 0.0)
        out += np.where(in_text, text, 0.0)
    return out
