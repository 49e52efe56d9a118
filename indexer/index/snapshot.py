"""Searching one state of the index: a `Snapshot`, and the `SearchEngine` that hands it out.

A `Snapshot` is one open Whoosh searcher over the live generation, with the generation's
columns (columns.py) beside it: the documents near a place, the documents of a structured term
("flag:couples", "specialty:polyamory"), the terms of a set of documents, office coordinates,
fees and field lengths, all as NumPy arrays or bitmasks. Whoosh answers what only a full-text
index can: which documents hold a word, and how often.

The columns come in at most two blocks: the base the last writer wrote for the generation
(memory-mapped, shared by every process) and the segments committed since (read by this
process; few). What is computed from a block (a term's documents as a mask, a word's postings,
the typo vocabulary) is kept with the block, so a new snapshot after a sync recomputes only
what depends on the whole (the live documents, BM25's statistics), not what the base holds:
the first search after an edit costs about what a warm one does.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from ..geo import haversine_km_array
from ..lru import BoundedCache, mask_weight
from .analysis import NAME_ANALYZER, TEXT_ANALYZER
from .columns import Columns, bases, concat, load, read_segments, segment_columns
from .errors import IndexUnavailable, IndexUnreadable, NoIndexYet, reads_index
from .generations import IndexStore
from .internals import leaf_postings
from .masks import bits_at, mask_of

log = logging.getLogger(__name__)

# How often a process looks for a new generation or new segments (the "searchable within a
# second of its ingest" promise allows for this).
CHECK_INTERVAL_SECONDS = 0.25
# BM25 parameters, Whoosh's defaults.
B, K1 = 0.75, 1.2
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
    "licensed:",  # video searches add the therapists licensed in the place's state
)
# Bounds of the per-process caches: document sets in 64-bit words (8 bytes each), postings
# (8 bytes each) and BM25 tables (12 bytes a document) in postings, fuzzy expansions in index
# terms. A base's term masks are not kept per block: they are read from its shared bitmaps.
MASK_CACHE_WORDS = 4_000_000  # 32 MB per snapshot (and per block: a tail's, which are small)
POSTINGS_CACHE = 4_000_000  # 32 MB per block
SCORE_CACHE_POSTINGS = 2_000_000  # 24 MB per snapshot
EXPANSION_CACHE_TERMS = 100_000
# A new state of the index computes the BM25 tables of the words most recently searched on
# the state it replaces (at most this many): for a moment before it is used (an edit must be
# searchable within a second), then the rest in the background once it is.
WARM_LIKE_TERMS = 64
WARM_LIKE_SECONDS = 0.15
WARM_LIKE_AFTER_SECONDS = 1.0
# Facet counts read the terms of each result (about 25 per document) when the results are
# fewer than one in this many documents; otherwise they AND whole-index bitmasks.
SPARSE_FACETS = 25
# Whoosh reads a segment file by seeking, then reading, one file object shared by every
# thread of the process: two threads at once can read each other's bytes (a missing term, a
# damaged block). Every read of Whoosh's files here holds this lock; they are cache misses,
# so the threads of a worker seldom wait for it.
WHOOSH_READS = threading.RLock()
_SEGMENT_CACHE_SIZE = 64
_BLOCK_CACHE_SIZE = 8

Postings = tuple[np.ndarray, np.ndarray]  # (document numbers ascending, values)
# A text term in a block: its postings, and how many documents hold it (deleted ones
# included: what Whoosh's idf counts).
TextTerm = tuple[np.ndarray, np.ndarray, int]


class Block:
    """Columns of consecutive segments, and what is computed from them once per process.

    Blocks never change (segments are immutable; deletions are the snapshot's business), so
    their caches outlive the snapshots that use them.
    """

    def __init__(self, columns: Columns, leaves: int) -> None:
        self.columns = columns
        self.leaves = leaves  # how many of the reader's segments it covers
        self._masks: BoundedCache[str, int] = BoundedCache(MASK_CACHE_WORDS, mask_weight)
        self._postings: BoundedCache[tuple[str, str], TextTerm] = BoundedCache(
            POSTINGS_CACHE, lambda p: len(p[0]) + 8
        )
        self._expansions: BoundedCache[tuple[str, str], list[str]] = BoundedCache(
            EXPANSION_CACHE_TERMS, lambda terms: len(terms) + 4
        )
        self._initials: dict[str, dict[str, list[str]]] = {}
        self._selections: dict[tuple[str, ...], np.ndarray] = {}

    @property
    def size(self) -> int:
        return self.columns.size

    def term_mask(self, term: str) -> int:
        """This block's documents holding a structured term, deleted ones included. A base's
        are read from its bitmaps (shared by every process, so not kept here); a tail's are
        made from its postings and kept. A term no document holds is not cached: visitors
        may ask for any number of them."""
        if term not in self.columns.number:
            return 0
        mapped = self.columns.term_mask(term)
        if mapped is not None:
            return mapped
        cached = self._masks.get(term)
        if cached is None:
            cached = self._masks.put(term, mask_of(self.columns.postings(term)))
        return cached

    def numbers_with_prefix(self, prefixes: tuple[str, ...]) -> np.ndarray:
        """The numbers of this block's structured terms that start with one of `prefixes`."""
        cached = self._selections.get(prefixes)
        if cached is None:
            vocab = self.columns.vocab
            cached = np.array([n for n, t in enumerate(vocab) if t.startswith(prefixes)], int)
            self._selections[prefixes] = cached
        return cached

    def fee_mask(self, amount: int) -> int:
        key = f"\0fee<={amount}"
        cached = self._masks.get(key)
        if cached is None:
            fees = self.columns.fees
            cached = self._masks.put(key, mask_of(np.flatnonzero((fees >= 0) & (fees <= amount))))
        return cached

    def postings(self, leaves: list[tuple[Any, int]], fieldname: str, text: str) -> TextTerm:
        """A text term's documents in this block and their frequencies (some deleted ones
        may be among them), and its document frequency, read from Whoosh once.
        `leaves`: this block's segment readers with their offsets in the block."""
        key = (fieldname, text)
        cached = self._postings.get(key)
        if cached is None:
            ids, freqs, frequency = [], [], 0
            with WHOOSH_READS:
                for leaf, offset in leaves:
                    if not (df := leaf.doc_frequency(fieldname, text)):
                        continue
                    frequency += df
                    docs, weights = leaf_postings(leaf, fieldname, text)
                    # 8 bytes a posting, not 16: document numbers fit 32 bits, and
                    # frequencies are small whole numbers, exact in float32.
                    ids.append((docs + offset).astype(np.int32))
                    freqs.append(weights.astype(np.float32))
            cached = (
                (np.concatenate(ids), np.concatenate(freqs), frequency)
                if ids
                else (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), 0)
            )
            self._postings.put(key, cached)
        return cached

    def initials(self, fieldname: str) -> dict[str, list[str]]:
        """The terms of a text field by first letter (typos are matched against them)."""
        cached = self._initials.get(fieldname)
        if cached is None:
            cached = {}
            for term in self.columns.lexicons[fieldname]:
                cached.setdefault(term[:1], []).append(term)
            self._initials[fieldname] = cached
        return cached

    def near(self, fieldname: str, text: str) -> list[str]:
        """Terms of this block within one edit of `text` (two from 7 letters; transpositions
        count one), with the same first letter, compared in C (rapidfuzz)."""
        key = (fieldname, text)
        cached = self._expansions.get(key)
        if cached is None:
            maxdist = 1 if len(text) < 7 else 2
            found = process.extract(
                text,
                self.initials(fieldname).get(text[0], ()),
                scorer=DamerauLevenshtein.distance,
                score_cutoff=maxdist,
                limit=None,
            )
            cached = self._expansions.put(key, sorted(m for m, _, _ in found))
        return cached


# Blocks and segment columns of this process, kept across snapshots.
_segments: dict[tuple[str, str], Columns] = {}
_blocks: dict[tuple[str, tuple[str, ...]], Block] = {}  # (where, segments) -> block
_cache_lock = threading.Lock()


def _remember(cache: dict, key: Any, value: Any, size: int) -> Any:
    with _cache_lock:
        if len(cache) >= size:
            cache.pop(next(iter(cache)))
        cache[key] = value
    return value


def _segment(generation: str, leaf: Any) -> Columns:
    key = (generation, leaf.segment().segment_id())
    cached = _segments.get(key)
    if cached is None:
        cached = _remember(_segments, key, segment_columns(leaf), _SEGMENT_CACHE_SIZE)
    return cached


def _base(generation: str, folder: Path | None, segment_ids: list[str]) -> Block | None:
    """The newest base of the generation that covers a prefix of its segments."""
    if folder is None:
        return None
    for path in bases(folder):
        covered = read_segments(path)
        if not covered or list(covered) != segment_ids[: len(covered)]:
            continue
        # Folder names repeat across index directories (and a pruned generation's name can
        # come back): the segments a base covers are what identify it.
        key = (str(path), covered)
        block = _blocks.get(key)
        if block is None:
            try:
                columns = load(path)
            except (OSError, ValueError) as err:  # pruned while we looked: try the next
                log.warning("the index columns in %s cannot be read: %s", path, err)
                continue
            block = _remember(_blocks, key, Block(columns, len(covered)), _BLOCK_CACHE_SIZE)
        return block
    return None


def _tail(generation: str, leaves: list[Any]) -> Block:
    key = (generation, tuple(leaf.segment().segment_id() for leaf in leaves))
    block = _blocks.get(key)
    if block is None:
        columns = concat([_segment(generation, leaf) for leaf in leaves])
        block = _remember(_blocks, key, Block(columns, len(leaves)), _BLOCK_CACHE_SIZE)
    return block


class DocIds:
    """Document number -> therapist id (None where a document has no value)."""

    def __init__(self, blocks: list[tuple[Block, int]], size: int) -> None:
        self._blocks, self._size = blocks, size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, doc: int) -> int | None:
        for block, offset in reversed(self._blocks):
            if doc >= offset:
                value = int(block.columns.ids[doc - offset])
                return None if value < 0 else value
        raise IndexError(doc)

    def __iter__(self) -> Iterator[int | None]:
        for block, _ in self._blocks:
            for value in block.columns.ids.tolist():
                yield None if value < 0 else value

    def of(self, docs: np.ndarray) -> np.ndarray:
        """Therapist ids of many documents at once, in any order (-1 where none)."""
        if len(self._blocks) == 1:
            return self._blocks[0][0].columns.ids[docs]
        out = np.empty(len(docs), dtype=np.int64)
        which = np.searchsorted([offset for _, offset in self._blocks], docs, side="right") - 1
        for i, (block, offset) in enumerate(self._blocks):
            mine = which == i
            out[mine] = block.columns.ids[docs[mine] - offset]
        return out

    def _parts_any(self, docs: np.ndarray) -> Iterator[tuple[Any, tuple[Block, int]]]:
        """The documents of each block, in any order: a selection of `docs` each."""
        if len(self._blocks) == 1:
            yield slice(0, len(docs)), self._blocks[0]
            return
        which = np.searchsorted([offset for _, offset in self._blocks], docs, side="right") - 1
        for i, block in enumerate(self._blocks):
            yield which == i, block

    def _parts(self, docs: np.ndarray) -> Iterator[tuple[slice, tuple[Block, int]]]:
        """The documents of each block, as a slice of `docs` (which must be ascending)."""
        if len(self._blocks) == 1:
            yield slice(0, len(docs)), self._blocks[0]
            return
        starts = np.searchsorted(docs, [offset for _, offset in self._blocks])
        for i, block in enumerate(self._blocks):
            end = int(starts[i + 1]) if i + 1 < len(self._blocks) else len(docs)
            yield slice(int(starts[i]), end), block


@dataclass
class Snapshot:
    """One searcher over one state of the index, with the columns of its documents."""

    searcher: Any
    generation: str
    blocks: list[tuple[Block, int]]  # with the document number of each block's first
    leaves: list[tuple[Any, int]]  # Whoosh segment readers, with their offsets
    size: int  # documents, deleted ones included
    live: int  # mask of the documents not deleted
    deletions: bool  # whether any document is deleted (`live` is not every document)
    ids: DocIds = field(init=False)
    # Every cache of a snapshot is bounded by what it holds (lru.py): what fills them is what
    # visitors type.
    _terms: BoundedCache[str, int] = field(
        default_factory=lambda: BoundedCache(MASK_CACHE_WORDS, mask_weight)
    )
    _scores: BoundedCache[tuple[str, str], Postings] = field(
        default_factory=lambda: BoundedCache(SCORE_CACHE_POSTINGS, lambda p: len(p[0]) + 8)
    )
    _prefixes: dict[str, list[str]] = field(default_factory=dict)
    _field_totals: dict[str, float] = field(default_factory=dict)
    _live_bytes: np.ndarray | None = None
    warmed: bool = False  # warm() has read what the first searches would

    def __post_init__(self) -> None:
        self.ids = DocIds(self.blocks, self.size)

    @classmethod
    @reads_index
    def open(cls, searcher: Any, generation: str, folder: Path | None = None) -> Snapshot:
        """A snapshot over an open Whoosh searcher of `generation` (whose folder holds the
        columns the last writer wrote; without one, this process reads every segment)."""
        with WHOOSH_READS:
            return cls._open(searcher, generation, folder)

    @classmethod
    def _open(cls, searcher: Any, generation: str, folder: Path | None) -> Snapshot:
        reader = searcher.reader()
        # An index with no documents has one leaf and no segment: nothing to read.
        leaves = [(leaf, off) for leaf, off in reader.leaf_readers() if leaf.segment() is not None]
        segment_ids = [leaf.segment().segment_id() for leaf, _ in leaves]
        blocks: list[tuple[Block, int]] = []
        base = _base(generation, folder, segment_ids)
        covered = 0
        if base is not None:
            blocks.append((base, 0))
            covered = base.leaves
        if covered < len(leaves):
            offset = leaves[covered][1]
            blocks.append((_tail(generation, [leaf for leaf, _ in leaves[covered:]]), offset))
        size = reader.doc_count_all() if leaves else 0
        deleted: list[int] = []
        for leaf, offset in leaves:
            if leaf.has_deletions():
                deleted.extend(d + offset for d in leaf.segment().deleted_docs())
        live = ((1 << size) - 1) ^ mask_of(deleted)
        return cls(searcher, generation, blocks, leaves, size, live, bool(deleted))

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

    # -- structured terms ----------------------------------------------------------------
    def term_mask(self, term: str) -> int:
        """Live documents holding a structured term ("flag:video"), cached per snapshot."""
        cached = self._terms.get(term)
        if cached is None:
            if len(self.blocks) == 1 and self.blocks[0][1] == 0:
                # One block and nothing deleted: its mask as it is (no copy to keep).
                cached = self.blocks[0][0].term_mask(term)
            else:
                cached = 0
                for block, offset in self.blocks:
                    cached |= block.term_mask(term) << offset
            if self.deletions:
                cached &= self.live
            # Terms nobody holds are kept too (a request may ask for one in every suggestion
            # it tries), within the cache's bound like any other.
            self._terms.put(term, cached)
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
            cached = 0
            for block, offset in self.blocks:
                cached |= block.fee_mask(amount) << offset
            self._terms.put(key, cached := cached & self.live)
        return cached

    def terms_with_prefix(self, prefix: str) -> list[str]:
        """Every structured term starting with `prefix` ("language:"), sorted."""
        cached = self._prefixes.get(prefix)
        if cached is None:
            found = {
                t for block, _ in self.blocks for t in block.columns.vocab if t.startswith(prefix)
            }
            cached = self._prefixes[prefix] = sorted(found)
        return cached

    def count_terms(
        self, docs: np.ndarray, prefixes: Iterable[str], mask: int | None = None
    ) -> dict[str, int]:
        """How many of the documents `docs` (live, ascending; `mask`, if known, is the same
        set) hold each structured term starting with one of `prefixes`; terms none holds are
        left out.

        Few documents: their terms are read and counted (cost per result). Many: each term's
        bitmask is ANDed with theirs (cost per term, over the whole index, in C)."""
        prefixes = tuple(prefixes)
        counts: dict[str, int] = {}
        if not len(docs):
            return counts
        if len(docs) * SPARSE_FACETS < self.size:
            for part, (block, offset) in self.ids._parts(docs):
                columns = block.columns
                local = docs[part] - offset
                starts = columns.doc_start[local]
                numbers = columns.doc_terms[_ragged(starts, columns.doc_start[local + 1] - starts)]
                wanted = block.numbers_with_prefix(prefixes)
                tally = np.bincount(numbers, minlength=len(columns.vocab))[wanted]
                held = tally > 0
                for n, count in zip(wanted[held].tolist(), tally[held].tolist(), strict=True):
                    term = columns.vocab[n]
                    counts[term] = counts.get(term, 0) + count
            return counts
        if mask is None:
            mask = mask_of(docs)
        for prefix in prefixes:
            for term in self.terms_with_prefix(prefix):
                if count := (mask & self.term_mask(term)).bit_count():
                    counts[term] = count
        return counts

    # -- places ----------------------------------------------------------------------------
    def near(self, cells: Iterable[str], keep: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Documents with an office in one of the cell terms that `keep` keeps (it answers
        for an array of documents, as bools), ascending: the only documents a radius search
        looks at."""
        cells = tuple(cells)
        found = [block.columns.near_cells(cells) + offset for block, offset in self.blocks]
        docs = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        docs = docs[keep(docs)]  # the filters first: most candidates fail them
        docs.sort()
        return docs[np.concatenate(([True], docs[1:] != docs[:-1]))] if len(docs) else docs

    # -- the same questions, asked of a few documents ---------------------------------------
    # A local search tests its filters on the documents near the place only: a bit per
    # candidate from the base's mapped bitmaps, never an operation over the whole index's
    # masks (a million bits each), so its cost follows the neighbourhood.
    def live_at(self, docs: np.ndarray) -> np.ndarray:
        """Whether each document is live (not deleted)."""
        if not self.deletions:
            return np.ones(len(docs), dtype=bool)
        if self._live_bytes is None:
            self._live_bytes = np.frombuffer(
                self.live.to_bytes((self.size + 7) // 8 or 1, "little"), np.uint8
            )
        return _bits(self._live_bytes, docs)

    def term_at(self, term: str, docs: np.ndarray) -> np.ndarray:
        """Whether each document holds a structured term (deleted ones may say yes)."""
        out = np.zeros(len(docs), dtype=bool)
        for part, (block, offset) in self.ids._parts_any(docs):
            local = docs[part] - offset
            n = block.columns.number.get(term)
            if n is None:
                continue
            rows = block.columns.term_bits
            if rows is not None:
                out[part] = _bits(rows[n], local)
            else:
                out[part] = bits_at(block.term_mask(term), local)
        return out

    def fee_at_most(self, amount: int, docs: np.ndarray) -> np.ndarray:
        """Whether each document's lowest fee is known and at most `amount`."""
        out = np.zeros(len(docs), dtype=bool)
        for part, (block, offset) in self.ids._parts_any(docs):
            fees = block.columns.fees[docs[part] - offset]
            out[part] = (fees >= 0) & (fees <= amount)
        return out

    def nearest_km(self, lat: float, lon: float, docs: np.ndarray) -> np.ndarray:
        """Each document's distance from the point to its nearest office (NaN: no office
        with coordinates)."""
        out = np.full(len(docs), np.nan)
        for part, (block, offset) in self.ids._parts(docs):
            columns = block.columns
            local = docs[part] - offset
            starts = columns.office_start[local]
            counts = columns.office_start[local + 1] - starts
            placed = counts > 0
            if not placed.any():
                continue
            starts, counts = starts[placed], counts[placed]
            offices = _ragged(starts, counts)
            km = haversine_km_array(lat, lon, columns.lat[offices], columns.lon[offices])
            groups = np.zeros(len(counts), dtype=np.int64)
            np.cumsum(counts[:-1], out=groups[1:])
            out[part][placed] = np.minimum.reduceat(km, groups)
        return out

    # -- text ------------------------------------------------------------------------------
    @reads_index
    def text_match(self, word: str, *, fuzzy: bool) -> tuple[int, list[Postings], list[str]]:
        """Documents whose name or text holds `word` (one query word), the BM25 scores of
        each index term it matched (documents ascending, scores), and those terms.

        With `fuzzy`, a word found nowhere in the index is matched to index terms within one or
        two edits ("anxeity" -> anxiety). Scores are not summed here: the caller adds them up
        for the documents that survive every filter only.
        """
        terms: list[tuple[str, str]] = []
        unknown: list[tuple[str, str]] = []
        for fieldname, analyzer in (("body", TEXT_ANALYZER), ("name", NAME_ANALYZER)):
            for token in analyzer(word):
                if self._frequency(fieldname, token.text):
                    terms.append((fieldname, token.text))
                elif fuzzy and len(token.text) >= 4:
                    unknown.append((fieldname, token.text))
        # Typos are looked for only when the word is found nowhere: a name ("Carey") must
        # not also match every bio that says "care".
        if not terms:
            for fieldname, text in unknown:
                near = {t for block, _ in self.blocks for t in block.near(fieldname, text)}
                terms.extend((fieldname, t) for t in sorted(near))
        mask, tables = 0, []
        for fieldname, text in terms:
            tables.append(self.term_scores(fieldname, text))
            mask |= self._text_mask(fieldname, text, tables[-1][0])
        return mask, tables, sorted({t for _, t in terms})

    def _frequency(self, fieldname: str, text: str) -> int:
        """Documents holding a text term, deleted ones included (what Whoosh's idf counts)."""
        return sum(self._block_postings(i, fieldname, text)[2] for i in range(len(self.blocks)))

    def _block_postings(self, i: int, fieldname: str, text: str) -> TextTerm:
        block, offset = self.blocks[i]
        first = sum(b.leaves for b, _ in self.blocks[:i])
        leaves = [(leaf, off - offset) for leaf, off in self.leaves[first : first + block.leaves]]
        docs, freqs, frequency = block.postings(leaves, fieldname, text)
        return docs + offset, freqs, frequency

    def _text_mask(self, fieldname: str, text: str, docs: np.ndarray) -> int:
        key = f"\0mask\0{fieldname}\0{text}"
        cached = self._terms.get(key)
        if cached is None:
            cached = self._terms.put(key, mask_of(docs))
        return cached

    @reads_index
    def term_scores(self, fieldname: str, text: str) -> Postings:
        """BM25 score of every live document holding a text term (documents ascending),
        cached per snapshot: Whoosh's BM25F with its defaults, over its stored lengths."""
        key = (fieldname, text)
        cached = self._scores.get(key)
        if cached is not None:
            return cached
        parts = [self._block_postings(i, fieldname, text) for i in range(len(self.blocks))]
        docs = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        # float64 before any arithmetic: a float32 frequency would make the product float32.
        tf = np.concatenate([p[1] for p in parts]).astype(np.float64) if parts else np.zeros(0)
        docs_total = max(1, self.size)
        avg = (self._field_total(fieldname) / docs_total) or 1.0
        idf = math.log(docs_total / (sum(p[2] for p in parts) + 1)) + 1.0
        boost = self.searcher.schema[fieldname].format.field_boost
        alive = bits_at(self.live, docs)
        docs, tf = docs[alive], tf[alive]
        norm = K1 * ((1 - B) + B * self._lengths(fieldname, docs) / avg)
        scores = boost * idf * tf * (K1 + 1) / (tf + norm)
        return self._scores.put(key, (docs, scores))

    def _field_total(self, fieldname: str) -> float:
        cached = self._field_totals.get(fieldname)
        if cached is None:
            cached = self._field_totals[fieldname] = self.searcher.reader().field_length(fieldname)
        return cached

    def _lengths(self, fieldname: str, docs: np.ndarray) -> np.ndarray:
        out = np.zeros(len(docs), dtype=np.int64)
        for part, (block, offset) in self.ids._parts(docs):
            out[part] = block.columns.lengths(fieldname)[docs[part] - offset]
        return out

    def warm_like(
        self,
        previous: Snapshot | None,
        seconds: float = WARM_LIKE_SECONDS,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Compute the BM25 tables of the words the previous state was searched for, most
        recently used first, for at most `seconds` or until `stop()` (asked every 50 ms) says
        so: a new state after an edit starts with none, and a common word's table at a million
        documents takes milliseconds, which the first search with it after every edit would
        otherwise pay."""
        if previous is None:
            return
        started = asked = time.monotonic()
        for fieldname, text in previous._scores.recent(WARM_LIKE_TERMS):
            now = time.monotonic()
            if now - started > seconds:
                break
            if stop is not None and now - asked > 0.05:
                asked = now
                if stop():
                    break
            docs, _ = self.term_scores(fieldname, text)
            self._text_mask(fieldname, text, docs)

    def warm(self, prefixes: Iterable[str] = WARM_PREFIXES) -> None:
        """Read now what the first searches would otherwise read (a new process, before its
        first visitor): the documents of every filter and facet term and the typo
        vocabularies."""
        for prefix in prefixes:
            for term in self.terms_with_prefix(prefix):
                self.term_mask(term)
        for block, _ in self.blocks:
            for fieldname in ("body", "name"):
                block.initials(fieldname)
        self.warmed = True


def _bits(data: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Bit `d` of little-endian packed bytes (a bit for every document), for each document."""
    return ((data[docs >> 3] >> (docs & 7).astype(np.uint8)) & 1).astype(bool)


def _ragged(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The positions starts[i] .. starts[i] + counts[i] - 1 for every i, in one array."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.repeat(starts - ends + counts, counts) + np.arange(total)


class SearchEngine:
    """Hands out the current snapshot of this node's index, reopening it when it changes, and
    remembers when the live one could not be read (readiness says so until it changes)."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._stale = True  # look now, whoever looks (this process changed the index)
        self._lock = threading.Lock()
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()
        self.failure: tuple[str, str] | None = None  # (index state, what went wrong)
        self._warned = False

    def invalidate(self) -> None:
        """Look for a new index state at the next search (after this process changed it)."""
        self._stale = True

    def follow(self, interval: float = CHECK_INTERVAL_SECONDS) -> None:
        """Open and warm each new state of the index in a background thread, so that no
        request pays for it: the first search after an edit costs what any other does, and
        searches no longer look for changes themselves. A web worker calls this when it
        starts; without it, a search that finds the index changed opens it itself."""
        with self._lock:
            if self._follower is None:
                self._stop.clear()
                self._follower = threading.Thread(
                    target=self._follow, args=(interval,), name="index-follower", daemon=True
                )
                self._follower.start()

    def stop_following(self) -> None:
        """End the background thread of `follow`; searches look for changes themselves again."""
        with self._lock:
            follower, self._follower = self._follower, None
        if follower is not None:
            self._stop.set()
            follower.join()

    def _follow(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                generation = self.store.current()
                current = self._snapshot
                if generation is None or (
                    current is not None
                    and current.generation == generation
                    and current.up_to_date()
                ):
                    continue
                fresh = self._open(generation)
                fresh.warm()
                fresh.warm_like(current)
                with self._lock:
                    if self._snapshot is current:  # not replaced by a search meanwhile
                        self._snapshot = fresh
                # The rest once it is used, unless a newer state comes first.
                fresh.warm_like(current, WARM_LIKE_AFTER_SECONDS, stop=self._superseded(fresh))
            except Exception:  # noqa: BLE001 - the next search opens it and says what is wrong
                log.debug("the index follower could not open the index", exc_info=True)
                self._stale = True

    def _superseded(self, snap: Snapshot) -> Callable[[], bool]:
        """Whether to stop warming `snap`: the follower is stopping, or the index changed."""
        return lambda: self._stop.is_set() or not snap.up_to_date()

    def snapshot(self) -> Snapshot:
        """The current snapshot. NoIndexYet before the first build; IndexUnreadable when the
        live generation cannot be opened."""
        now = time.monotonic()
        current = self._snapshot
        recent = now - self._checked < CHECK_INTERVAL_SECONDS
        if current is not None and not self._stale and (self._follower is not None or recent):
            return current
        with self._lock:
            current = self._snapshot
            self._checked, self._stale = now, False
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
        searcher = self.store.open(generation).searcher()
        folder = self.store.root / generation
        if self.store.columns_missing(generation, searcher.reader()) and not self._warned:
            # Written before columns existed, or by a writer that stopped before writing
            # them: every process reads the segments for itself until a writer writes them.
            log.warning(
                "the index in %s lacks the columns of many documents; run `flask index sync`",
                folder,
            )
            self._warned = True
        return Snapshot.open(searcher, generation, folder)

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
