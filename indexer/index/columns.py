"""What searches need of every document, as compact NumPy arrays that workers share.

A `Columns` holds, for a run of index segments in document-number order: the therapist id and
lowest fee, the office coordinates, the geohash cells of the offices (sorted, so that the
documents near a place are a few binary searches away), the structured terms of each document
and the documents of each term (both ways round: facet counts read a result's terms, filters
read a term's documents), and the field lengths BM25 needs. Nothing here is a Python object
per document, so a million profiles cost tens of megabytes, not gigabytes.

The arrays of a generation's segments are written once, by the process that changed the index
(`write_base`), into a folder beside the segments (`columns-NNNNNN/`, one `.npy` file per
array), and every worker maps them read-only: the operating system keeps one copy in its page
cache for all of them. Segments committed after that base was written (a sync's few profiles)
are read by each process for itself (`segment_columns`): they are small.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..geo import INDEXED_PRECISIONS, geohash_codes
from .internals import field_length_array, leaf_posting_ids
from .schema import decode_doc

FINEST = max(INDEXED_PRECISIONS)
# Structured terms that are not columns: coarser cells (derived from the finest) and free-form
# tags (searched as text, never filtered on).
NOT_COLUMNS = ("cell:", "tag:")
TEXT_FIELDS = ("body", "name")
_BASE32 = {c: i for i, c in enumerate("0123456789bcdefghjkmnpqrstuvwxyz")}
ARRAYS = (
    "ids",
    "fees",
    "office_start",
    "lat",
    "lon",
    "cell_codes",
    "cell_docs",
    "term_start",
    "term_docs",
    "doc_start",
    "doc_terms",
    "body_len",
    "name_len",
)
TERM_BITS = "term_bits"


def cell_code(cell: str) -> int:
    """A geohash as a number, so that the cells inside a coarser cell form one range."""
    code = 0
    for char in cell:
        code = code * 32 + _BASE32[char]
    return code


def cell_range(term: str) -> tuple[int, int]:
    """The [low, high) range of finest-cell codes inside a cell term ("3:dr5")."""
    precision, _, cell = term.partition(":")
    shift = 5 * (FINEST - int(precision))
    code = cell_code(cell)
    return code << shift, (code + 1) << shift


@dataclass
class Columns:
    """The columns of consecutive segments (document numbers from 0 to size - 1)."""

    segments: tuple[str, ...]  # Whoosh segment ids, in document-number order
    ids: np.ndarray  # int64, therapist id (-1: no document value)
    fees: np.ndarray  # int64, lowest fee (-1: none given)
    office_start: np.ndarray  # int64 [size + 1]: offices of document d are [start[d], start[d+1])
    lat: np.ndarray  # float64, per office
    lon: np.ndarray
    cell_codes: np.ndarray  # int64, sorted: the finest cell of a document's office...
    cell_docs: np.ndarray  # int32 ...and the document (once per document and cell)
    vocab: list[str]  # the structured terms, sorted
    term_start: np.ndarray  # int64 [terms + 1]: documents of term t are term_docs[start[t]:...]
    term_docs: np.ndarray  # int32, ascending per term
    doc_start: np.ndarray  # int64 [size + 1]: terms of document d are doc_terms[start[d]:...]
    doc_terms: np.ndarray  # int32 term numbers
    body_len: np.ndarray  # int32, field lengths as Whoosh stores them (for BM25)
    name_len: np.ndarray
    lexicons: dict[str, list[str]]  # every term of each text field, sorted (typo matching)
    # A base's documents of each structured term as a bitmask (uint8 [terms, (size + 7) // 8],
    # bit d of row t little-endian: what int.from_bytes reads), mapped from its file and so
    # shared by every process; None for columns made in memory (a sync's few segments).
    term_bits: np.ndarray | None = None
    number: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.number = {term: n for n, term in enumerate(self.vocab)}

    @property
    def size(self) -> int:
        return len(self.ids)

    def postings(self, term: str) -> np.ndarray:
        """The documents holding a structured term (deleted ones included)."""
        n = self.number.get(term)
        if n is None:
            return np.zeros(0, dtype=np.int32)
        return self.term_docs[self.term_start[n] : self.term_start[n + 1]]

    def term_mask(self, term: str) -> int | None:
        """A structured term's documents as an int bitmask read from the base's bitmaps (a
        copy of (size + 7) / 8 bytes: 125 KB and ~20 us at a million documents); None when
        these columns have none."""
        n = self.number.get(term)
        if n is None:
            return 0
        if self.term_bits is None:
            return None
        return int.from_bytes(self.term_bits[n], "little")

    def lengths(self, fieldname: str) -> np.ndarray:
        return self.body_len if fieldname == "body" else self.name_len

    def near_cells(self, cells: Iterable[str]) -> np.ndarray:
        """Documents with an office in any of the cell terms (a document with offices in
        several of them is listed once per cell), in no particular order."""
        codes = self.cell_codes
        bounds = np.searchsorted(codes, [b for term in cells for b in cell_range(term)])
        pieces = [self.cell_docs[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True)]
        if not pieces:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(pieces).astype(np.int64)


# -- reading segments ---------------------------------------------------------------------
def segment_columns(leaf: Any) -> Columns:
    """The columns of one segment, read from its document column and its `kw` postings."""
    size = leaf.doc_count_all()
    ids = np.full(size, -1, dtype=np.int64)
    fees = np.full(size, -1, dtype=np.int64)
    counts = np.zeros(size, dtype=np.int64)
    lat: list[float] = []
    lon: list[float] = []
    for d, value in enumerate(leaf.column_reader("doc")):
        if value:
            tid, fee, offices = decode_doc(value)
            ids[d] = tid
            if fee is not None:
                fees[d] = fee
            counts[d] = len(offices)
            for a, b in offices:
                lat.append(a)
                lon.append(b)
    vocab: list[str] = []
    postings: list[np.ndarray] = []
    for raw in leaf.lexicon("kw"):
        term = raw.decode() if isinstance(raw, bytes) else raw
        if not term.startswith(NOT_COLUMNS):
            vocab.append(term)
            postings.append(leaf_posting_ids(leaf, "kw", term).astype(np.int32))
    lats, lons = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    # The finest cell of each office, from the coordinates the distances are measured from
    # (the index's cell terms hold the same cells, at three precisions, but reading them
    # costs a lookup per cell: most of the time it took to read a segment).
    office_docs = np.repeat(np.arange(size, dtype=np.int64), counts)
    codes = geohash_codes(lats, lons, FINEST)
    # Once per document and cell (np.unique(axis=1) would do, but its first call imports
    # numpy.ma: a tenth of a second in the first search after an edit).
    order = np.lexsort((office_docs, codes))
    codes, office_docs = codes[order], office_docs[order]
    fresh = np.ones(len(codes), dtype=bool)
    fresh[1:] = (codes[1:] != codes[:-1]) | (office_docs[1:] != office_docs[:-1])
    pairs = (codes[fresh], office_docs[fresh])
    lexicons = {
        f: [t.decode() if isinstance(t, bytes) else t for t in leaf.lexicon(f)] for f in TEXT_FIELDS
    }
    return _assemble(
        segments=(leaf.segment().segment_id(),),
        ids=ids,
        fees=fees,
        office_counts=counts,
        lat=lats,
        lon=lons,
        cells=(pairs[0], pairs[1].astype(np.int32)),
        vocab=vocab,
        postings=postings,
        lengths={f: field_length_array(leaf, f) for f in TEXT_FIELDS},
        lexicons=lexicons,
    )


def _cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _assemble(
    *,
    segments: tuple[str, ...],
    ids: np.ndarray,
    fees: np.ndarray,
    office_counts: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    cells: tuple[np.ndarray, np.ndarray],
    vocab: list[str],
    postings: list[np.ndarray],
    lengths: dict[str, np.ndarray],
    lexicons: dict[str, list[str]],
) -> Columns:
    """Columns from per-term postings (vocab sorted): the per-document terms are derived."""
    size = len(ids)
    office_start = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(office_counts, out=office_start[1:])
    term_start = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in postings], out=term_start[1:])
    term_docs = _cat(postings, np.int32)
    numbers = np.repeat(np.arange(len(vocab), dtype=np.int32), np.diff(term_start))
    order = np.argsort(term_docs, kind="stable")  # by document, terms in order within each
    doc_terms = numbers[order]
    doc_start = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_docs, minlength=size)[:size], out=doc_start[1:])
    codes, docs = cells
    by_cell = np.argsort(codes, kind="stable")
    return Columns(
        segments=segments,
        ids=ids,
        fees=fees,
        office_start=office_start,
        lat=lat,
        lon=lon,
        cell_codes=codes[by_cell],
        cell_docs=docs[by_cell],
        vocab=vocab,
        term_start=term_start,
        term_docs=term_docs,
        doc_start=doc_start,
        doc_terms=doc_terms,
        body_len=lengths["body"].astype(np.int32),
        name_len=lengths["name"].astype(np.int32),
        lexicons=lexicons,
    )


def concat(parts: Sequence[Columns]) -> Columns:
    """The columns of consecutive runs of segments, as one run.

    Each part's term numbers are mapped onto the joint vocabulary and its arrays copied into
    place: no sort over every posting, so a base of a million documents is written in about
    the memory of its two postings arrays (sorting them again took five times that)."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0, *(p.size for p in parts)]).tolist()
    vocab = sorted(set().union(*(p.vocab for p in parts)))
    number = {term: n for n, term in enumerate(vocab)}
    joint = [np.array([number[t] for t in p.vocab], dtype=np.int32) for p in parts]
    # Documents by term: each part's postings of a term go after those of the parts before.
    held = np.zeros(len(vocab), dtype=np.int64)
    for p, numbers in zip(parts, joint, strict=True):
        np.add.at(held, numbers, np.diff(p.term_start))
    term_start = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(held, out=term_start[1:])
    term_docs = np.empty(int(term_start[-1]), dtype=np.int32)
    cursor = term_start[:-1].tolist()
    for p, numbers, offset in zip(parts, joint, offsets, strict=False):
        bounds = p.term_start.tolist()
        for j, n in enumerate(numbers.tolist()):
            a, b = bounds[j], bounds[j + 1]
            if a < b:
                c = cursor[n]
                term_docs[c : c + b - a] = p.term_docs[a:b] + offset
                cursor[n] = c + b - a
    # Terms by document: the parts' lists one after another, renumbered.
    doc_terms = np.concatenate(
        [numbers[p.doc_terms] for p, numbers in zip(parts, joint, strict=True)]
    ).astype(np.int32, copy=False)
    term_offsets = np.cumsum([0, *(len(p.doc_terms) for p in parts)]).tolist()
    doc_start = np.concatenate(
        [np.zeros(1, dtype=np.int64)]
        + [p.doc_start[1:] + shift for p, shift in zip(parts, term_offsets, strict=False)]
    )
    office_start = np.concatenate(
        [np.zeros(1, dtype=np.int64)]
        + [
            p.office_start[1:] + shift
            for p, shift in zip(
                parts, np.cumsum([0, *(len(p.lat) for p in parts)]).tolist(), strict=False
            )
        ]
    )
    codes = np.concatenate([p.cell_codes for p in parts])
    docs = np.concatenate(
        [p.cell_docs.astype(np.int64) + off for p, off in zip(parts, offsets, strict=False)]
    ).astype(np.int32)
    by_cell = np.argsort(codes, kind="stable")
    return Columns(
        segments=tuple(s for p in parts for s in p.segments),
        ids=np.concatenate([p.ids for p in parts]),
        fees=np.concatenate([p.fees for p in parts]),
        office_start=office_start,
        lat=np.concatenate([p.lat for p in parts]),
        lon=np.concatenate([p.lon for p in parts]),
        cell_codes=codes[by_cell],
        cell_docs=docs[by_cell],
        vocab=vocab,
        term_start=term_start,
        term_docs=term_docs,
        doc_start=doc_start,
        doc_terms=doc_terms,
        body_len=np.concatenate([p.body_len for p in parts]).astype(np.int32),
        name_len=np.concatenate([p.name_len for p in parts]).astype(np.int32),
        lexicons={f: sorted(set().union(*(p.lexicons[f] for p in parts))) for f in TEXT_FIELDS},
    )


# -- bases on disk --------------------------------------------------------------------------
def save(columns: Columns, folder: Path) -> None:
    """Write columns into a new folder, atomically (a reader sees all of it or none)."""
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ARRAYS:
        np.save(tmp / f"{name}.npy", getattr(columns, name), allow_pickle=False)
    save_term_bits(columns, tmp / f"{TERM_BITS}.npy")
    meta = {"vocab": columns.vocab, "lexicons": columns.lexicons}
    (tmp / "meta.json").write_text(json.dumps(meta))
    # Read on every snapshot a process opens, so kept apart from the rest and small.
    (tmp / "segments.json").write_text(json.dumps(list(columns.segments)))
    os.replace(tmp, folder)


def save_term_bits(columns: Columns, path: Path) -> None:
    """Write each structured term's documents as a row of bits, a term at a time (the whole
    table is never in memory: 30 MB for 245 terms at a million documents)."""
    width = (columns.size + 7) // 8
    shape = (len(columns.vocab), width)
    if not shape[0] or not width:
        np.save(path, np.zeros(shape, dtype=np.uint8), allow_pickle=False)
        return
    table = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
    bits = np.zeros(width * 8, dtype=np.uint8)
    for n in range(len(columns.vocab)):
        docs = columns.term_docs[columns.term_start[n] : columns.term_start[n + 1]]
        bits[:] = 0
        bits[docs] = 1
        table[n] = np.packbits(bits, bitorder="little")
    table.flush()
    del table


def load(folder: Path) -> Columns:
    """Columns written by `save`, mapped into memory read-only (shared between processes)."""
    meta = json.loads((folder / "meta.json").read_text())
    segments = read_segments(folder)
    if segments is None:
        raise ValueError(f"{folder} lists no segments")
    arrays = {name: _mapped(folder / f"{name}.npy") for name in ARRAYS}
    bits = folder / f"{TERM_BITS}.npy"
    return Columns(
        segments=segments,
        vocab=meta["vocab"],
        lexicons=meta["lexicons"],
        # A base written before bitmaps were: its term masks are made from the postings.
        term_bits=_mapped(bits) if bits.exists() else None,
        **arrays,
    )


def _mapped(path: Path) -> np.ndarray:
    try:
        # A plain array over the mapped file: np.memmap's own indexing costs microseconds a
        # call, and searches index these arrays many times.
        return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
    except ValueError:  # an empty array: nothing to map
        return np.load(path, allow_pickle=False)


def bases(generation: Path) -> list[Path]:
    """The column folders of a generation, newest first."""
    return sorted((p for p in generation.glob("columns-*") if p.name[8:].isdigit()), reverse=True)


def read_segments(folder: Path) -> tuple[str, ...] | None:
    """The segments a base covers, or None when it cannot be read."""
    try:
        return tuple(json.loads((folder / "segments.json").read_text()))
    except (OSError, ValueError):
        return None


# -- writing a generation's base ------------------------------------------------------------
# A new base is written when the segments after the last one hold more than this many
# documents, or this share of all, or are this many: each process reads those for itself.
TAIL_DOCS = 2000
TAIL_SHARE = 0.05
TAIL_SEGMENTS = 8
KEEP_BASES = 2  # the newest, and the one before it for a process that is just opening it


def newest_base(generation: Path, segment_ids: Sequence[str]) -> Path | None:
    """The newest base of a generation covering a prefix of its segments."""
    for path in bases(generation):
        covered = read_segments(path)
        if covered and list(covered) == list(segment_ids[: len(covered)]):
            return path
    return None


def write_base(generation: Path, reader: Any, *, force: bool = False) -> Path | None:
    """Write a new base of the generation's columns when the segments that the newest base
    lacks have grown past the bounds above (or always, with `force`, when it lacks any).
    Builds on the newest base: only the segments it lacks are read. The caller holds the
    node's lock (or owns a generation nobody searches yet). Returns the new base's folder."""
    leaves = [leaf for leaf, _ in reader.leaf_readers() if leaf.segment() is not None]
    segment_ids = [leaf.segment().segment_id() for leaf in leaves]
    previous = newest_base(generation, segment_ids)
    covered = len(read_segments(previous) or ()) if previous is not None else 0
    tail = leaves[covered:]
    if not tail:
        return None
    tail_docs = sum(leaf.doc_count_all() for leaf in tail)
    total = sum(leaf.doc_count_all() for leaf in leaves)
    small = tail_docs <= max(TAIL_DOCS, TAIL_SHARE * total) and len(tail) <= TAIL_SEGMENTS
    if small and not force:
        return None
    parts = [load(previous)] if previous is not None else []
    parts += [segment_columns(leaf) for leaf in tail]
    existing = bases(generation)
    number = int(existing[0].name[8:]) + 1 if existing else 1
    folder = generation / f"columns-{number:06d}"
    save(concat(parts), folder)
    for old in bases(generation)[KEEP_BASES:]:
        shutil.rmtree(old, ignore_errors=True)
    return folder
