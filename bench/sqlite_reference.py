"""A reference implementation of the directory's search on SQLite FTS5 + R*Tree.

The yardstick of a benchmark that runs the same queries on our Whoosh search and here, and
reports "ours / SQLite". It reads the directory database (never writes it) into a separate
SQLite file of the published therapists: `fts` (FTS5 over name and body = bio, approach, tags;
rowid = therapist id), `office_rtree` (placed offices) with `office_map` (office -> therapist,
exact lat/lon), and `therapist_terms` (the structured terms of our index's `kw` field).

    .venv/bin/python bench/sqlite_reference.py --db instance/directory.sqlite3 --out /tmp/ref.db
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# The same term spelling and distance formula as the index, so both sides agree on what
# matches and what is within a radius (imported, not copied, so they cannot drift apart).
from indexer.geo import haversine_km
from indexer.index import kw_term

DEFAULT_RADIUS_KM = 25 * 1.609344  # the API's default: 25 miles
FACET_KINDS = ("specialty", "modality", "client_type", "language", "insurance")
# Whoosh's STOP_WORDS: our analyzer drops these and one-letter words, so a word that our index
# ignores must not become a required FTS5 token here.
STOP_WORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "have",
        "if",
        "in",
        "is",
        "it",
        "may",
        "not",
        "of",
        "on",
        "or",
        "tbd",
        "that",
        "the",
        "this",
        "to",
        "us",
        "we",
        "when",
        "will",
        "with",
        "yet",
        "you",
        "your",
    )
)

# Contentless FTS5 (content=''): search needs ids and bm25, never the stored text.
SCHEMA = """
CREATE VIRTUAL TABLE fts USING fts5(name, body, content='',
                                    tokenize="porter unicode61 remove_diacritics 2");
CREATE VIRTUAL TABLE office_rtree USING rtree(id, minlat, maxlat, minlon, maxlon);
CREATE TABLE office_map (office_id INTEGER PRIMARY KEY, therapist_id INTEGER, lat REAL, lon REAL);
CREATE TABLE therapist_terms (therapist_id INTEGER, term TEXT,
                              PRIMARY KEY (therapist_id, term)) WITHOUT ROWID;
"""

# Our index's `kw` terms, as indexer.search_index.document() makes them (less the geohash
# cells, which the R*Tree replaces): list columns, flags, licence and office states.
LIST_TERMS = {
    "specialty": "specialties",
    "modality": "modalities",
    "client_type": "client_types",
    "format": "session_formats",
    "language": "languages",
    "insurance": "insurance",
    "tag": "tags",
}
FLAGS = {
    "couples": "sees_couples",
    "video": "offers_video",
    "intro_video": "video_url",
    "accepting": "accepting_new_clients",
    "free_consultation": "free_consultation",
    "sliding_scale": "sliding_scale",
}
THERAPIST_COLUMNS = [
    "id",
    "name",
    "bio",
    "approach",
    "telehealth_states",
    *LIST_TERMS.values(),
    *FLAGS.values(),
]


def _ro_uri(path: str) -> str:
    # as_uri() percent-escapes the path; mode=ro guarantees the file is never written.
    return Path(path).resolve().as_uri() + "?mode=ro"


def _terms(row: sqlite3.Row, licences: Iterable[str], office_states: Iterable[str]) -> list[str]:
    """The sorted structured terms of one therapist row (list columns still JSON text)."""
    terms = {kw_term("flag", flag) for flag, column in FLAGS.items() if row[column]}
    for prefix, column in LIST_TERMS.items():
        terms.update(kw_term(prefix, v) for v in json.loads(row[column]) if v)
    licensed = {*licences, *json.loads(row["telehealth_states"])}  # as the index: both kinds
    terms.update(kw_term("licensed", v) for v in licensed if v)
    terms.update(kw_term("office_state", v) for v in office_states if v)
    return sorted(terms)


def build_reference(source_db: str, target_db: str) -> dict:
    """Build the reference database `target_db` (replaced) from the directory's `source_db`.

    One pass over the published therapists in id order, so that every table is appended to
    in key order. Returns build seconds, the number of therapists and the file size in bytes.
    """
    started = time.perf_counter()
    (target := Path(target_db)).unlink(missing_ok=True)
    src = sqlite3.connect(_ro_uri(source_db), uri=True)
    src.row_factory = sqlite3.Row
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        # A scratch file rebuilt from the source at will: durability buys nothing here.
        conn.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "PRAGMA cache_size=-200000; BEGIN;" + SCHEMA
        )
        licences: dict[int, set[str]] = {}
        for tid, state in src.execute("SELECT therapist_id, state FROM licenses"):
            licences.setdefault(tid, set()).add(state)
        office_states: dict[int, set[str]] = {}
        offices = []  # placed offices of published therapists
        for oid, tid, state, lat, lon, published in src.execute(
            "SELECT o.id, o.therapist_id, o.state, o.lat, o.lon, t.published FROM offices o"
            " JOIN therapists t ON t.id = o.therapist_id ORDER BY o.id"
        ):
            office_states.setdefault(tid, set()).add(state)
            if published and lat is not None and lon is not None:
                offices.append((oid, tid, lat, lon))
        cursor = src.execute(
            f"SELECT {', '.join(THERAPIST_COLUMNS)} FROM therapists WHERE published ORDER BY id"
        )
        while chunk := cursor.fetchmany(5000):  # bounded memory, few executemany calls
            docs, terms = [], []
            for row in chunk:
                tid, tags = row["id"], json.loads(row["tags"])
                # The index's body: bio, approach and unknown-term tags (HTML as stored).
                docs.append(
                    (tid, row["name"], " ".join(filter(None, (row["bio"], row["approach"], *tags))))
                )
                terms += [
                    (tid, t) for t in _terms(row, licences.get(tid, ()), office_states.get(tid, ()))
                ]
            conn.executemany("INSERT INTO fts (rowid, name, body) VALUES (?, ?, ?)", docs)
            conn.executemany("INSERT INTO therapist_terms VALUES (?, ?)", terms)
        # Exact coordinates in office_map: the R*Tree keeps 32-bit floats (rounded outwards),
        # right for a bounding box, not for a distance.
        conn.executemany("INSERT INTO office_map VALUES (?, ?, ?, ?)", offices)
        conn.executemany(
            "INSERT INTO office_rtree VALUES (?, ?, ?, ?, ?)",
            [(oid, lat, lat, lon, lon) for oid, _, lat, lon in offices],
        )
        conn.execute("COMMIT")
        # Secondary indexes after the inserts: one sort beats maintaining them row by row.
        conn.execute("CREATE INDEX therapist_terms_term ON therapist_terms (term, therapist_id)")
        conn.execute("CREATE INDEX office_map_therapist ON office_map (therapist_id, lat, lon)")
        conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")  # one segment per term
        # Names weigh twice the body, as the index's name field (field_boost=2.0).
        conn.execute("INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')")
        conn.execute("ANALYZE")
        rows = conn.execute("SELECT count(*) FROM fts_docsize").fetchone()[0]
    finally:
        conn.close()
        src.close()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "rows": rows,
        "bytes": target.stat().st_size,
    }


def fts_query(q: str | None) -> str | None:
    """The FTS5 query of user text: every word required, each one a quoted token.

    Quoting makes any input valid syntax (no operators, columns, prefixes or NEAR); words are
    \\w runs, so they hold no quote to escape. None when no word is left.
    """
    words = [w for w in re.findall(r"\w+", (q or "").lower()) if len(w) > 1]
    return " ".join(f'"{w}"' for w in dict.fromkeys(words) if w not in STOP_WORDS) or None


class ReferenceSearch:
    """Searches a reference database built by build_reference()."""

    def __init__(self, path: str) -> None:
        # One connection shared by threads; the lock serialises searches, as each one fills
        # the connection's temp table of hits (in result order: pos).
        self.conn = sqlite3.connect(
            _ro_uri(path), uri=True, check_same_thread=False, isolation_level=None
        )
        self.conn.create_function("haversine_km", 4, haversine_km, deterministic=True)
        self.conn.executescript(
            "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-100000; PRAGMA mmap_size=1073741824;"
            "CREATE TEMP TABLE hits (pos INTEGER PRIMARY KEY, id INTEGER, dist REAL);"
        )
        self.lock = threading.Lock()
        # Document frequencies, so that filters are probed rarest first (see _probes).
        self.df = dict(
            self.conn.execute("SELECT term, count(*) FROM therapist_terms GROUP BY term")
        )

    def close(self) -> None:
        self.conn.close()

    def search(
        self,
        *,
        lat: float | None = None,
        lon: float | None = None,
        radius_km: float | None = None,
        state: str | None = None,
        couples: bool = False,
        specialties: Iterable[str] = (),
        modalities: Iterable[str] = (),
        video: bool = False,
        q: str | None = None,
        facets: bool = True,
        limit: int = 20,
    ) -> dict:
        """Published therapists matching every filter. With a place: those with a placed
        office within `radius_km`, nearest office first, then (`video` and `state`) the video
        therapists licensed in `state`, remote, without distance. Else by bm25 with `q`, by id
        without. `q` is the AND of its words (stop words dropped; none left: no condition).
        Facet counts cover the whole result set; None when `facets` is false."""
        terms: list[str | None] = sorted(
            {
                *["flag:couples"] * couples,
                *["flag:video"] * video,
                *(kw_term("specialty", v) for v in specialties),
                *(kw_term("modality", v) for v in modalities),
            },
            key=lambda t: self.df.get(t, 0),
        )
        match = fts_query(q)
        params: dict[str, Any] = {"match": match, **{f"t{i}": t for i, t in enumerate(terms)}}
        # The text condition, a template over the candidate's id column.
        text = " AND {id} IN (SELECT rowid FROM fts WHERE fts MATCH :match)" if match else ""
        statements = []
        if lat is not None and lon is not None:
            radius = DEFAULT_RADIUS_KM if radius_km is None else radius_km
            dlat = radius / 111.0 * 1.01  # a degree of latitude is >= 110.57 km
            dlon = min(180.0, dlat / max(0.01, math.cos(math.radians(abs(lat) + dlat))))
            params.update(
                lat=lat,
                lon=lon,
                radius=radius,
                lat0=lat - dlat,
                lat1=lat + dlat,
                lon0=lon - dlon,
                lon1=lon + dlon,
                licensed=kw_term("licensed", state),
            )
            # Local: offices in the bounding box that pass the filters. Any office within the
            # radius is in the box, so the box's nearest is the true nearest when within it.
            statements.append(f"""
                INSERT INTO temp.hits (id, dist)
                SELECT m.therapist_id, min(haversine_km(:lat, :lon, m.lat, m.lon)) AS d
                FROM office_rtree r CROSS JOIN office_map m ON m.office_id = r.id
                {self._probes(terms, "m.therapist_id")}
                WHERE r.maxlat >= :lat0 AND r.minlat <= :lat1
                AND r.maxlon >= :lon0 AND r.minlon <= :lon1 {text.format(id="m.therapist_id")}
                GROUP BY m.therapist_id HAVING d <= :radius ORDER BY d, m.therapist_id""")
            if video and state:  # remote: licensed in the state (video is a filter), not local
                statements.append(f"""
                    INSERT INTO temp.hits (id) SELECT c.therapist_id FROM therapist_terms c
                    {self._probes(terms, "c.therapist_id")}
                    WHERE c.term = :licensed {text.format(id="c.therapist_id")}
                    AND c.therapist_id NOT IN (SELECT id FROM temp.hits)
                    ORDER BY c.therapist_id""")
        else:
            if match:  # the MATCH is the candidate set itself, ranked by bm25
                source = "SELECT rowid AS id, rank FROM fts WHERE fts MATCH :match"
                order, text = "rank", ""
            elif terms:  # the rarest term's therapists, probed for the others
                source = "SELECT therapist_id AS id FROM therapist_terms WHERE term = :t0"
                order, terms[0] = "id", None
            else:  # every indexed therapist
                source, order = "SELECT rowid AS id FROM fts", "id"
            statements.append(f"""
                INSERT INTO temp.hits (id) SELECT c.id FROM ({source}) AS c
                {self._probes(terms, "c.id")} WHERE 1 {text.format(id="c.id")}
                ORDER BY c.{order}, c.id""")
        with self.lock:
            self.conn.execute("DELETE FROM temp.hits")
            for sql in statements:
                self.conn.execute(sql, params)
            total = self.conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM temp.hits ORDER BY pos LIMIT ?", (limit,)
                )
            ]
            counts = self._facets() if facets else None
        return {"total": total, "ids": ids, "facets": counts}

    @staticmethod
    def _probes(terms: list[str | None], id_column: str) -> str:
        """Joins requiring each term (parameters :t0, :t1, ...; None: already required).
        CROSS JOIN fixes the order: one index lookup per candidate and term, rarest first, so
        that most candidates stop at the first lookup."""
        return "".join(
            f" CROSS JOIN therapist_terms f{i} ON f{i}.therapist_id = {id_column}"
            f" AND f{i}.term = :t{i}"
            for i, term in enumerate(terms)
            if term
        )

    def _facets(self) -> dict[str, dict[str, int]]:
        """Term counts per facet kind over temp.hits, most frequent first."""
        counts: dict[str, dict[str, int]] = {kind: {} for kind in FACET_KINDS}
        # Hits outside (CROSS JOIN: no statistics on temp tables), a key range per kind inside.
        kinds = " OR ".join(f"(t.term > '{k}:' AND t.term < '{k};')" for k in FACET_KINDS)
        for term, n in self.conn.execute(f"""
                SELECT t.term, count(*) FROM temp.hits h
                CROSS JOIN therapist_terms t ON t.therapist_id = h.id
                WHERE {kinds} GROUP BY t.term ORDER BY count(*) DESC, t.term"""):
            kind, _, value = term.partition(":")
            counts[kind][value] = n
        return counts


# ZIP 10001 within 25 miles: couples + polyamory + video, as on the search page.
NYC = {
    "lat": 40.7506,
    "lon": -73.9972,
    "radius_km": 40.2,
    "state": "NY",
    "couples": True,
    "specialties": ("polyamory",),
    "video": True,
}
CHECKS = {
    "10001 couples+polyamory+video": NYC,
    "same + q='attachment trust'": {**NYC, "q": "attachment trust"},
    "q='anxiety' everywhere": {"q": "anxiety"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="the directory's SQLite database (read only)")
    parser.add_argument("--out", required=True, help="the reference database to (re)build")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-build", action="store_true", help="reuse an existing --out")
    args = parser.parse_args()
    if not args.no_build:
        built = build_reference(args.db, args.out)
        print(
            f"built {built['rows']} therapists in {built['seconds']} s, "
            f"{built['bytes'] / 1e6:.1f} MB -> {args.out}"
        )
    ref = ReferenceSearch(args.out)
    for label, query in CHECKS.items():
        times = []
        for i in range(args.warmup + args.runs):
            started = time.perf_counter()
            result = ref.search(**query)
            if i >= args.warmup:  # the warm-ups fill the page cache
                times.append(time.perf_counter() - started)
        top = {k: next(iter(v.items()), None) for k, v in result["facets"].items()}
        print(
            f"{label}: total {result['total']}, median {statistics.median(times) * 1e3:.2f} ms"
            f" over {args.runs} runs; first ids {result['ids'][:5]}; top facets {top}"
        )
    ref.close()


if __name__ == "__main__":
    main()
