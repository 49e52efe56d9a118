"""The search engine behind a few functions: the only module of the service that knows Whoosh.

A `Snapshot` is one open searcher over the live index generation with what searches need per
document cached beside it: the therapist id, office coordinates and lowest fee (stored fields),
and a set of documents per structured term ("flag:couples", "specialty:polyamory"), built on
first use. Filters and facets are then set operations, which is what made them fast here
(see ../shared/STACK-NOTES.md). A snapshot is replaced when the index changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from whoosh import scoring
from whoosh.query import FuzzyTerm, Or, Term

from indexer.analysis import FoldingTokenizer
from indexer.search_index import IndexStore, decode_doc

# How often a process looks for a new generation or new segments (the "searchable within a
# second of its ingest" promise allows for this).
CHECK_INTERVAL_SECONDS = 0.25
TEXT_SCORED = 1000
TEXT_FIELDS = ("name", "body")
_TEXT = FoldingTokenizer(stem=True)
_NAME = FoldingTokenizer(stem=False, stoplist=frozenset(), minsize=1)


@dataclass
class Snapshot:
    """One searcher over one state of the index, with per-document data cached."""

    searcher: Any
    generation: str
    ids: list[int | None]  # docnum -> therapist id (None for deleted documents)
    offices: list[tuple[tuple[float, float], ...]]
    fees: list[int | None]
    live: frozenset[int]
    _terms: dict[str, frozenset[int]] = field(default_factory=dict)
    _prefixes: dict[str, list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, searcher: Any, generation: str) -> Snapshot:
        reader = searcher.reader()
        size = reader.doc_count_all()
        ids: list[int | None] = [None] * size
        offices: list[tuple] = [()] * size
        fees: list[int | None] = [None] * size
        live = frozenset(reader.all_doc_ids())
        column = reader.column_reader("doc")
        for docnum, value in enumerate(column):
            if docnum in live and value:
                ids[docnum], fees[docnum], offices[docnum] = decode_doc(value)
        return cls(searcher, generation, ids, offices, fees, live)

    def term_docs(self, term: str) -> frozenset[int]:
        """Live documents holding a structured term ("flag:video"), cached per snapshot."""
        cached = self._terms.get(term)
        if cached is not None:
            return cached
        reader = self.searcher.reader()
        docs: frozenset[int] = frozenset()
        if reader.doc_frequency("kw", term):
            docs = frozenset(reader.postings("kw", term).all_ids()) & self.live
        with self._lock:
            self._terms[term] = docs
        return docs

    def any_term_docs(self, terms: Iterable[str]) -> set[int]:
        """Documents holding at least one of the terms."""
        out: set[int] = set()
        for term in terms:
            out |= self.term_docs(term)
        return out

    def terms_with_prefix(self, prefix: str) -> list[str]:
        """Every structured term starting with `prefix` ("language:"), from the lexicon."""
        cached = self._prefixes.get(prefix)
        if cached is None:
            reader = self.searcher.reader()
            cached = [t.decode() if isinstance(t, bytes) else t
                      for t in reader.expand_prefix("kw", prefix)]
            self._prefixes[prefix] = cached
        return cached

    def text_match(self, word: str, *, fuzzy: bool) -> tuple[set[int], dict[int, float], list]:
        """Documents whose name or text holds `word` (one query word), BM25 scores of the best
        of them, and the index terms matched.

        With `fuzzy`, a word found nowhere in the index is matched to index terms within one or
        two edits ("anxeity" -> anxiety). Only the top TEXT_SCORED documents are scored: the
        rest rank after them, and scoring every posting of a common word was most of the time
        of a text query.
        """
        reader = self.searcher.reader()
        terms: list[tuple[str, str]] = []
        for fieldname, analyzer in (("body", _TEXT), ("name", _NAME)):
            for token in analyzer(word):
                if reader.doc_frequency(fieldname, token.text):
                    terms.append((fieldname, token.text))
                elif fuzzy and len(token.text) >= 4:
                    maxdist = 1 if len(token.text) < 7 else 2
                    near = FuzzyTerm(fieldname, token.text, maxdist=maxdist, prefixlength=1)
                    terms.extend((f, t.decode() if isinstance(t, bytes) else t)
                                 for f, t in near.expanded_terms(reader))
        if not terms:
            return set(), {}, []
        docs: set[int] = set()
        for fieldname, text in terms:
            docs |= self._postings(fieldname, text)
        hits = self.searcher.search(Or([Term(f, t) for f, t in terms]), limit=TEXT_SCORED)
        scores = {hit.docnum: hit.score for hit in hits}
        return docs, scores, sorted({t for _, t in terms})

    def _postings(self, fieldname: str, text: str) -> frozenset[int]:
        key = f"{fieldname}\0{text}"
        cached = self._terms.get(key)
        if cached is None:
            cached = frozenset(self.searcher.reader().postings(fieldname, text).all_ids())
            cached &= self.live
            with self._lock:
                self._terms[key] = cached
        return cached

    def close(self) -> None:
        self.searcher.close()


class SearchEngine:
    """Hands out the current snapshot of this node's index, reopening it when it changes."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current snapshot; raises FileNotFoundError when no index has been built."""
        now = time.monotonic()
        current = self._snapshot
        if current is not None and now - self._checked < CHECK_INTERVAL_SECONDS:
            return current
        with self._lock:
            current = self._snapshot
            self._checked = now
            generation = self.store.current()
            if generation is None:
                raise FileNotFoundError("no index generation yet")
            if (current is not None and current.generation == generation
                    and current.searcher.up_to_date()):
                return current
            self._snapshot = self._open(generation)
            # The old snapshot is left to the garbage collector: a request may still use it.
            return self._snapshot

    def _open(self, generation: str) -> Snapshot:
        ix = self.store.open(generation)
        # terms_with_prefix and postings need the matched terms for fuzzy explanations.
        searcher = ix.searcher(weighting=scoring.BM25F())
        return Snapshot.open(searcher, generation)
