"""An honest yardstick: the directory's search, answered by SQLite over tables built from the
database, checked against our engine before either is timed.

Same question, other machinery. The place is resolved by the same geocoder and `q` is read into
the same taxonomy concepts (the project's parser and analysers: what words mean is not what is
measured); everything after that is SQL over a separate file built once from the directory
database (read only, the source of truth):

- `docs`: one row per shown therapist: filter bits (`b0`.. one bit per filterable term) and
  bit-sliced facet columns (`c0`.. each a few counters, one per facet term, as wide as the
  term's document frequency needs: `sum(c)` over a result counts them all at once);
- `offices`: placed offices clustered by a 1/8-degree grid cell (WITHOUT ROWID), carrying
  their therapist's filter bits: a radius search reads a few key ranges and nothing else;
- `placed`: the same offices by therapist (distance to the nearest office of any result);
- `post`: postings (term, id) WITHOUT ROWID: structured terms carry the filter bits, text
  terms ("body:anxieti", "name:jose") a BM25 weight precomputed with the engine's formula;
- `terms`: each term's number, document frequency, filter bit and facet lane.

Before timing, every query's total, page of ids in order and facet counts must agree with
`find_page`; then both are timed interleaved in one process (wall and thread CPU time).

    PYTHONPATH=. python -m bench.sqlite_reference --instance INSTANCE [--runs 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.util.numeric import byte_to_length, length_to_byte

from directory.search.facets import FACETS
from directory.search.place import resolve_location
from directory.search.query import _WORD, QUALIFIERS, Concept, parse_query
from indexer.geo import EARTH_RADIUS_KM, KM_PER_MILE
from indexer.index import NAME_ANALYZER, STOP_WORDS, TEXT_ANALYZER, kw_term

# BM25 as the engine computes it (indexer/index/snapshot.py): Whoosh's defaults, names boosted.
B, K1 = 0.75, 1.2
BOOST = {"body": 1.0, "name": 2.0}
STRUCTURED_SCORE = 10.0  # a concept's taxonomy term listed (directory/search/query.py)
FILTER_KINDS = ("flag", "specialty", "modality", "client_type", "format", "profession")
FILTER_KINDS += ("language", "insurance", "licensed", "office_state")
FACET_KINDS = tuple(name for name, _ in FACETS)
GRID = 8  # cells per degree
COLS = 360 * GRID
RAD = math.pi / 180  # what math.radians and numpy.radians multiply by
FLAGS = {
    "couples": "sees_couples",
    "video": "offers_video",
    "intro_video": "video_url",
    "accepting": "accepting_new_clients",
    "free_consultation": "free_consultation",
    "sliding_scale": "sliding_scale",
}
LISTS = {
    "specialty": "specialties",
    "modality": "modalities",
    "client_type": "client_types",
    "format": "session_formats",
    "language": "languages",
    "profession": "professions",
    "insurance": "insurance",
}
TERM_PARAMS = {"specialty": "specialty", "modality": "modality", "format": "session_format"}
TERM_PARAMS["profession"] = "profession"
FORMAT = 2  # of the reference file: a file of another format is rebuilt
SHOWN = "published AND merged_into IS NULL"  # indexer/index/documents.py: SHOWN


# -- building ---------------------------------------------------------------------------------
def _ro(path: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def source_state(db: str | Path) -> list[Any]:
    """What identifies the source's content: a reference built from another state is stale."""
    src = _ro(db)
    try:
        sql = f"SELECT count(*), max(id), max(modified_at) FROM therapists WHERE {SHOWN}"
        return list(src.execute(sql).fetchone())
    finally:
        src.close()


def _structured(row: sqlite3.Row, licences: Iterable[str], states: Iterable[str]) -> set[str]:
    """The structured terms of one therapist, as the index spells them (schema.document)."""
    terms = {kw_term("flag", flag) for flag, column in FLAGS.items() if row[column]}
    for prefix, column in LISTS.items():
        terms.update(kw_term(prefix, v) for v in json.loads(row[column] or "[]") if v)
    licensed = {*licences, *json.loads(row["telehealth_states"] or "[]")}
    terms.update(kw_term("licensed", v) for v in licensed if v)
    terms.update(kw_term("office_state", v) for v in states if v)
    return terms


def build_reference(db: str | Path, target: str | Path) -> dict[str, Any]:
    """Build the reference file `target` (replaced atomically) from the directory database."""
    started = time.perf_counter()
    src = _ro(db)
    src.row_factory = sqlite3.Row
    licences: dict[int, set[str]] = {}
    for tid, state in src.execute("SELECT therapist_id, state FROM licenses WHERE state NOT NULL"):
        licences.setdefault(tid, set()).add(state)
    states: dict[int, set[str]] = {}
    offices: list[tuple[int, int, float, float]] = []
    for oid, tid, state, lat, lon in src.execute(
        "SELECT id, therapist_id, state, lat, lon FROM offices ORDER BY therapist_id, position, id"
    ):
        if state:
            states.setdefault(tid, set()).add(state)
        if lat is not None:  # the index keeps coordinates to 5 decimals (schema.encode_doc)
            offices.append((tid, oid, float(f"{lat:.5f}"), float(f"{lon:.5f}")))
    ids, fees, structured = [], [], []
    text: dict[str, int] = {}  # "body:term" -> number, in order of first use
    post_term, post_doc, post_tf = [], [], []
    lengths: dict[str, list[int]] = {"body": [], "name": []}
    for row in src.execute(f"SELECT * FROM therapists WHERE {SHOWN} ORDER BY id"):
        doc = len(ids)
        ids.append(row["id"])
        fees.append(-1 if row["fee_min"] is None else row["fee_min"])
        structured.append(_structured(row, licences.get(row["id"], ()), states.get(row["id"], ())))
        tags = json.loads(row["tags"] or "[]")
        body = " ".join(filter(None, (row["bio"], row["approach"], *tags)))
        for field, value, analyzer in (
            ("body", body, TEXT_ANALYZER),
            ("name", row["name"] or "", NAME_ANALYZER),
        ):
            freqs = Counter(t.text for t in analyzer(value))
            lengths[field].append(sum(freqs.values()))
            for term, freq in freqs.items():
                post_term.append(text.setdefault(f"{field}:{term}", len(text)))
                post_doc.append(doc)
                post_tf.append(freq * BOOST[field])  # Whoosh's posting weight: freq x boost
    src.close()

    n = len(ids)
    kw_terms = sorted({t for terms in structured for t in terms})
    filter_terms = [t for t in kw_terms if t.split(":", 1)[0] in FILTER_KINDS]
    facet_terms = [t for t in kw_terms if t.split(":", 1)[0] in FACET_KINDS]
    bit = {t: i for i, t in enumerate(filter_terms)}
    nb = max(1, -(-len(filter_terms) // 63))
    df = Counter(t for terms in structured for t in terms)
    lane = pack_lanes({t: df[t] for t in facet_terms})
    nc = 1 + max((at >> 6 for at in lane.values()), default=0)
    names = sorted([*kw_terms, *text])
    number = {t: i for i, t in enumerate(names)}

    # BM25 weights, operation for operation as Snapshot.term_scores.
    terms_of = np.array([number[t] for t in text], dtype=np.int64)[np.array(post_term)]
    docs_of = np.array(post_doc, dtype=np.int64)
    tf = np.array(post_tf, dtype=np.float64)
    text_df = np.bincount(np.array(post_term), minlength=len(text))
    weights = np.zeros(len(tf))
    # math.log, not numpy's: the engine takes the logarithm of one term at a time.
    idf = np.array([math.log(max(1, n) / (int(df) + 1)) + 1.0 for df in text_df])
    field_of = np.array([t.startswith("body:") for t in text])[np.array(post_term)]
    for field, is_body in (("body", True), ("name", False)):
        exact = np.array(lengths[field], dtype=np.int64)
        stored = np.array([byte_to_length(length_to_byte(x)) for x in range(exact.max() + 1)])
        avg = (float(exact.sum()) / max(1, n)) or 1.0
        sel = field_of == is_body
        idf_of = idf[np.array(post_term)[sel]]
        norm = K1 * ((1 - B) + B * stored[exact[docs_of[sel]]] / avg)
        t = tf[sel]
        weights[sel] = BOOST[field] * idf_of * t * (K1 + 1) / (t + norm)
    for t, i in text.items():
        df[t] = int(text_df[i])

    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp, isolation_level=None)
    bits = [f"b{j}" for j in range(nb)]
    lanes = [f"c{j}" for j in range(nc)]
    conn.executescript(f"""
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;
        PRAGMA page_size=8192; BEGIN;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE terms (term TEXT PRIMARY KEY, tid INTEGER, df INTEGER,
                            bit INTEGER, lane INTEGER) WITHOUT ROWID;
        CREATE TABLE docs (id INTEGER PRIMARY KEY, fee INTEGER, {", ".join(bits + lanes)});
        CREATE TABLE offices (cell INTEGER, oid INTEGER, id INTEGER, rlat REAL, coslat REAL,
                              lon REAL, {", ".join(bits)}, PRIMARY KEY (cell, oid)) WITHOUT ROWID;
        CREATE TABLE placed (id INTEGER, oid INTEGER, rlat REAL, coslat REAL, lon REAL,
                             PRIMARY KEY (id, oid)) WITHOUT ROWID;
        CREATE TABLE post (tid INTEGER, id INTEGER, w REAL, {", ".join(bits)},
                           PRIMARY KEY (tid, id)) WITHOUT ROWID;
    """)
    conn.executemany(
        "INSERT INTO terms VALUES (?, ?, ?, ?, ?)",
        [(t, i, df[t], bit.get(t), lane.get(t)) for i, t in enumerate(names)],
    )
    doc_bits = []
    doc_rows = []
    for d, terms in enumerate(structured):
        b, c = [0] * nb, [0] * nc
        for t in terms:
            if t in bit:
                b[bit[t] // 63] |= 1 << bit[t] % 63
            if t in lane:
                c[lane[t] >> 6] |= 1 << (lane[t] & 63)
        doc_bits.append(b)
        doc_rows.append((ids[d], fees[d], *b, *c))
    conn.executemany(f"INSERT INTO docs VALUES ({', '.join('?' * (2 + nb + nc))})", doc_rows)
    by_id = {tid: d for d, tid in enumerate(ids)}
    placed = [(tid, oid, lat, lon) for tid, oid, lat, lon in offices if tid in by_id]
    conn.executemany(
        "INSERT INTO placed VALUES (?, ?, ?, ?, ?)",
        [(tid, oid, lat * RAD, math.cos(lat * RAD), lon) for tid, oid, lat, lon in placed],
    )
    cells = sorted(
        (
            _cell(*_row_col(lat, lon)),
            oid,
            tid,
            lat * RAD,
            math.cos(lat * RAD),
            lon,
            *doc_bits[by_id[tid]],
        )
        for tid, oid, lat, lon in placed
    )
    conn.executemany(f"INSERT INTO offices VALUES ({', '.join('?' * (6 + nb))})", cells)
    # Postings in key order: structured ones with their document's filter bits, text ones with
    # their BM25 weight.
    kw_rows = sorted(
        (number[t], ids[d], None, *doc_bits[d]) for d, terms in enumerate(structured) for t in terms
    )
    conn.executemany(f"INSERT INTO post VALUES ({', '.join('?' * (3 + nb))})", kw_rows)
    del kw_rows
    order = np.lexsort((docs_of, terms_of))
    id_array = np.array(ids, dtype=np.int64)
    conn.executemany(
        "INSERT INTO post (tid, id, w) VALUES (?, ?, ?)",
        zip(
            terms_of[order].tolist(),
            id_array[docs_of[order]].tolist(),
            weights[order].tolist(),
            strict=True,
        ),
    )
    meta = {"documents": n, "bits": nb, "lanes": nc, "source": source_state(db)}
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    tmp.replace(target)
    return {
        "documents": n,
        "postings": len(tf) + sum(map(len, structured)),
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": target.stat().st_size,
    }


def pack_lanes(df: dict[str, int]) -> dict[str, int]:
    """Each facet term's lane (column << 6 | shift): as many bits as its document frequency
    needs, packed first-fit into 63-bit integers. Summing a column over any set of results
    then counts every term in it at once: a lane never carries into the next."""
    used: list[int] = []  # bits taken in each column
    lanes = {}
    for term in sorted(df, key=lambda t: (-df[t].bit_length(), t)):
        width = df[term].bit_length()
        col = next((j for j, bits in enumerate(used) if bits + width <= 63), len(used))
        if col == len(used):
            used.append(0)
        lanes[term], used[col] = col << 6 | used[col], used[col] + width
    return lanes


def _row_col(lat: float, lon: float) -> tuple[int, int]:
    return min(180 * GRID - 1, int((lat + 90) * GRID)), min(COLS - 1, int((lon + 180) * GRID))


def _cell(row: int, col: int) -> int:
    return row * 4096 + col


def cell_ranges(lat: float, lon: float, km: float) -> list[tuple[int, int]]:
    """Key ranges of the grid cells covering every point within `km` of (lat, lon): a band of
    rows, and in each the columns of the widest longitude a point that near can have."""
    delta = km / EARTH_RADIUS_KM  # the radius as an angle
    dlat = math.degrees(delta) * (1 + 1e-9) + 1e-9
    cos = math.cos(math.radians(min(90.0, abs(lat) + dlat)))
    wide = delta >= math.pi / 2 or math.sin(delta) >= cos
    dlon = 180.0 if wide else math.degrees(math.asin(math.sin(delta) / cos)) * (1 + 1e-9) + 1e-9
    (r0, c0), (r1, c1) = (
        _row_col(max(-90, lat - dlat), lon - dlon),
        _row_col(lat + dlat, lon + dlon),
    )
    if dlon >= 180.0:
        spans = [(0, COLS - 1)]
    else:  # longitudes wrap at the antimeridian
        c0, c1 = int((lon - dlon + 180) * GRID), int((lon + dlon + 180) * GRID)
        spans = [(max(0, c0), min(COLS - 1, c1))]
        if c0 < 0:
            spans.append((c0 + COLS, COLS - 1))
        if c1 >= COLS:
            spans.append((0, c1 - COLS))
    return [(_cell(r, a), _cell(r, b)) for r in range(r0, r1 + 1) for a, b in spans]


# -- answering --------------------------------------------------------------------------------
@dataclass
class Answer:
    total: int
    ids: list[int]  # the requested page, in order
    facets: dict[str, dict[str, int]]  # facet -> value -> count (values none holds left out)


# The engine's haversine (indexer.geo.haversine_km_array), the same operations in order.
HAVERSINE = """(:two_r * asin(min(1.0, sqrt(
    sin((x.rlat - :p1) / 2) * sin((x.rlat - :p1) / 2)
    + :cos_p1 * x.coslat * (sin((x.lon - :lon) * :rad / 2) * sin((x.lon - :lon) * :rad / 2))))))"""
# Concepts of `q` (one text-score column each in `hits`): bits 0.. of `hits.f` say which
# concept's taxonomy term a document lists, bits WORD_BIT.. which query words it holds.
CONCEPTS, WORD_BIT = 20, 20


class Reference:
    """Answers validated search arguments (directory/search/params.py) from a reference file."""

    def __init__(self, path: str | Path, taxonomy: Any, geocoder: Any) -> None:
        self.taxonomy, self.geocoder = taxonomy, geocoder
        self.conn = _ro(path)
        self.conn.isolation_level = None
        self.conn.executescript(f"""
            PRAGMA mmap_size=1073741824; PRAGMA cache_size=-200000; PRAGMA temp_store=MEMORY;
            CREATE TEMP TABLE cand (id INTEGER PRIMARY KEY, km REAL, remote INTEGER);
            CREATE TEMP TABLE hits (id INTEGER PRIMARY KEY, km REAL, remote INTEGER, f INTEGER,
                                    {", ".join(f"t{c} REAL" for c in range(CONCEPTS))});
        """)
        meta = {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}
        self.nb, self.nc = meta["bits"], meta["lanes"]
        # Structured terms (a few hundred): number, document frequency, filter bit, lane.
        self.kw: dict[str, tuple[int, int, int | None, int | None]] = {
            t: (tid, df, bit, lane)
            for t, tid, df, bit, lane in self.conn.execute(
                "SELECT term, tid, df, bit, lane FROM terms WHERE bit NOT NULL OR lane NOT NULL"
                " OR term GLOB 'licensed:*' OR term GLOB 'office_state:*'"
            )
        }
        self.lanes = [  # (column, shift, mask, facet, value) of each facet term
            (lane >> 6, lane & 63, (1 << df.bit_length()) - 1, *t.split(":", 1))
            for t, (_, df, _, lane) in self.kw.items()
            if lane is not None
        ]
        self.bits = " AND ".join(f"(x.b{j} & :m{j}) = :m{j}" for j in range(self.nb))
        self.facet_sql = (
            f"SELECT {', '.join(f'sum(d.c{j})' for j in range(self.nc))}"
            " FROM temp.hits h CROSS JOIN docs d ON d.id = h.id"
        )

    def close(self) -> None:
        self.conn.close()

    def search(self, args: dict[str, Any]) -> Answer:
        """The total, the requested page and the facet counts of one search."""
        place = resolve_location(args, self.geocoder)
        concepts = parse_query(args.get("q") or "", self.taxonomy)
        terms = self._filter_terms(args)
        if terms is None or any(t not in self.kw for t in terms):  # a value nobody holds
            return Answer(0, [], {name: {} for name in FACET_KINDS})
        params: dict[str, Any] = {"fee": args.get("max_fee")}
        where = self.bits
        if params["fee"] is not None:
            where += " AND (SELECT fee FROM docs d WHERE d.id = x.id) BETWEEN 0 AND :fee"
        self.conn.execute("DELETE FROM temp.cand")
        self.conn.execute("DELETE FROM temp.hits")
        into = "temp.cand" if concepts else "temp.hits"
        if place is not None:
            self._place(args, place, terms, into, where, params)
        elif not concepts:
            self._holding(terms, into, "x.id, NULL, 0", where, params)
        score = "0.0"
        if concepts:
            keep = f"EXISTS (SELECT 1 FROM docs x WHERE x.id = hits.id AND {where})"
            filtered = place is None and (terms or params["fee"] is not None)
            params.update(self._masks(terms))
            score = self._match(concepts, place is not None, keep if filtered else None, params)
        total = self.conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        page = [
            r[0]
            for r in self.conn.execute(
                f"SELECT id FROM temp.hits ORDER BY {self._order(args, place, score)}"
                " LIMIT :n OFFSET :skip",
                {"n": args["per_page"], "skip": (args["page"] - 1) * args["per_page"]},
            )
        ]
        return Answer(total, page, self._facets() if total else {n: {} for n in FACET_KINDS})

    def _filter_terms(self, args: dict[str, Any]) -> list[str] | None:
        """The structured terms every result must hold (filters.build_filters); None for a
        taxonomy value that does not exist (the engine answers 400)."""
        terms = [f"flag:{p}" for p in FLAGS if args.get(p) is True]
        for param, kind in TERM_PARAMS.items():
            for text in args.get(param, ()):
                if (res := self.taxonomy.resolve(kind, text)) is None:
                    return None
                terms.append(f"{'format' if param == 'format' else kind}:{res.term.slug}")
        for param in ("language", "insurance"):
            terms += [f"{param}:{text.strip().lower()}" for text in args.get(param, ())]
        return terms

    def _holding(
        self, terms: list[str], into: str, columns: str, where: str, params: dict[str, Any]
    ) -> None:
        """Insert into `into` (OR IGNORE: ids already in stay) the documents holding every
        term and passing `where`: the rarest term's postings, the others checked by their
        bits; every document without terms."""
        if any(t not in self.kw for t in terms):
            return
        source = "docs x"
        if terms:
            source = "post x"
            where += " AND x.tid = :t"
            params["t"] = min((self.kw[t][1], self.kw[t][0]) for t in terms)[1]
        self.conn.execute(
            f"INSERT OR IGNORE INTO {into} (id, km, remote) SELECT {columns} FROM {source}"
            f" WHERE {where}",
            {**params, **self._masks(terms)},
        )

    def _place(
        self,
        args: dict[str, Any],
        place: Any,
        terms: list[str],
        into: str,
        where: str,
        params: dict[str, Any],
    ) -> None:
        """keep_nearby: therapists with an office within the radius (with the distance to their
        nearest office) or, for a state, in the state; then for video searches the remote
        ones licensed in the place's state."""
        p1 = place.lat * RAD
        params.update(two_r=2 * EARTH_RADIUS_KM, p1=p1, cos_p1=math.cos(p1), lon=place.lon)
        params["rad"] = RAD
        if place.precision == "state":
            nearest = (
                f"(SELECT min({HAVERSINE.replace('x.', 'o.')}) FROM placed o WHERE o.id = x.id)"
            )
            state = kw_term("office_state", place.state or "")
            self._holding([*terms, state], into, f"x.id, {nearest}, 0", where, params)
        else:
            unit = KM_PER_MILE if args["unit"] == "mi" else 1.0
            params["radius"] = args["radius"] * unit
            params["ranges"] = json.dumps(cell_ranges(place.lat, place.lon, params["radius"]))
            self.conn.execute(
                f"""INSERT INTO {into} (id, km, remote)
                SELECT x.id, min({HAVERSINE}) AS km, 0
                FROM json_each(:ranges) r CROSS JOIN offices x
                    ON x.cell BETWEEN r.value ->> 0 AND r.value ->> 1
                WHERE {where} GROUP BY x.id HAVING km <= :radius""",
                {**params, **self._masks(terms)},
            )
        if args.get("video") is True and place.state:
            licensed = kw_term("licensed", place.state)
            self._holding([*terms, licensed], into, "x.id, NULL, 1", where, params)

    def _masks(self, terms: list[str]) -> dict[str, int]:
        """The parameters :m0.. of `self.bits` that require every term."""
        masks = {f"m{j}": 0 for j in range(self.nb)}
        for t in terms:
            bit = self.kw[t][2]
            assert bit is not None, t
            masks[f"m{bit // 63}"] |= 1 << bit % 63
        return masks

    def _match(
        self, concepts: list[Concept], local: bool, keep: str | None, params: dict[str, Any]
    ) -> str:
        """Fill `hits` with the candidates (without a place: the documents passing `keep`) that
        match every concept, and return the SQL of their score (query.scores: per concept, 10
        for a listed taxonomy term, plus the BM25 weights of its words' terms when every word
        is in the name or the bio). Each posting of a query term is added to its document's
        row: the concepts it lists and words it holds (bits of `f`), text scores per concept
        summed in the engine's order."""
        rows, words = self._query_terms(concepts)
        if len(concepts) > CONCEPTS or WORD_BIT + sum(map(len, words)) > 63:
            raise ValueError("too many words for the reference")
        n = range(len(concepts))
        text = [f"IIF(q.c = {c} AND q.bit >= {WORD_BIT}, p.w, 0.0)" for c in n]
        if local:  # each candidate's postings of the query's terms: one lookup each
            source = "temp.cand x CROSS JOIN q CROSS JOIN post p ON p.tid = q.tid AND p.id = x.id"
            columns = "x.km, x.remote"
        else:
            source, columns = "q CROSS JOIN post p ON p.tid = q.tid", "NULL, 0"
        self.conn.execute(
            f"""WITH q(tid, c, bit) AS MATERIALIZED
                (SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:q))
            INSERT INTO temp.hits (id, km, remote, f, {", ".join(f"t{c}" for c in n)})
            SELECT p.id, {columns}, 1 << q.bit, {", ".join(text)} FROM {source} WHERE true
            ON CONFLICT (id) DO UPDATE SET f = f | excluded.f,
                {", ".join(f"t{c} = t{c} + excluded.t{c}" for c in n)}""",
            {"q": json.dumps(rows)},
        )
        score, match = "0.0", []
        for c, mine in enumerate(words):
            held = sum(1 << WORD_BIT + k for k in mine)
            in_text = f"(f & {held}) = {held}" if mine else "0"
            score = (
                f"(({score} + {STRUCTURED_SCORE} * ((f >> {c}) & 1)) + IIF({in_text}, t{c}, 0.0))"
            )
            match.append(f"((f >> {c}) & 1 OR {in_text})")
        # A document with a posting of the only concept's only word (or term) matches.
        if len(concepts) > 1 or len(words[0]) > 1 or keep:
            drop = f"NOT ({' AND '.join(match)})" + (f" OR NOT {keep}" if keep else "")
            self.conn.execute(f"DELETE FROM temp.hits WHERE {drop}", params)
        return score

    def _query_terms(self, concepts: list[Concept]) -> tuple[list[list[int]], list[list[int]]]:
        """The query's terms as [term number, concept, bit of f] rows, and each concept's
        words (numbers k: bit WORD_BIT + k), as match_concept reads the concepts."""
        rows: list[list[int]] = []
        words: list[list[int]] = []
        k = 0
        for c, concept in enumerate(concepts):
            for res in concept.terms:
                kind = "format" if res.term.kind == "session_format" else res.term.kind
                if (found := self.kw.get(f"{kind}:{res.term.slug}")) is not None:
                    rows.append([found[0], c, c])
            mine: list[int] = []
            if not concept.structured_only:
                texts = [w for w in _WORD.findall(concept.text) if w.lower() not in STOP_WORDS]
                if concept.terms:
                    texts = [w for w in texts if w.lower() not in QUALIFIERS] or texts
                fuzzy = not concept.terms or concept.corrected
                for text in texts or [concept.text]:
                    rows += [[tid, c, WORD_BIT + k] for tid in self._word_terms(text, fuzzy)]
                    mine.append(k)
                    k += 1
            words.append(mine)
        return rows, words

    def _word_terms(self, word: str, fuzzy: bool) -> list[int]:
        """Term numbers a query word matches in names and bios (Snapshot.text_match): its
        own terms, or when none is in the index, every term within one or two edits."""
        found, unknown = [], []
        for field, analyzer in (("body", TEXT_ANALYZER), ("name", NAME_ANALYZER)):
            for token in analyzer(word):
                row = self.conn.execute(
                    "SELECT tid FROM terms WHERE term = ?", (f"{field}:{token.text}",)
                ).fetchone()
                if row:
                    found.append(row[0])
                elif fuzzy and len(token.text) >= 4:
                    unknown.append((field, token.text))
        if found:
            return found
        for field, text in unknown:
            start = f"{field}:{text[0]}"
            vocab = dict(
                self.conn.execute(
                    "SELECT substr(term, ?), tid FROM terms WHERE term >= ? AND term < ?",
                    (len(field) + 2, start, start[:-1] + chr(ord(start[-1]) + 1)),
                )
            )
            near = process.extract(
                text,
                list(vocab),
                scorer=DamerauLevenshtein.distance,
                score_cutoff=1 if len(text) < 7 else 2,
                limit=None,
            )
            found += [vocab[m] for m in sorted(m for m, _, _ in near)]
        return found

    @staticmethod
    def _order(args: dict[str, Any], place: Any, score: str) -> str:
        """evaluate.Outcome.page: nearest first with a place and no text, else most relevant
        first; remote ones after local ones; ties by therapist id."""
        distance = "IIF(remote, 0.0, coalesce(km, 9e999))" if place else "0.0"
        sort = args.get("sort")
        if sort == "distance" or (sort is None and place is not None and not args.get("q")):
            return f"remote, {distance}, {score} DESC, id"
        if score != "0.0":
            return f"{score} DESC, remote, {distance}, id"
        return "id"  # no ranking asked for: index order, which is id order when built in one go

    def _facets(self) -> dict[str, dict[str, int]]:
        """Counts of each facet value over the results, from the summed lane columns."""
        out: dict[str, dict[str, int]] = {name: {} for name in FACET_KINDS}
        sums = self.conn.execute(self.facet_sql).fetchone()
        for col, shift, mask, name, value in self.lanes:
            if count := sums[col] >> shift & mask:
                out[name][value] = count
        return out


# -- the benchmark --------------------------------------------------------------------------
PLACES = ["10001", "60614", "94110", "78701", "02139"]
SPECIALTIES = ["polyamory", "attachment", "communication", "infidelity", "lgbtq"]
PHRASES = ["attachment trust", "emotionally focused", "sex therapy", "communication"]
PHRASES += ["blended family"]
WORDS = ["anxiety", "grief", "gottman", "trauma emdr", "jose", "burnout", "intimacy", "depression"]
FACET_LIMIT = 60  # facet_counts lists at most this many values of each facet


def mix() -> dict[str, list[dict[str, str]]]:
    """The benchmark's fixed query mix (bench/search_bench.py runs it too): query class ->
    query strings as a visitor sends them."""
    local = [
        {"near": z, "couples": "true", "specialty": s, "video": "true"}
        for z, s in zip(PLACES, SPECIALTIES, strict=True)
    ]
    with_q = [{**p, "q": q} for p, q in zip(local, PHRASES, strict=True)]
    text = [{"q": w} for w in WORDS]
    return {
        "place+filters+facets": [*local, {**local[0], "page": "2"}],
        "place+filters+q+facets": [*with_q, {**with_q[1], "page": "2"}],
        "q alone": [*text, {**text[0], "page": "2"}],
        "state+filters(+q)+facets": [
            {"near": "NY", "couples": "true", "video": "true"},
            {"near": "Texas", "specialty": "anxiety", "q": "emdr"},
        ],
    }


def disagreements(ours: Any, ref: Answer) -> list[str]:
    """How a reference answer differs from find_page's (empty: they agree)."""
    out = []
    if ours.total != ref.total:
        out.append(f"total: ours {ours.total}, sqlite {ref.total}")
    if ours.ids != ref.ids:
        at = next(
            (i for i, (a, b) in enumerate(zip(ours.ids, ref.ids, strict=False)) if a != b),
            min(len(ours.ids), len(ref.ids)),
        )
        out.append(
            f"page from position {at}: ours {ours.ids[at : at + 5]}, sqlite {ref.ids[at : at + 5]}"
        )
    for name, values in ours.facets.items():
        mine = {v["value"]: v["count"] for v in values}
        theirs = ref.facets.get(name, {})
        if len(values) >= FACET_LIMIT:  # ours is cut: the rest must not count more
            floor = min(mine.values())
            out += [
                f"{name}:{k} beyond the cut: {n}"
                for k, n in theirs.items()
                if k not in mine and n > floor
            ]
            theirs = {k: n for k, n in theirs.items() if k in mine}
        for k in sorted(set(mine) | set(theirs)):
            if mine.get(k) != theirs.get(k):
                out.append(f"facet {name}:{k}: ours {mine.get(k)}, sqlite {theirs.get(k)}")
    return out


def open_reference(instance: Path, rebuild: bool = False) -> tuple[Path, dict[str, Any]]:
    """The instance's reference file, built when missing, stale or asked for."""
    db, path = instance / "directory.sqlite3", instance / "reference.sqlite3"
    marker = instance / "reference.json"
    state = {"source": source_state(db), "format": FORMAT}
    built = json.loads(marker.read_text()) if marker.exists() else {}
    if rebuild or any(built.get(k) != v for k, v in state.items()) or not path.exists():
        built = {**build_reference(db, path), **state}
        marker.write_text(json.dumps(built))
    return path, built


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p99": round(p99, 3)}


def compare(instance: Path, runs: int, warmup: int, rebuild: bool = False) -> dict[str, Any]:
    """Check every query of the mix against find_page, then time both, interleaved."""
    from werkzeug.datastructures import MultiDict

    from directory import create_app
    from directory.parts import geocoder, taxonomy
    from directory.search.params import load_args
    from directory.search.response import find_page

    path, built = open_reference(instance, rebuild)
    app = create_app(instance_path=str(instance))
    with app.app_context():
        ref = Reference(path, taxonomy(), geocoder())
        queries = [(kind, p, load_args(MultiDict(p))) for kind, ps in mix().items() for p in ps]
        problems = {}
        for _, p, args in queries:
            if found := disagreements(find_page(args), ref.search(args)):
                problems[json.dumps(p)] = found
        if problems:
            raise SystemExit("the reference disagrees:\n" + json.dumps(problems, indent=2))
        sides: dict[str, Callable[[dict[str, Any]], Any]] = {
            "ours": find_page,
            "sqlite": ref.search,
        }
        times = {(i, s, m): [] for i in range(len(queries)) for s in sides for m in ("wall", "cpu")}
        for rep in range(warmup + runs):
            for i, (_, _, args) in enumerate(queries):
                for side in sorted(sides, reverse=(rep + i) % 2 == 1):  # who goes first alternates
                    wall, cpu = time.perf_counter(), time.thread_time()
                    sides[side](args)
                    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                    if rep >= warmup:
                        times[i, side, "wall"].append(wall * 1e3)
                        times[i, side, "cpu"].append(cpu * 1e3)
        ref.close()
    classes: dict[str, Any] = {}
    for kind in mix():
        mine = [i for i, q in enumerate(queries) if q[0] == kind]
        row: dict[str, Any] = {"queries": len(mine)}
        for m in ("wall", "cpu"):
            for s in sides:
                row[f"{s}_{m}_ms"] = _stats([t for i in mine for t in times[i, s, m]])
            row[f"ratio_{m}"] = round(
                row[f"ours_{m}_ms"]["median"] / row[f"sqlite_{m}_ms"]["median"], 2
            )
        classes[kind] = row
    per_query = [
        {
            "class": kind,
            "query": p,
            **{
                f"{s}_{m}_median_ms": _stats(times[i, s, m])["median"]
                for s in sides
                for m in ("wall", "cpu")
            },
        }
        for i, (kind, p, _) in enumerate(queries)
    ]
    return {
        "agreement": {"queries": len(queries), "disagreements": 0},
        "reference": built,
        "runs": runs,
        "classes": classes,
        "queries": per_query,
    }


def table(report: dict[str, Any]) -> str:
    """The report's classes as a text table (milliseconds, median / p99)."""
    lines = [
        f"{'class':26} {'n':>2}  {'ours wall':>15} {'sqlite wall':>15} {'ratio':>5}"
        f"  {'ours cpu':>15} {'sqlite cpu':>15} {'ratio':>5}"
    ]
    for kind, row in report["classes"].items():
        cells = []
        for m in ("wall", "cpu"):
            for s in ("ours", "sqlite"):
                v = row[f"{s}_{m}_ms"]
                cells.append(f"{v['median']:7.2f} /{v['p99']:7.2f}")
            cells.append(f"{row[f'ratio_{m}']:5.2f}")
        lines.append(f"{kind:26} {row['queries']:>2}  {' '.join(cells[:3])}  {' '.join(cells[3:])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", required=True, help="an instance folder (bench/instances.py)")
    parser.add_argument("--runs", type=int, default=30, help="timed repetitions of each query")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the reference file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    report = compare(Path(args.instance).resolve(), args.runs, args.warmup, args.rebuild)
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
