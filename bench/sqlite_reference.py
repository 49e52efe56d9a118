"""A reference implementation of the directory's search on SQLite FTS5 + R*Tree.

A benchmark runs the same queries here and on our Whoosh search layer and reports the ratio
"ours / SQLite": this module is the yardstick, not part of the service. It reads the directory
database (never writes it) and builds a separate SQLite file:

    fts               FTS5 over name and body (bio, approach, tags); rowid = therapist id
    office_rtree      R*Tree of placed offices (a point is a zero-size box)
    office_map        office id -> therapist id and its exact coordinates
    therapist_terms   (therapist_id, term): the structured terms of our index's `kw` field
    docs              every indexed (published) therapist id

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
from pathlib import Path
from typing import Any

EARTH_RADIUS_KM = 6371.0088  # as indexer.geo, so both sides agree on what is within a radius
DEFAULT_RADIUS_KM = 25 * 1.609344  # the API's default: 25 miles
FACET_KINDS = ("specialty", "modality", "client_type", "language", "insurance")
# Whoosh's STOP_WORDS: our analyzer drops these (and one-letter words) from queries too, so a
# query word that our index ignores must not become a required FTS5 token here.
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "have", "if", "in",
    "is", "it", "may", "not", "of", "on", "or", "tbd", "that", "the", "this", "to", "us", "we",
    "when", "will", "with", "yet", "you", "your",
))

SCHEMA = """
CREATE TABLE docs (id INTEGER PRIMARY KEY);
CREATE VIRTUAL TABLE fts USING fts5(
    name, body, content='', tokenize="porter unicode61 remove_diacritics 2");
CREATE VIRTUAL TABLE office_rtree USING rtree(id, minlat, maxlat, minlon, maxlon);
CREATE TABLE office_map (
    office_id INTEGER PRIMARY KEY, therapist_id INTEGER NOT NULL, lat REAL, lon REAL);
CREATE TABLE therapist_terms (
    therapist_id INTEGER NOT NULL, term TEXT NOT NULL,
    PRIMARY KEY (therapist_id, term)) WITHOUT ROWID;
"""

# Our index's `kw` terms, as indexer.search_index.document() makes them (less the geohash
# cells, which the R*Tree replaces): list columns, flags, licence and office states.
LIST_TERMS = {"specialty": "specialties", "modality": "modalities", "client_type": "client_types",
              "format": "session_formats", "language": "languages", "insurance": "insurance",
              "tag": "tags"}
FLAGS = {"couples": "sees_couples", "video": "offers_video", "intro_video": "video_url",
         "accepting": "accepting_new_clients", "free_consultation": "free_consultation",
         "sliding_scale": "sliding_scale"}
THERAPIST_COLUMNS = ["id", "name", "bio", "approach", "telehealth_states", *LIST_TERMS.values(),
                     *FLAGS.values()]


def kw_term(prefix: str, value: Any) -> str:
    """indexer.search_index.kw_term, copied so that this yardstick does not import Whoosh."""
    return f"{prefix}:{str(value).replace(',', ' ').strip().lower()}"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (the formula of indexer.geo.haversine_km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _ro_uri(path: str) -> str:
    # as_uri() percent-escapes the path; mode=ro guarantees the source is never written.
    return Path(path).resolve().as_uri() + "?mode=ro"


def _terms(row: dict[str, Any], states: set[str], office_states: set[str]) -> list[str]:
    """The sorted structured terms of one therapist row (list columns still JSON text)."""
    terms = {kw_term("flag", flag) for flag, column in FLAGS.items() if row[column]}
    for prefix, column in LIST_TERMS.items():
        terms.update(kw_term(prefix, v) for v in json.loads(row[column]) if v)
    terms.update(kw_term("licensed", v) for v in states if v)
    terms.update(kw_term("office_state", v) for v in office_states if v)
    return sorted(terms)


def build_reference(source_db: str, target_db: str) -> dict:
    """Build the reference database at `target_db` from the directory database `source_db`.

    One pass over the published therapists in id order, so that every table is appended to
    in key order. Returns build seconds, the number of therapists and the file size in bytes.
    """
    started = time.perf_counter()
    target = Path(target_db)
    target.unlink(missing_ok=True)
    src = sqlite3.connect(_ro_uri(source_db), uri=True)
    src.row_factory = sqlite3.Row
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        # A scratch file rebuilt from the source at will: durability buys nothing here.
        conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                           "PRAGMA cache_size=-200000;" + SCHEMA)
        conn.execute("BEGIN")
        states: dict[int, set[str]] = {}  # telehealth states are added per row below
        for tid, state in src.execute("SELECT therapist_id, state FROM licenses"):
            states.setdefault(tid, set()).add(state)
        office_states: dict[int, set[str]] = {}
        offices = []
        for oid, tid, state, lat, lon in src.execute(
                "SELECT id, therapist_id, state, lat, lon FROM offices ORDER BY id"):
            office_states.setdefault(tid, set()).add(state)
            if lat is not None and lon is not None:
                offices.append((oid, tid, lat, lon))
        rows = 0
        cursor = src.execute(f"SELECT {', '.join(THERAPIST_COLUMNS)} FROM therapists"
                             " WHERE published ORDER BY id")
        published = set()
        while chunk := cursor.fetchmany(5000):
            docs, terms = [], []
            for row in chunk:
                tid, tags = row["id"], json.loads(row["tags"])
                licensed = states.get(tid, set()) | set(json.loads(row["telehealth_states"]))
                # The index's body: bio, approach and unknown-term tags (sanitised HTML as
                # stored, on both sides).
                body = " ".join(filter(None, (row["bio"], row["approach"], *tags)))
                docs.append((tid, row["name"], body))
                terms.extend((tid, t) for t in _terms(row, licensed, office_states.get(tid, ())))
                published.add(tid)
            conn.executemany("INSERT INTO docs (id) VALUES (?)", [(d[0],) for d in docs])
            conn.executemany("INSERT INTO fts (rowid, name, body) VALUES (?, ?, ?)", docs)
            conn.executemany("INSERT INTO therapist_terms VALUES (?, ?)", terms)
            rows += len(chunk)
        # Exact coordinates in office_map: the R*Tree keeps 32-bit floats (rounded outwards),
        # right for a bounding box, not for a distance.
        offices = [o for o in offices if o[1] in published]
        conn.executemany("INSERT INTO office_map VALUES (?, ?, ?, ?)", offices)
        conn.executemany("INSERT INTO office_rtree VALUES (?, ?, ?, ?, ?)",
                         [(oid, lat, lat, lon, lon) for oid, _, lat, lon in offices])
        conn.execute("COMMIT")
        # Secondary indexes after the inserts: one sort beats maintaining them row by row.
        conn.execute("CREATE INDEX therapist_terms_term ON therapist_terms (term, therapist_id)")
        conn.execute("CREATE INDEX office_map_therapist ON office_map (therapist_id, lat, lon)")
        conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")  # one segment per term
        # Names weigh twice the body, as the index's name field (field_boost=2.0).
        conn.execute("INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')")
        conn.execute("ANALYZE")
    finally:
        conn.close()
        src.close()
    return {"seconds": round(time.perf_counter() - started, 2), "rows": rows,
            "bytes": target.stat().st_size}


def fts_query(q: str | None) -> str | None:
    """The FTS5 query of user text: every word required, each one a quoted token.

    Quoting makes every input valid syntax (no operators, columns, prefixes or NEAR); words
    are \\w runs, so they hold no quote to escape. None when no word is left.
    """
    words = [w for w in re.findall(r"\w+", (q or "").lower()) if len(w) > 1]
    words = [w for w in words if w not in STOP_WORDS]
    return " ".join(f'"{w}"' for w in dict.fromkeys(words)) or None


class ReferenceSearch:
    """Searches a reference database built by build_reference()."""

    def __init__(self, path: str) -> None:
        # One connection shared by threads; the lock serialises searches because each one
        # fills the connection's temp table of hits.
        self.conn = sqlite3.connect(_ro_uri(path), uri=True, check_same_thread=False,
                                    isolation_level=None)
        self.conn.create_function("haversine_km", 4, haversine_km, deterministic=True)
        self.conn.executescript("PRAGMA temp_store=MEMORY; PRAGMA cache_size=-100000;"
                                "PRAGMA mmap_size=1073741824;"
                                "CREATE TEMP TABLE hits (pos INTEGER PRIMARY KEY, id INTEGER,"
                                " dist REAL);")
        self.lock = threading.Lock()
        # Document frequencies: filters are probed rarest first, so most candidates fail at
        # the first probe (SQLite keeps the order of the WHERE terms we write).
        self.df = dict(self.conn.execute(
            "SELECT term, count(*) FROM therapist_terms GROUP BY term"))

    def close(self) -> None:
        self.conn.close()

    def search(self, *, lat: float | None = None, lon: float | None = None,
               radius_km: float | None = None, state: str | None = None, couples: bool = False,
               specialties: tuple[str, ...] | list[str] = (),
               modalities: tuple[str, ...] | list[str] = (), video: bool = False,
               q: str | None = None, facets: bool = True, limit: int = 20) -> dict:
        """Published therapists matching every filter.

        With a place: those with a placed office within `radius_km`, nearest office first;
        with `video` and `state` also the video therapists licensed in `state` (remote, no
        distance) after them. Without a place: by bm25 when `q`, else by id. Facet counts
        cover the whole result set.
        """
        terms = ["flag:couples"] * couples + ["flag:video"] * video
        terms += [kw_term("specialty", v) for v in specialties]
        terms += [kw_term("modality", v) for v in modalities]
        terms = sorted(set(terms), key=lambda t: self.df.get(t, 0))
        match = fts_query(q)
        params: dict[str, Any] = {"match": match}
        if lat is not None and lon is not None:
            radius = DEFAULT_RADIUS_KM if radius_km is None else radius_km
            dlat = radius / 111.0 * 1.01  # a degree of latitude is >= 110.57 km
            dlon = min(180.0, dlat / max(0.01, math.cos(math.radians(abs(lat) + dlat))))
            params.update(lat=lat, lon=lon, radius=radius, lat0=lat - dlat, lat1=lat + dlat,
                          lon0=lon - dlon, lon1=lon + dlon, licensed=kw_term("licensed", state))
            # Candidates: a placed office in the bounding box, or (video) licensed in the
            # state. The filters run first, so distances are computed for survivors only.
            source = """SELECT m.therapist_id AS id FROM office_rtree r
                JOIN office_map m ON m.office_id = r.id
                WHERE r.maxlat >= :lat0 AND r.minlat <= :lat1
                AND r.maxlon >= :lon0 AND r.minlon <= :lon1"""
            remote = bool(video and state)
            if remote:
                source += " UNION SELECT therapist_id FROM therapist_terms WHERE term = :licensed"
            else:
                source = f"SELECT DISTINCT id FROM ({source})"
            head = f"""WITH kept AS MATERIALIZED (
                SELECT c.id, (SELECT min(haversine_km(:lat, :lon, o.lat, o.lon))
                              FROM office_map o WHERE o.therapist_id = c.id) AS dist
                FROM ({source}) AS c WHERE {{where}})
                INSERT INTO temp.hits (id, dist)
                SELECT id, iif(dist <= :radius, dist, NULL) AS d FROM kept
                WHERE dist <= :radius OR {self._probe(":licensed", "kept") if remote else "0"}
                ORDER BY d IS NULL, d, id"""
        elif match:
            # The MATCH is the candidate set itself, ranked by bm25.
            source, order = "SELECT rowid AS id, rank FROM fts WHERE fts MATCH :match", "rank"
            head, match = "", None
        elif terms:
            source, order = "SELECT therapist_id AS id FROM therapist_terms WHERE term = :t0", "id"
            params["t0"], terms, head = terms[0], terms[1:], ""
        else:
            source, order, head = "SELECT id FROM docs", "id", ""
        where = []
        for i, term in enumerate(terms, start=1):
            params[f"t{i}"] = term
            where.append(self._probe(f":t{i}", "c"))
        if match:
            where.append("c.id IN (SELECT rowid FROM fts WHERE fts MATCH :match)")
        where_sql = " AND ".join(where) or "1"
        sql = head.format(where=where_sql) or (
            f"INSERT INTO temp.hits (id) SELECT c.id FROM ({source}) AS c"
            f" WHERE {where_sql} ORDER BY c.{order}, c.id")
        with self.lock:
            self.conn.execute("DELETE FROM temp.hits")
            self.conn.execute(sql, params)
            total = self.conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
            ids = [r[0] for r in self.conn.execute(
                "SELECT id FROM temp.hits ORDER BY pos LIMIT ?", (limit,))]
            counts = self._facets() if facets else None
        return {"total": total, "ids": ids, "facets": counts}

    @staticmethod
    def _probe(param: str, alias: str) -> str:
        """SQL: the therapist `alias`.id has the term `param` (one (term, id) index lookup)."""
        return (f"EXISTS (SELECT 1 FROM therapist_terms f"
                f" WHERE f.term = {param} AND f.therapist_id = {alias}.id)")

    def _facets(self) -> dict[str, dict[str, int]]:
        """Term counts per facet kind over temp.hits, most frequent first."""
        counts: dict[str, dict[str, int]] = {kind: {} for kind in FACET_KINDS}
        # CROSS JOIN keeps hits as the outer loop: the planner has no statistics on the temp
        # table and would otherwise scan every term of every therapist.
        for term, n in self.conn.execute("""
                SELECT t.term, count(*) FROM temp.hits h
                CROSS JOIN therapist_terms t ON t.therapist_id = h.id
                WHERE substr(t.term, 1, instr(t.term, ':') - 1) IN (?, ?, ?, ?, ?)
                GROUP BY t.term ORDER BY count(*) DESC, t.term""", FACET_KINDS):
            kind, _, value = term.partition(":")
            counts[kind][value] = n
        return counts


NYC = {"lat": 40.7506, "lon": -73.9972, "radius_km": 40.2, "state": "NY"}
CHECKS = {
    "nyc couples+polyamory+video": {**NYC, "couples": True, "specialties": ("polyamory",),
                                    "video": True},
    "same + q='attachment trust'": {**NYC, "couples": True, "specialties": ("polyamory",),
                                    "video": True, "q": "attachment trust"},
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
        print(f"built {built['rows']} therapists in {built['seconds']} s, "
              f"{built['bytes'] / 1e6:.1f} MB -> {args.out}")
    ref = ReferenceSearch(args.out)
    for label, query in CHECKS.items():
        for _ in range(args.warmup):
            result = ref.search(**query)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = ref.search(**query)
            times.append(time.perf_counter() - started)
        top = {k: list(v.items())[:3] for k, v in result["facets"].items()}
        print(f"{label}: total {result['total']}, median {statistics.median(times) * 1e3:.2f} ms"
              f" over {args.runs}; first ids {result['ids'][:5]}; top facets {top}")
    ref.close()


if __name__ == "__main__":
    main()
