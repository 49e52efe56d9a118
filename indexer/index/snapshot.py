"""Searching one state of the index: a `Snapshot`, and the `SearchEngine` that hands it out.

A `Snapshot` is one open searcher over the live index generation with what searches need per
document cached beside it: the therapist id, office coordinates and lowest fee (one column),
a set of documents per structured term ("flag:couples", "specialty:polyamory"), built on first
use. Filters and facets are then set operations, which is what made them fast here (see
../shared/STACK-NOTES.md). A snapshot is replaced when the index changes; what it knows about
each immutable segment is kept across snapshots.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..lru import BoundedCache, mask_weight
from .analysis import NAME_ANALYZER, TEXT_ANALYZER
from .errors import IndexUnavailable, IndexUnreadable, NoIndexYet, reads_index
from .generations import IndexStore
from .internals import field_lengths, leaf_posting_ids, posting_blocks
from .masks import docs_of, mask_of
from .schema import decode_doc

# How often a process looks for a new generation or new segments (the "searchable within a
# second of its ingest" promise allows for this).
CHECK_INTERVAL_SECONDS = 0.25
# BM25 parameters, Whoosh's defaults.
B, K1 = 0.75, 1.2
_SEGMENT_CACHE_SIZE = 64
# The structured terms every search may filter or count by: read when a process starts.
WARM_PREFIXES = (
    "flag:",
    "specialty:",
    "modality:",
    "client_type:",
    "format:",
    "language:",
    "insurance:",
    "profession:",
)
# Bounds of the per-process caches: document sets in 64-bit words (8 bytes each), BM25 tables
# in postings (about 100 bytes each), fuzzy expansions in index terms.
MASK_CACHE_WORDS = 4_000_000  # 32 MB per snapshot, and as much per segment
SCORE_CACHE_POSTINGS = 500_000
EXPANSION_CACHE_TERMS = 100_000


class SegmentData:
    """What searches need from one immutable index segment, computed once per process.

    Segments never change once written (only their deletions do), so a new snapshot after a
    small sync reuses everything here for the big segments and reads only the new small one.
    """

    @reads_index
    def __init__(self, leaf: Any) -> None:
        self.leaf = leaf
        size = leaf.doc_count_all()
        self.ids: list[int | None] = [None] * size
        self.offices: list[tuple] = [()] * size
        self.fees: list[int | None] = [None] * size
        for docnum, value in enumerate(leaf.column_reader("doc")):
            if value:
                self.ids[docnum], self.fees[docnum], self.offices[docnum] = decode_doc(value)
        self._terms: BoundedCache[str, int] = BoundedCache(MASK_CACHE_WORDS, mask_weight)
        self._lengths: dict[str, list[int]] = {}
        self._initials: dict[str, dict[str, list[str]]] = {}

    @reads_index
    def term_mask(self, term: str) -> int:
        """Local documents holding a structured term (deleted ones included), as a mask.
        A term no document holds is not cached: visitors may ask for any number of them."""
        cached = self._terms.get(term)
        if cached is None:
            if not self.leaf.doc_frequency("kw", term):
                return 0
            cached = self._terms.put(term, mask_of(leaf_posting_ids(self.leaf, "kw", term)))
        return cached

    @reads_index
    def initials(self, fieldname: str) -> dict[str, list[str]]:
        """The terms of a text field in this segment by first letter, read once per process
        (typos are matched against them)."""
        cached = self._initials.get(fieldname)
        if cached is None:
            cached = {}
            for term in self.leaf.lexicon(fieldname):
                text = term.decode() if isinstance(term, bytes) else term
                cached.setdefault(text[:1], []).append(text)
            self._initials[fieldname] = cached
        return cached

    @reads_index
    def lengths(self, fieldname: str) -> list[int]:
        """Every local document's length in a text field."""
        cached = self._lengths.get(fieldname)
        if cached is None:
            cached = self._lengths[fieldname] = field_lengths(self.leaf, fieldname)
        return cached


_segments: dict[tuple[str, str], SegmentData] = {}
_segments_lock = threading.Lock()


def segment_data(generation: str, leaf: Any) -> SegmentData:
    """The cached data of one segment (keyed by generation and Whoosh's segment id)."""
    key = (generation, leaf.segment().segment_id())
    data = _segments.get(key)
    if data is None:
        data = SegmentData(leaf)
        with _segments_lock:
            if len(_segments) >= _SEGMENT_CACHE_SIZE:
                _segments.pop(next(iter(_segments)))
            _segments[key] = data
    return data


@dataclass
class Snapshot:
    """One searcher over one state of the index, with per-document data cached."""

    searcher: Any
    generation: str
    segments: list[tuple[SegmentData, int]]  # with the docnum offset of each
    ids: list[int | None]  # docnum -> therapist id
    offices: list[tuple[tuple[float, float], ...]]
    fees: list[int | None]
    live: int  # mask of the documents not deleted
    # Every cache of a snapshot is bounded by what it holds (lru.py): what fills them is what
    # visitors type.
    _terms: BoundedCache[str, int] = field(
        default_factory=lambda: BoundedCache(MASK_CACHE_WORDS, mask_weight)
    )
    _scores: BoundedCache[str, dict[int, float]] = field(
        default_factory=lambda: BoundedCache(SCORE_CACHE_POSTINGS, lambda table: len(table) + 4)
    )
    _expansions: BoundedCache[tuple[str, str], list[str]] = field(
        default_factory=lambda: BoundedCache(EXPANSION_CACHE_TERMS, lambda terms: len(terms) + 4)
    )
    _prefixes: dict[str, list[str]] = field(default_factory=dict)  # a few facet prefixes
    _length_lists: dict[str, list[int]] = field(default_factory=dict)  # two text fields
    _deleted: set[int] | None = None

    @classmethod
    @reads_index
    def open(cls, searcher: Any, generation: str) -> Snapshot:
        """A snapshot over an open Whoosh searcher of `generation`."""
        reader = searcher.reader()
        # An index with no documents has one leaf and no segment: nothing to read.
        segments = [
            (segment_data(generation, leaf), offset)
            for leaf, offset in reader.leaf_readers()
            if leaf.segment() is not None
        ]
        ids: list[int | None] = []
        offices: list[tuple] = []
        fees: list[int | None] = []
        for data, _ in segments:
            ids += data.ids
            offices += data.offices
            fees += data.fees
        live = mask_of(reader.all_doc_ids())
        return cls(searcher, generation, segments, ids, offices, fees, live)

    @property
    def version(self) -> str:
        """Changes whenever what this snapshot answers could change: the generation and the
        state of its segments (an ETag of a search response is built from it)."""
        return f"{self.generation}:{self.searcher.reader().generation()}"

    @property
    def doc_count(self) -> int:
        """Live documents."""
        return self.live.bit_count()

    def up_to_date(self) -> bool:
        """Whether the generation has had no commit since this snapshot was opened."""
        return bool(self.searcher.up_to_date())

    @reads_index
    def term_mask(self, term: str) -> int:
        """Live documents holding a structured term ("flag:video"), cached per snapshot."""
        cached = self._terms.get(term)
        if cached is None:
            cached = 0
            for data, offset in self.segments:
                cached |= data.term_mask(term) << offset
            # Terms nobody holds are kept too (a request may ask for one in every suggestion
            # it tries), within the cache's bound like any other.
            self._terms.put(term, cached := cached & self.live)
        return cached

    @property
    def deleted(self) -> set[int]:
        """Deleted document numbers (few: merges drop them)."""
        cached = self._deleted
        if cached is None:
            cached = self._deleted = set(docs_of(self.live ^ ((1 << len(self.ids)) - 1)))
        return cached

    def any_term_mask(self, terms: Iterable[str]) -> int:
        """Documents holding at least one of the terms."""
        out = 0
        for term in terms:
            out |= self.term_mask(term)
        return out

    def fee_mask(self, amount: int) -> int:
        """Documents whose lowest fee is known and at most `amount`."""
        key = f"\0fee<={amount}"
        cached = self._terms.get(key)
        if cached is None:
            fees = self.fees
            cached = mask_of(d for d, fee in enumerate(fees) if fee is not None and fee <= amount)
            self._terms.put(key, cached := cached & self.live)
        return cached

    @reads_index
    def terms_with_prefix(self, prefix: str) -> list[str]:
        """Every structured term starting with `prefix` ("language:"), from the lexicon."""
        cached = self._prefixes.get(prefix)
        if cached is None:
            reader = self.searcher.reader()
            cached = [
                t.decode() if isinstance(t, bytes) else t
                for t in reader.expand_prefix("kw", prefix)
            ]
            self._prefixes[prefix] = cached
        return cached

    @reads_index
    def text_match(
        self, word: str, *, fuzzy: bool
    ) -> tuple[int, list[dict[int, float]], list[str]]:
        """Documents whose name or text holds `word` (one query word), the BM25 scores of
        each index term it matched (one dict per term, cached), and those terms.

        With `fuzzy`, a word found nowhere in the index is matched to index terms within one or
        two edits ("anxeity" -> anxiety). Scores are not summed here: the caller adds them up
        for the documents that survive every filter only.
        """
        reader = self.searcher.reader()
        terms: list[tuple[str, str]] = []
        unknown: list[tuple[str, str]] = []
        for fieldname, analyzer in (("body", TEXT_ANALYZER), ("name", NAME_ANALYZER)):
            for token in analyzer(word):
                if reader.doc_frequency(fieldname, token.text):
                    terms.append((fieldname, token.text))
                elif fuzzy and len(token.text) >= 4:
                    unknown.append((fieldname, token.text))
        # Typos are looked for only when the word is found nowhere: a name ("Carey") must
        # not also match every bio that says "care".
        if not terms:
            for fieldname, text in unknown:
                terms.extend((fieldname, t) for t in self._near(fieldname, text))
        mask, tables = 0, []
        for fieldname, text in terms:
            tables.append(self.term_scores(fieldname, text))
            mask |= self._text_mask(fieldname, text, tables[-1])
        return mask, tables, sorted({t for _, t in terms})

    def _near(self, fieldname: str, text: str) -> list[str]:
        """Index terms within one edit (two from 7 letters; transpositions count one) of a
        word the index lacks, with the same first letter. The terms of each first letter are
        compared in C (rapidfuzz): Whoosh's own FuzzyTerm walks the lexicon in Python, 30 ms
        a word at 100,000 profiles."""
        cached = self._expansions.get((fieldname, text))
        if cached is None:
            maxdist, found = (1 if len(text) < 7 else 2), set[str]()
            for data, _ in self.segments:
                found.update(
                    match
                    for match, _, _ in process.extract(
                        text,
                        data.initials(fieldname).get(text[0], ()),
                        scorer=DamerauLevenshtein.distance,
                        score_cutoff=maxdist,
                        limit=None,
                    )
                )
            cached = self._expansions.put((fieldname, text), sorted(found))
        return cached

    def warm(self, prefixes: Iterable[str] = WARM_PREFIXES) -> None:
        """Read now what the first searches would otherwise read (a new process, before its
        first visitor): the documents of every filter and facet term, the typo vocabularies
        and the lengths of the text fields."""
        for prefix in prefixes:
            for term in self.terms_with_prefix(prefix):
                self.term_mask(term)
        for fieldname in ("body", "name"):
            self._lengths(fieldname)
            for data, _ in self.segments:
                data.initials(fieldname)

    def _text_mask(self, fieldname: str, text: str, scores: dict[int, float]) -> int:
        key = f"\0mask\0{fieldname}\0{text}"
        cached = self._terms.get(key)
        if cached is None:
            cached = self._terms.put(key, mask_of(scores))
        return cached

    @reads_index
    def term_scores(self, fieldname: str, text: str) -> dict[int, float]:
        """BM25 score of every live document holding a text term, cached per snapshot,
        computed from the posting blocks and the field-length column (internals.py)."""
        key = f"{fieldname}\0{text}"
        cached = self._scores.get(key)
        if cached is not None:
            return cached
        reader = self.searcher.reader()
        lengths = self._lengths(fieldname)
        docs_total = max(1, reader.doc_count_all())
        avg = (reader.field_length(fieldname) / docs_total) or 1.0
        idf = math.log(docs_total / (reader.doc_frequency(fieldname, text) + 1)) + 1.0
        boost = self.searcher.schema[fieldname].format.field_boost
        deleted = self.deleted
        scores: dict[int, float] = {}
        for ids, freqs in posting_blocks(reader, fieldname, text):
            for doc, tf in zip(ids, freqs, strict=True):
                if doc not in deleted:
                    norm = K1 * ((1 - B) + B * lengths[doc] / avg)
                    scores[doc] = boost * idf * tf * (K1 + 1) / (tf + norm)
        return self._scores.put(key, scores)

    def _lengths(self, fieldname: str) -> list[int]:
        cached = self._length_lists.get(fieldname)
        if cached is None:
            cached = []
            for data, _ in self.segments:
                cached += data.lengths(fieldname)
            self._length_lists[fieldname] = cached
        return cached


class SearchEngine:
    """Hands out the current snapshot of this node's index, reopening it when it changes, and
    remembers when the live one could not be read (readiness says so until it changes)."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self.failure: tuple[str, str] | None = None  # (index state, what went wrong)

    def invalidate(self) -> None:
        """Look for a new index state at the next search (after this process changed it)."""
        self._checked = 0.0

    def snapshot(self) -> Snapshot:
        """The current snapshot. NoIndexYet before the first build; IndexUnreadable when the
        live generation cannot be opened."""
        now = time.monotonic()
        current = self._snapshot
        if current is not None and now - self._checked < CHECK_INTERVAL_SECONDS:
            return current
        with self._lock:
            current = self._snapshot
            self._checked = now
            generation = self.store.current()
            if generation is None:
                raise NoIndexYet("no index generation yet")
            if current is not None and current.generation == generation and current.up_to_date():
                return current
            try:
                self._snapshot = self._open(generation)
            except IndexUnavailable as err:
                self.failure = (generation, str(err))
                raise
            # The old snapshot is left to the garbage collector: a request may still use it.
            return self._snapshot

    @reads_index
    def _open(self, generation: str) -> Snapshot:
        return Snapshot.open(self.store.open(generation).searcher(), generation)

    def report(self, snap: Snapshot | None, err: IndexUnavailable) -> None:
        """A search could not read the index: readiness fails until the index changes."""
        self.failure = (snap.version if snap is not None else "", str(err))

    def check(self) -> dict[str, Any]:
        """Prove the live generation can answer: open it and run a tiny query (a term's
        documents, the lexicon, a word's postings). Raises IndexUnavailable with the reason,
        also when a search on this state failed since it opened."""
        snap = self.snapshot()
        if self.failure is not None and self.failure[0] in (snap.version, snap.generation):
            raise IndexUnreadable(f"a search failed on it: {self.failure[1]}")
        snap.term_mask("flag:couples")
        snap.terms_with_prefix("specialty:")
        snap.text_match("therapy", fuzzy=False)
        return {"generation": snap.generation, "documents": snap.doc_count}
