"""Scale benchmark (issue 11): the same measurements at 100,000, 300,000 and 1,000,000 profiles,
in one run, with the growth from 100,000.

    .venv/bin/python bench/scale_bench.py              # 100,000, 300,000 and 1,000,000
    .venv/bin/python bench/scale_bench.py --short      # 100,000 only, for day-to-day work
    .venv/bin/python bench/scale_bench.py --sizes 100000,1000000 --json

Instances are built with bench/instances.py (reused when present; DIRECTORY_BENCH_WORK chooses
their folder); their build figures are the ingest's rate and peak memory. Each size is measured
on a copy of its instance (the edits and the rebuild below change it; the instance stays as
built, and others may read it meanwhile):

- in process (one process per size, thread CPU time and wall time, the kinds interleaved):
  `find_page` (index only: page, facets, suggestions) and `run_search` (the response body with
  its database rows), median and p99, for a local search (ZIP, 25 mi, couples, one specialty,
  video, all facet counts), the same with one word of `q`, the HTTP mix, `q` alone over all
  profiles, and "neighbourhood": the local search without video over the radius at which it
  finds as many therapists on average as over 25 miles at the first size of the run (the
  same neighbourhood in a directory ten times as large: the synthetic sample puts ten times as
  many therapists in the same places); the assembly of a page of 20 results (rows, match,
  distances);
- after an edit: the first search once another process has ingested one edited profile,
  against the warm median of the same search ("cold after edit") and against the first search
  after another process ran without an edit (which makes the CPU caches just as cold), and how
  long until a search in this process finds the edit;
- over HTTP: gunicorn with the project's settings and 2 workers, rate limits and the response
  cache off, driven by wrk (4 connections) over 3,000 distinct typical searches (a ZIP from the
  data, 25 mi, couples, one specialty, video; a third with one word of `q`, a fifth on page 2)
  after a short warm-up: requests/s, p50 and p99; then each worker's RSS, PSS, USS and
  anonymous memory (/proc/PID/smaps_rollup); then an edit through the admin API and how long
  until every worker finds it;
- `flask index rebuild`: its duration and peak memory.

The requests are drawn (seeded) from the smallest instance of the run, so every size answers
the same ones. The machine's load average is recorded with each phase: on a shared machine,
read the CPU times beside the wall times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import shutil
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from instances import ROOT, WORK, flask, instance, instance_env, process_tree, run_watched
from report import write_report

SIZES = (100_000, 300_000, 1_000_000)
SEED = 11
REQUESTS = 3000  # distinct HTTP requests
API = "/api/v1/therapists"
ADMIN_TOKEN = "scale-bench-admin-token"
# Typical one-word queries; those no profile of the instance holds are left out.
WORDS = (
    "anxiety",
    "depression",
    "trauma",
    "grief",
    "infidelity",
    "communication",
    "attachment",
    "intimacy",
    "gottman",
    "emdr",
    "divorce",
    "parenting",
    "addiction",
    "mindfulness",
    "polyamory",
    "kink",
    "trust",
    "conflict",
    "burnout",
    "stress",
    "premarital",
    "blended",
    "affair",
    "codependency",
    "adhd",
    "anger",
    "somatic",
    "spanish",
    "christian",
    "veterans",
    "postpartum",
    "infertility",
)


# -- the requests ----------------------------------------------------------------------------
def make_plan(folder: Path, words: list[str], known: Any = lambda zip_code: True) -> dict:
    """The requests of the run, drawn with a fixed seed from the instance's data: ZIPs of
    placed offices of published profiles (so, where therapists are) that the search knows
    (`known`), specialties as often as profiles list them, and words of `words` (present in
    the index)."""
    rng = random.Random(SEED)
    db = sqlite3.connect(f"file:{folder / 'directory.sqlite3'}?mode=ro", uri=True)
    try:
        zips = [
            row[0][:5]
            for row in db.execute(
                "SELECT o.zip FROM offices o JOIN therapists t ON t.id = o.therapist_id "
                "WHERE t.published AND o.lat IS NOT NULL AND o.zip IS NOT NULL ORDER BY o.id"
            )
        ]
        specialties: Counter[str] = Counter()
        for (value,) in db.execute("SELECT specialties FROM therapists WHERE published"):
            specialties.update(json.loads(value or "[]"))
    finally:
        db.close()
    names = sorted(specialties)
    weights = [specialties[n] for n in names]
    requests = []
    verdicts: dict[str, bool] = {}

    def draw_zip() -> str:
        while True:
            zip_code = rng.choice(zips)
            if zip_code not in verdicts:
                verdicts[zip_code] = known(zip_code)
            if verdicts[zip_code]:
                return zip_code

    for i in range(REQUESTS):
        params = {
            "near": draw_zip(),
            "radius": "25",
            "couples": "true",
            "specialty": rng.choices(names, weights)[0],
            "video": "true",
        }
        if i % 3 == 0:
            params["q"] = rng.choice(words)
        if i % 5 == 0:
            params["page"] = "2"
        requests.append(params)
    unknown = sorted(z for z, ok in verdicts.items() if not ok)
    return {
        "from": folder.name,
        "seed": SEED,
        "words": words,
        "unknown_zips": unknown,
        "requests": requests,
    }


def neighbourhood_radius(local: list[dict], plan_path: Path, find: Any) -> tuple[str, dict]:
    """The radius (miles, as a parameter) at which the local searches without video find as
    many therapists on average as at 25 miles in the run's first instance, and how close that
    came. The first instance of a run records its mean beside the plan; later (larger) ones
    search for the radius by bisection (the mean grows with the radius)."""
    record = plan_path.with_name("neighbourhood.json")

    def mean_at(radius: float) -> float:
        return statistics.mean(
            find({**p, "video": "false", "radius": f"{radius:.3f}"}).total for p in local
        )

    if not record.exists():
        target = mean_at(25.0)
        record.write_text(json.dumps({"mean_results": target}))
        return "25", {"radius_mi": 25.0, "mean_results": target, "target": target}
    target = json.loads(record.read_text())["mean_results"]
    low, high = 0.5, 25.0
    for _ in range(14):
        middle = (low + high) / 2
        if mean_at(middle) < target:
            low = middle
        else:
            high = middle
    found = mean_at(high)
    return f"{high:.3f}", {"radius_mi": round(high, 3), "mean_results": found, "target": target}


def local_only(params: dict) -> dict:
    return {k: v for k, v in params.items() if k not in ("q", "page")}


def path_of(params: dict) -> str:
    return f"{API}?{urlencode(params)}"


def edited_record(size: int, n: int, token: str) -> str:
    """One profile of the instance's input with `token` added to its bio, as a JSON line."""
    wanted = 1 + 37 * n  # a different profile each time
    sample = WORK / f"sample-{size}-seed7.jsonl"
    with sample.open() as lines:
        for i, line in enumerate(lines):
            if i == wanted:
                record = json.loads(line)
                record["bio"] = f"{record.get('bio') or ''} {token}"
                return json.dumps(record)
    raise SystemExit(f"{sample} has fewer than {wanted} records")


def token(rng: random.Random) -> str:
    """A word no profile holds, far (in edits) from any other such word."""
    return "zq" + "".join(rng.choices(string.ascii_lowercase, k=10))


# -- copies of instances -------------------------------------------------------------------
def copy_instance(source: Path, dest: Path) -> float:
    """A copy of an instance (database and live index generation) that can be changed;
    seconds taken. The source is only read (the database through SQLite's backup)."""
    started = time.perf_counter()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    src = sqlite3.connect(f"file:{source / 'directory.sqlite3'}?mode=ro", uri=True)
    dst = sqlite3.connect(dest / "directory.sqlite3")
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    index = source / "index"
    live = (index / "CURRENT").read_text().strip()
    (dest / "index").mkdir()
    shutil.copy2(index / "CURRENT", dest / "index" / "CURRENT")
    shutil.copytree(index / live, dest / "index" / live)
    return time.perf_counter() - started


# -- in process ------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "median": round(statistics.median(values), 3),
        "p99": round(percentile(values, 99), 3),
        "n": len(values),
    }


class Timer:
    """Wall and thread CPU milliseconds of a block."""

    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = (time.perf_counter() - self.wall0) * 1000
        self.cpu = (time.thread_time() - self.cpu0) * 1000


def in_process(folder: Path, size: int, plan_path: Path, opts: argparse.Namespace) -> dict:
    """Run in a process of its own (see main): the in-process figures of one instance."""
    from werkzeug.datastructures import MultiDict

    import directory
    from directory import create_app
    from directory.errors import ApiError
    from directory.parts import search_engine, taxonomy
    from directory.search import find_page, load_args, run_search
    from directory.search.results import load_therapists, result_item
    from indexer.index import CHECK_INTERVAL_SECONDS

    out: dict[str, Any] = {"code": str(Path(directory.__file__).resolve().parent)}
    if not Path(directory.__file__).resolve().is_relative_to(ROOT):
        raise SystemExit(f"directory imported from {directory.__file__}, not this checkout")
    app = create_app(instance_path=str(folder))
    with app.test_request_context():
        tax = taxonomy()
        with Timer() as t:
            search_engine().snapshot().warm()  # what a gunicorn worker does before serving
        out["open_and_warm_ms"] = round(t.wall)
        out["documents"] = search_engine().snapshot().doc_count

        def args_of(params: dict) -> dict:
            return load_args(MultiDict(params))

        if not plan_path.exists():
            words = [w for w in WORDS if find_page(args_of({"q": w})).total]

            def known(zip_code: str) -> bool:
                """Whether the search finds the place (a few ZIPs of the synthetic data have
                no coordinates in the gazetteer: 422, unknown place)."""
                try:
                    find_page(args_of({"near": zip_code}))
                except ApiError:
                    return False
                return True

            plan_path.write_text(json.dumps(make_plan(folder, words, known)))
        plan = json.loads(plan_path.read_text())
        requests, words = plan["requests"], plan["words"]
        k = opts.per_kind
        kinds: dict[str, list[dict]] = {
            "local": [local_only(p) for p in requests[:k]],
            "local+q": [
                {**local_only(p), "q": words[i % len(words)]} for i, p in enumerate(requests[:k])
            ],
            "mix": requests[:k],
            "q alone": [{"q": w} for w in words] * max(1, -(-k // (2 * len(words)))),
        }
        # The same neighbourhood at every size (the synthetic sample is ten times as dense at
        # a million): the local search without video (which adds the whole state's remote
        # therapists), over the radius at which it finds as many therapists on average as
        # over 25 miles in the run's first (smallest) instance.
        radius, out["neighbourhood"] = neighbourhood_radius(
            [local_only(p) for p in requests[:k]], plan_path, lambda a: find_page(args_of(a))
        )
        kinds["neighbourhood"] = [
            {**local_only(p), "video": "false", "radius": radius} for p in requests[:k]
        ]
        items = [(kind, args_of(p)) for kind, ps in kinds.items() for p in ps]
        api_root = app.url_for("api.therapist", therapist_id=0)[:-1]

        def assemble(found: Any, args: dict) -> list:
            rows = load_therapists(found.ids)
            return [
                result_item(rows[h.therapist_id], h, found.outcome, args, tax, api_root)
                for h in found.hits
                if h.therapist_id in rows
            ]

        times: dict[str, dict[str, list[float]]] = {
            kind: {
                m: []
                for m in (
                    "find_wall",
                    "find_cpu",
                    "run_wall",
                    "run_cpu",
                    "assemble_wall",
                    "assemble_cpu",
                    "first_find_wall",
                    "first_find_cpu",
                )
            }
            for kind in kinds
        }
        totals: dict[str, list[int]] = {kind: [] for kind in kinds}
        rng = random.Random(SEED)
        load_before = os.getloadavg()[0]
        with Timer() as t:
            # Warm-up: each request once. Timed too: most of the HTTP run's requests are the
            # first of their kind in a worker, unlike the rounds below.
            for kind, args in items:
                with Timer() as find:
                    find_page(args)
                times[kind]["first_find_wall"].append(find.wall)
                times[kind]["first_find_cpu"].append(find.cpu)
                run_search(args)
        out["warm_up_round_s"] = round(t.wall / 1000, 1)
        started = time.perf_counter()
        for round_ in range(opts.rounds):
            order = items[:]
            rng.shuffle(order)  # the kinds interleaved: load spikes hit them alike
            for kind, args in order:
                with Timer() as find:
                    found = find_page(args)
                with Timer() as asm:
                    assemble(found, args)
                with Timer() as run:
                    run_search(args)
                bucket = times[kind]
                bucket["find_wall"].append(find.wall)
                bucket["find_cpu"].append(find.cpu)
                bucket["run_wall"].append(run.wall)
                bucket["run_cpu"].append(run.cpu)
                if len(found.hits) == args["per_page"]:  # a full page of results
                    bucket["assemble_wall"].append(asm.wall)
                    bucket["assemble_cpu"].append(asm.cpu)
                if round_ == 0:
                    totals[kind].append(found.total)
        out["timed_s"] = round(time.perf_counter() - started, 1)
        out["load"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        out["kinds"] = {
            kind: {
                **{m: summary(v) for m, v in times[kind].items()},
                "distinct": len(kinds[kind]) if kind != "q alone" else len(words),
                "mean_total": round(statistics.mean(totals[kind])),
                "median_total": statistics.median(totals[kind]),
                "empty_share": round(sum(1 for n in totals[kind] if not n) / len(totals[kind]), 3),
            }
            for kind in kinds
        }
        if opts.profile:
            out["profile"] = {}
            for kind in ("local", "q alone"):
                profiled = [args_of(p) for p in kinds[kind]]
                profiler = cProfile.Profile()
                profiler.enable()
                for args in profiled:
                    find_page(args)
                profiler.disable()
                text = io.StringIO()
                stats = pstats.Stats(profiler, stream=text)
                stats.sort_stats("tottime").print_stats(opts.profile)
                stats.sort_stats("cumulative").print_stats(opts.profile)
                out["profile"][kind] = text.getvalue()
        if opts.edits:
            out["after_edit"] = after_edits(
                folder,
                size,
                {kind: [args_of(p) for p in kinds[kind]] for kind in ("local", "local+q")},
                opts.edits,
                args_of,
                opts.edit_timeout,
            )
            out["after_edit"]["check_interval_s"] = CHECK_INTERVAL_SECONDS
    return out


def segments(folder: Path) -> int:
    """Segments of the instance's live index generation (one terms file each)."""
    index = folder / "index"
    live = (index / "CURRENT").read_text().strip()
    return len(list((index / live).glob("*.trm")))


def after_edits(
    folder: Path,
    size: int,
    searches: dict[str, list[dict]],
    rounds: int,
    args_of: Any,
    timeout: float,
) -> dict:
    """Another process ingests one edited profile: the first search here afterwards (a local
    search, or one with a word of `q`, in turn) against the warm median of the same search,
    or (every third edit) how soon a search here finds the edit. An edit can make the index
    merge segments (their count drops): each edit says so. An ingest that takes over
    `timeout` seconds is stopped, and so are the edits."""
    from directory.parts import search_engine
    from directory.search import find_page

    # As in a gunicorn worker (parts.warm_up): new index states are opened and warmed in a
    # background thread, and searches take the current one.
    engine = search_engine()
    engine.follow()
    rng = random.Random(SEED + size)
    cold: list[dict] = []
    visible: list[dict] = []
    stopped = None
    kinds = list(searches)
    for n in range((len(kinds) + 1) * rounds):
        word = token(rng)
        line = edited_record(size, n, word)
        phase = n % (len(kinds) + 1)  # a cold search of each kind, then a visibility check
        kind = kinds[phase] if phase < len(kinds) else kinds[0]
        args = searches[kind][n % len(searches[kind])]
        warm = []
        for _ in range(7):
            with Timer() as t:
                find_page(args)
            warm.append((t.wall, t.cpu))
        # The same disturbance as an edit (another process runs, the CPU caches go cold),
        # without the edit: what the first search after an edit is compared with.
        subprocess.run(
            flask("index", "status"), env=instance_env(folder), cwd=ROOT, capture_output=True
        )
        with Timer() as disturbed:
            find_page(args)
        before = segments(folder)
        snap = engine.snapshot()
        try:
            ingested = ingest_line(folder, line, timeout)
        except subprocess.TimeoutExpired:
            stopped = f"edit {n + 1}: the ingest of one profile took over {timeout:g} s"
            break
        returned = time.perf_counter()
        edit = {
            "ingest_s": round(ingested["seconds"], 3),
            "command_s": round(ingested["command_seconds"], 2),
            "segments": [before, segments(folder)],
        }
        if phase < len(kinds):  # cold after edit: the first search once it can be seen
            while engine.snapshot() is snap and time.perf_counter() - returned < 30:
                time.sleep(0.01)
            edit["swapped_after_s"] = round(time.perf_counter() - returned, 3)
            with Timer() as first:
                find_page(args)
            with Timer() as second:
                find_page(args)
            warm_wall = statistics.median(w for w, _ in warm)
            warm_cpu = statistics.median(c for _, c in warm)
            cold.append(
                {
                    **edit,
                    "kind": kind,
                    "warm_ms": round(warm_wall, 2),
                    "warm_cpu_ms": round(warm_cpu, 2),
                    "first_ms": round(first.wall, 2),
                    "first_cpu_ms": round(first.cpu, 2),
                    "second_ms": round(second.wall, 2),
                    "ratio": round(first.wall / warm_wall, 2),
                    "cpu_ratio": round(first.cpu / warm_cpu, 2) if warm_cpu else None,
                    "disturbed_cpu_ms": round(disturbed.cpu, 2),
                    "disturbed_ratio": round(first.cpu / disturbed.cpu, 2)
                    if disturbed.cpu
                    else None,
                    "edit_found": find_page(args_of({"q": word})).total,
                }
            )
        else:  # searchable: poll until a search finds the new word
            polls = 0
            while True:
                polls += 1
                if find_page(args_of({"q": word})).total:
                    break
                if time.perf_counter() - returned > 30:
                    raise SystemExit(f"the edit ({word}) is not searchable after 30 s")
            lag = time.perf_counter() - returned
            visible.append(
                {
                    **edit,
                    "after_return_s": round(lag, 3),
                    "edit_to_visible_s": round(ingested["seconds"] + lag, 3),
                    "polls": polls,
                }
            )
    unmerged = [c for c in cold if c["segments"][1] > c["segments"][0]]

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 2) if values else None

    return {
        "stopped": stopped,
        "cold": cold,
        "cold_ratio_median": median([c["ratio"] for c in cold]),
        "cold_cpu_ratio_median": median([c["cpu_ratio"] for c in cold if c["cpu_ratio"]]),
        "cold_ratio_median_no_merge": median([c["ratio"] for c in unmerged]),
        "cold_disturbed_ratio_median": median(
            [c["disturbed_ratio"] for c in cold if c["disturbed_ratio"]]
        ),
        # By kind: the worst kind's median is what the targets check.
        "cold_by_kind": {
            kind: {
                "ratio_median": median([c["ratio"] for c in cold if c["kind"] == kind]),
                "disturbed_ratio_median": median(
                    [
                        c["disturbed_ratio"]
                        for c in cold
                        if c["kind"] == kind and c["disturbed_ratio"]
                    ]
                ),
            }
            for kind in kinds
        },
        "visible": visible,
        "edit_to_visible_s_median": median([v["edit_to_visible_s"] for v in visible]),
        "edit_to_visible_s_max": max((v["edit_to_visible_s"] for v in visible), default=None),
        "edit_ingest_s_max": max((e["ingest_s"] for e in cold + visible), default=None),
        "edits_merging": sum(1 for e in cold + visible if e["segments"][1] < e["segments"][0]),
    }


def ingest_line(folder: Path, line: str, timeout: float) -> dict:
    """`flask ingest` of one JSON line in another process: its own duration (the summary's,
    from reading to the index updated) and the command's (with interpreter start)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edit.jsonl"
        path.write_text(line + "\n")
        started = time.perf_counter()
        out = subprocess.run(
            flask(
                "ingest",
                str(path),
                "--source",
                "bench",
                "--json",
                "--rejects",
                str(Path(tmp) / "rejects.jsonl"),
            ),
            env=instance_env(folder),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        ).stdout
        command = time.perf_counter() - started
    result = json.loads(out)
    if result.get("accepted") != 1:
        raise SystemExit(f"the edited profile was not accepted: {out}")
    return {"seconds": float(result.get("seconds") or command), "command_seconds": command}


# -- HTTP ------------------------------------------------------------------------------------
WRK_SCRIPT = """
local paths = {%s}
local threads = 0
function setup(thread)
  thread:set("offset", threads * math.floor(#paths / 2))
  threads = threads + 1
end
local i = 0
function init(args)
  i = tonumber(offset) or 0
end
local shown = 0
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  if status ~= 200 and shown < 5 then
    shown = shown + 1
    io.write(string.format("SCALE-NON200 %%d near %%s: %%s\\n", status, paths[i],
      string.sub((string.gsub(body or "", "%%s+", " ")), 1, 160)))
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "SCALE-WRK p50_us=%%d p90_us=%%d p99_us=%%d p999_us=%%d max_us=%%d mean_us=%%d " ..
    "requests=%%d duration_us=%%d status_errors=%%d socket_errors=%%d\\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, summary.requests,
    summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def memory_of(pid: int) -> dict:
    """RSS, PSS, USS (private clean + dirty) and anonymous memory of a process, in MB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    mb = lambda kb: round(kb / 1024, 1)  # noqa: E731
    return {
        "rss": mb(fields["Rss"]),
        "pss": mb(fields["Pss"]),
        "uss": mb(fields["Private_Clean"] + fields["Private_Dirty"]),
        "anon": mb(fields["Anonymous"]),
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def get(url: str, **kw: Any) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60, **kw) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def http(
    folder: Path, size: int, plan: dict, opts: argparse.Namespace, edits_stopped: str | None
) -> dict:
    port = opts.port
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        return _http(base, folder, size, plan, opts, log, edits_stopped)


def _http(
    base: str,
    folder: Path,
    size: int,
    plan: dict,
    opts: argparse.Namespace,
    log: Any,
    edits_stopped: str | None,
) -> dict:
    port = opts.port
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:directory.gunicorn_config",
            "--no-control-socket",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "directory:create_app()",
        ],
        env=instance_env(folder, DIRECTORY_ADMIN_TOKEN=ADMIN_TOKEN),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    out: dict[str, Any] = {}
    try:
        for _ in range(1500):
            if server.poll() is not None:
                log.seek(0)
                raise SystemExit(f"gunicorn exited: {log.read()[-2000:]}")
            try:
                if get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not get ready in 300 s")
        out["ready_s"] = round(time.perf_counter() - started, 1)
        paths = [path_of(p) for p in plan["requests"]]
        statuses = Counter(get(base + p)[0] for p in paths[:30])
        if set(statuses) != {200}:
            raise SystemExit(f"the requests do not all answer 200: {dict(statuses)}")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT % ",".join(json.dumps(p) for p in paths))
        wrk = ["wrk", "-t", "2", "-c", "4", "-s", script.name, base]
        subprocess.run(
            [*wrk[:1], "-d", f"{opts.warmup}s", *wrk[1:]], check=True, capture_output=True
        )
        load_before = os.getloadavg()[0]
        server_cpu = cpu_seconds(process_tree(server.pid))
        wrk_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [*wrk[:1], "-d", f"{opts.seconds}s", "--latency", *wrk[1:]],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        server_cpu = cpu_seconds(process_tree(server.pid)) - server_cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_cpu_s = after.ru_utime - wrk_cpu.ru_utime + after.ru_stime - wrk_cpu.ru_stime
        os.unlink(script.name)
        line = next(x for x in result.splitlines() if x.startswith("SCALE-WRK"))
        figures = {k: int(v) for k, v in (f.split("=") for f in line.split()[1:])}
        out.update(
            {
                "requests_per_second": round(
                    figures["requests"] / (figures["duration_us"] / 1e6), 1
                ),
                "p50_ms": figures["p50_us"] / 1000,
                "p90_ms": figures["p90_us"] / 1000,
                "p99_ms": figures["p99_us"] / 1000,
                "p999_ms": figures["p999_us"] / 1000,
                "max_ms": figures["max_us"] / 1000,
                "requests": figures["requests"],
                "non_2xx": figures["status_errors"],
                "socket_errors": figures["socket_errors"],
                "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                # CPU the server spent per request: what a busy machine inflates least.
                "server_cpu_s": round(server_cpu, 1),
                "server_cpu_ms_per_request": round(server_cpu * 1000 / figures["requests"], 2),
                "wrk_cpu_s": round(wrk_cpu_s, 1),
                "wrk": [x for x in result.strip().splitlines() if "SCALE-NON200" not in x],
                "non_200": [x for x in result.splitlines() if x.startswith("SCALE-NON200")],
            }
        )
        workers = [p for p in process_tree(server.pid) if p != server.pid]
        out["workers"] = [memory_of(p) for p in workers]
        out["master"] = memory_of(server.pid)
        if opts.edits and not edits_stopped:
            out["admin_edit"] = admin_edit(base, folder, size)
        elif edits_stopped:
            # It would stop the same way, holding a worker meanwhile.
            out["admin_edit"] = {"skipped": f"the edits in process stopped: {edits_stopped}"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return out


def admin_edit(base: str, folder: Path, size: int) -> dict:
    """An edit through the admin API, then searches from two clients at once (new connections,
    so both workers answer some) until the edit has been found for a second after the last
    miss: when the worker that stored it finds it, and when every worker does."""
    word = token(random.Random(SEED + 2 * size))
    body = edited_record(size, 50, word).encode()
    request = urllib.request.Request(
        f"{base}{API.replace('/therapists', '/admin/ingest')}?source=bench",
        data=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/x-ndjson"},
        method="POST",
    )
    before = segments(folder)
    started = time.perf_counter()
    try:
        status, answer = _post(request)
    except OSError as err:  # a worker killed mid-request (gunicorn's timeout) resets it
        status, answer = 0, repr(err).encode()
    returned = time.perf_counter()
    out: dict[str, Any] = {
        "status": status,
        "request_s": round(returned - started, 3),
        "segments": [before, segments(folder)],
    }
    if status != 200:
        out["error"] = answer[:300].decode(errors="replace")
        return out
    polls: list[tuple[float, bool]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            code, data = get(f"{base}{API}?q={word}")
            found = code == 200 and json.loads(data)["total"] > 0
            with lock:
                polls.append((time.perf_counter(), found))

    clients = [threading.Thread(target=poll) for _ in range(2)]
    for c in clients:
        c.start()
    deadline = returned + 30
    while time.perf_counter() < deadline:
        time.sleep(0.05)
        with lock:
            misses = [t for t, ok in polls if not ok]
            hits = [t for t, ok in polls if ok]
        last_miss = max(misses, default=returned)
        if hits and time.perf_counter() - last_miss > 1.0 and len(polls) > 20:
            break
    stop.set()
    for c in clients:
        c.join()
    first = min((t for t, ok in polls if ok), default=None)
    last_miss = max((t for t, ok in polls if not ok), default=returned)
    if first is None:
        out["error"] = "not searchable after 30 s"
        return out
    return {
        **out,
        "first_found_after_return_s": round(first - returned, 3),
        "all_workers_after_return_s": round(last_miss - returned, 3),
        "edit_to_visible_s": round(last_miss - started, 3),
        "polls": len(polls),
        "misses": sum(1 for _, ok in polls if not ok),
    }


def _post(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


# -- rebuild ---------------------------------------------------------------------------------
def rebuild(folder: Path) -> dict:
    load = os.getloadavg()[0]
    out, seconds, memory = run_watched(flask("index", "rebuild"), instance_env(folder))
    return {
        "seconds": round(seconds, 1),
        "said": out.strip(),
        "peak_rss_mb": memory["peak_rss_mb"],
        "peak_process_rss_mb": memory["peak_process_rss_mb"],
        "cpu_seconds": memory["cpu_seconds"],
        "segments": segments(folder),
        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


# -- one size, the run -----------------------------------------------------------------------
def measure(size: int, plan_path: Path, opts: argparse.Namespace) -> dict:
    folder, built = instance(size)
    report: dict[str, Any] = {"size": size, "built": built}
    copy = WORK / "copies" / f"{size}-{os.getpid()}"
    print(f"[{size}] copying the instance", file=sys.stderr, flush=True)
    report["copy_s"] = round(copy_instance(folder, copy), 1)
    report["segments"] = segments(copy)
    try:
        env = instance_env(copy)
        sync = subprocess.run(
            flask("index", "sync"), env=env, cwd=ROOT, capture_output=True, text=True
        )
        report["index_sync"] = (sync.stdout + sync.stderr).strip()[-500:]
        print(f"[{size}] in process", file=sys.stderr, flush=True)
        child = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--in-process",
                str(copy),
                "--size",
                str(size),
                "--plan",
                str(plan_path),
                "--rounds",
                str(opts.rounds),
                "--per-kind",
                str(opts.per_kind),
                "--edits",
                str(opts.edits),
                "--profile",
                str(opts.profile),
                "--edit-timeout",
                str(opts.edit_timeout),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise SystemExit(f"in-process phase failed:\n{child.stderr[-3000:]}")
        report["in_process"] = json.loads(child.stdout)
        if not opts.skip_http:
            print(f"[{size}] HTTP", file=sys.stderr, flush=True)
            stopped = dig(report, "in_process", "after_edit", "stopped")
            report["http"] = http(copy, size, json.loads(plan_path.read_text()), opts, stopped)
        if not opts.skip_rebuild:
            print(f"[{size}] rebuild", file=sys.stderr, flush=True)
            report["rebuild"] = rebuild(copy)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return report


# -- the table -------------------------------------------------------------------------------
def dig(report: dict, *keys: Any) -> Any:
    for key in keys:
        if report is None:
            return None
        try:
            report = report[key]
        except (KeyError, IndexError, TypeError):
            return None
    return report


def per_thousand(report: dict, phase: str) -> float | None:
    cpu, profiles = dig(report, phase, "cpu_seconds"), dig(report, "built", "profiles")
    return cpu * 1000 / profiles if cpu is not None and profiles else None


def rows(reports: list[dict]) -> list[tuple[str, list[Any], bool]]:
    """(label, value per size, whether a growth ratio means something)."""

    def each(*keys: Any) -> list[Any]:
        return [dig(r, *keys) for r in reports]

    def workers(kind: str) -> list[Any]:
        return [
            "/".join(f"{w[kind]:.0f}" for w in (dig(r, "http", "workers") or [])) or None
            for r in reports
        ]

    def worst(kind: str) -> list[Any]:
        return [
            max((w[kind] for w in dig(r, "http", "workers") or []), default=None) for r in reports
        ]

    out: list[tuple[str, list[Any], bool]] = [
        ("profiles", each("built", "profiles"), True),
        ("ingest: profiles/s", each("built", "profiles_per_second"), True),
        (
            "ingest: minutes",
            [None if s is None else s / 60 for s in each("built", "ingest_seconds")],
            True,
        ),
        ("ingest: peak RSS MB (all processes)", each("built", "peak_rss_mb"), True),
        ("ingest: peak RSS MB (largest process)", each("built", "peak_process_rss_mb"), True),
        (
            "index segments: as built / after rebuild",
            [f"{dig(r, 'segments')}/{dig(r, 'rebuild', 'segments')}" for r in reports],
            False,
        ),
        ("rebuild: seconds", each("rebuild", "seconds"), True),
        ("neighbourhood: radius mi", each("in_process", "neighbourhood", "radius_mi"), False),
        ("ingest: CPU s per 1,000 profiles", [per_thousand(r, "built") for r in reports], True),
        ("rebuild: peak RSS MB (all processes)", each("rebuild", "peak_rss_mb"), True),
        ("rebuild: CPU s per 1,000 profiles", [per_thousand(r, "rebuild") for r in reports], True),
    ]
    for kind in ("local", "local+q", "mix", "q alone", "neighbourhood"):
        for what, label in (("find", "find_page"), ("run", "run_search")):
            out.append(
                (
                    f"{kind}: {label} median ms (wall)",
                    each("in_process", "kinds", kind, f"{what}_wall", "median"),
                    True,
                )
            )
            out.append(
                (
                    f"{kind}: {label} p99 ms (wall)",
                    each("in_process", "kinds", kind, f"{what}_wall", "p99"),
                    True,
                )
            )
            out.append(
                (
                    f"{kind}: {label} median ms (CPU)",
                    each("in_process", "kinds", kind, f"{what}_cpu", "median"),
                    True,
                )
            )
        out.append(
            (
                f"{kind}: find_page first time, median ms (wall)",
                each("in_process", "kinds", kind, "first_find_wall", "median"),
                True,
            )
        )
        out.append((f"{kind}: mean results", each("in_process", "kinds", kind, "mean_total"), True))
        out.append(
            (
                f"{kind}: share with no result",
                each("in_process", "kinds", kind, "empty_share"),
                False,
            )
        )
    out += [
        (
            "page of 20 assembled: median ms (wall)",
            each("in_process", "kinds", "mix", "assemble_wall", "median"),
            True,
        ),
        (
            "page of 20 assembled: p99 ms (wall)",
            each("in_process", "kinds", "mix", "assemble_wall", "p99"),
            True,
        ),
        (
            "page of 20 assembled: median ms (CPU)",
            each("in_process", "kinds", "mix", "assemble_cpu", "median"),
            True,
        ),
        *(
            (
                f"cold after edit, {kind}: first / first after another process ran (CPU)",
                each("in_process", "after_edit", "cold_by_kind", kind, "disturbed_ratio_median"),
                False,
            )
            for kind in ("local", "local+q")
        ),
        *(
            (
                f"cold after edit, {kind}: first / warm (wall)",
                each("in_process", "after_edit", "cold_by_kind", kind, "ratio_median"),
                False,
            )
            for kind in ("local", "local+q")
        ),
        (
            "cold after edit: first / warm (wall, median)",
            each("in_process", "after_edit", "cold_ratio_median"),
            False,
        ),
        (
            "cold after edit: first / warm (CPU, median)",
            each("in_process", "after_edit", "cold_cpu_ratio_median"),
            False,
        ),
        (
            "cold after edit: first / warm (wall, edits not merging)",
            each("in_process", "after_edit", "cold_ratio_median_no_merge"),
            False,
        ),
        ("edits that merged segments", each("in_process", "after_edit", "edits_merging"), False),
        (
            "edit: one-profile ingest s (max)",
            each("in_process", "after_edit", "edit_ingest_s_max"),
            False,
        ),
        ("edits stopped", each("in_process", "after_edit", "stopped"), False),
        (
            "edit -> searchable here, s (median)",
            each("in_process", "after_edit", "edit_to_visible_s_median"),
            False,
        ),
        (
            "edit -> searchable here, s (max)",
            each("in_process", "after_edit", "edit_to_visible_s_max"),
            False,
        ),
        (
            "admin API edit -> every worker, s",
            each("http", "admin_edit", "edit_to_visible_s"),
            False,
        ),
        ("admin API edit: request s", each("http", "admin_edit", "request_s"), False),
        ("admin API edit: status", each("http", "admin_edit", "status"), False),
        ("HTTP: requests/s", each("http", "requests_per_second"), True),
        ("HTTP: p50 ms", each("http", "p50_ms"), True),
        ("HTTP: p99 ms", each("http", "p99_ms"), True),
        ("HTTP: non-2xx", each("http", "non_2xx"), False),
        ("HTTP: server CPU ms per request", each("http", "server_cpu_ms_per_request"), True),
        ("HTTP: wrk CPU s (same cores)", each("http", "wrk_cpu_s"), False),
        ("workers: RSS MB", workers("rss"), False),
        ("workers: PSS MB", workers("pss"), False),
        ("workers: USS MB", workers("uss"), False),
        ("workers: anonymous MB", workers("anon"), False),
        ("worker max PSS MB", worst("pss"), True),
        ("worker max USS MB", worst("uss"), True),
        ("process open + warm ms", each("in_process", "open_and_warm_ms"), True),
        ("load average (in process)", [dig(r, "in_process", "load") for r in reports], False),
        ("load average (HTTP)", [dig(r, "http", "load") for r in reports], False),
        ("load average (rebuild)", [dig(r, "rebuild", "load") for r in reports], False),
    ]
    return out


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "/".join(fmt(v) for v in value)
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(reports: list[dict]) -> str:
    sizes = [r["size"] for r in reports]
    base = reports[0] if sizes[0] == 100_000 else None
    head = ["", *(f"{s:,}" for s in sizes)]
    if base is not None:
        head += [f"x {s // 1000}k/100k" for s in sizes[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, values, ratio in rows(reports):
        cells = [label, *(fmt(v) for v in values)]
        if base is not None:
            for v in values[1:]:
                ok = ratio and isinstance(v, int | float) and isinstance(values[0], int | float)
                cells.append(f"{v / values[0]:.2f}" if ok and values[0] else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(reports: list[dict]) -> list[str]:
    """Issue 11's targets, each with its figure: PASS, FAIL, or - (not measured)."""
    by = {r["size"]: r for r in reports}
    big, small = by.get(1_000_000), by.get(100_000)
    out = []

    def check(name: str, value: Any, ok: Any) -> None:
        state = "-" if value is None else ("PASS" if ok else "FAIL")
        out.append(f"{state:4} {name}: {fmt(value)}")

    def at(report: dict | None, *keys: Any) -> Any:
        return dig(report, *keys) if report is not None else None

    v = at(big, "http", "requests_per_second")
    check("1M: HTTP >= 300 requests/s", v, v is not None and v >= 300)
    v = at(big, "http", "p99_ms")
    check("1M: HTTP p99 < 100 ms", v, v is not None and v < 100)
    v = at(small, "http", "requests_per_second")
    check("100k: HTTP >= 400 requests/s", v, v is not None and v >= 400)
    a = at(big, "in_process", "kinds", "local", "find_wall", "median")
    b = at(small, "in_process", "kinds", "local", "find_wall", "median")
    ratio = a / b if a is not None and b else None
    check("local search 1M / 100k <= 1.5 (wall medians)", ratio, ratio is not None and ratio <= 1.5)
    a = at(big, "in_process", "kinds", "local", "find_cpu", "median")
    b = at(small, "in_process", "kinds", "local", "find_cpu", "median")
    ratio = a / b if a is not None and b else None
    check("local search 1M / 100k <= 1.5 (CPU medians)", ratio, ratio is not None and ratio <= 1.5)
    a = at(big, "in_process", "kinds", "neighbourhood", "find_cpu", "median")
    b = at(small, "in_process", "kinds", "neighbourhood", "find_cpu", "median")
    ratio = a / b if a is not None and b else None
    check(
        "same neighbourhood, 1M / 100k <= 1.5 (CPU medians)",
        ratio,
        ratio is not None and ratio <= 1.5,
    )
    v = at(big, "in_process", "kinds", "local", "find_wall", "median")
    check("1M: local search in-process median < 5 ms", v, v is not None and v < 5)
    v = at(big, "in_process", "kinds", "q alone", "find_wall", "median")
    check("1M: q alone median < 100 ms", v, v is not None and v < 100)
    workers = at(big, "http", "workers")
    v = max((w["uss"] for w in workers), default=None) if workers else None
    check("1M: each worker < 300 MB private (USS)", v, v is not None and v < 300)
    v = at(big, "built", "ingest_seconds")
    check("1M: ingest < 20 minutes (s)", v, v is not None and v < 1200)
    a, b = at(big, "built", "peak_rss_mb"), at(small, "built", "peak_rss_mb")
    ratio = a / b if a is not None and b else None
    check(
        "ingest memory flat (peak RSS 1M / 100k, <= 1.25)",
        ratio,
        ratio is not None and ratio <= 1.25,
    )
    v = at(big, "rebuild", "seconds")
    check("1M: index rebuild < 15 minutes (s)", v, v is not None and v < 900)
    v = at(big, "in_process", "after_edit", "edit_to_visible_s_max")
    check("1M: edited profile searchable within 1 s (ingest, max)", v, v is not None and v < 1)
    v = at(big, "http", "admin_edit", "edit_to_visible_s")
    check("1M: admin edit searchable in every worker within 1 s", v, v is not None and v < 1)
    v = at(big, "in_process", "after_edit", "cold_ratio_median")
    check(
        "1M: cold after edit <= 2x warm (a search repeated in a loop)", v, v is not None and v <= 2
    )
    for size, report in sorted(by.items()):
        kinds = at(report, "in_process", "after_edit", "cold_by_kind") or {}
        ratios = [k["disturbed_ratio_median"] for k in kinds.values()]
        v = max(ratios) if ratios and None not in ratios else None
        check(
            f"{size // 1000}k: first search after an edit <= 2x the first after another "
            "process (the worse of local and local+q)",
            v,
            v is not None and v <= 2,
        )
    v = at(big, "in_process", "kinds", "mix", "assemble_wall", "median")
    check("1M: page of 20 assembled < 2 ms (median)", v, v is not None and v < 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--short", action="store_true", help="100,000 only")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument("--seconds", type=int, default=20, help="HTTP load duration")
    parser.add_argument("--warmup", type=int, default=3, help="HTTP warm-up seconds")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds in process")
    parser.add_argument("--per-kind", type=int, default=150, help="requests of each kind")
    parser.add_argument("--edits", type=int, default=3, help="edits timed, twice (0: none)")
    parser.add_argument("--edit-timeout", type=float, default=180, help="seconds one edit may take")
    parser.add_argument("--profile", type=int, default=0, help="cProfile: top N functions")
    parser.add_argument("--port", type=int, default=5193)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--in-process", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.in_process:
        result = in_process(Path(opts.in_process), opts.size, Path(opts.plan), opts)
        print(json.dumps(result))
        return
    sizes = [100_000] if opts.short else sorted(int(s) for s in opts.sizes.split(","))
    plan_dir = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    plan_path = plan_dir / "plan.json"
    reports = []
    started = time.perf_counter()
    try:
        for size in sizes:
            reports.append(measure(size, plan_path, opts))
            print(table(reports), file=sys.stderr, flush=True)
        plan = json.loads(plan_path.read_text())
    finally:
        shutil.rmtree(plan_dir, ignore_errors=True)
    report = {
        "sizes": sizes,
        "seconds": round(time.perf_counter() - started),
        "cpus": os.cpu_count(),
        "plan": {k: v for k, v in plan.items() if k != "requests"}
        | {"requests": len(plan["requests"])},
        "reports": reports,
        "table": table(reports),
        "targets": targets(reports),
    }
    write_report("scale", report, echo=opts.json)
    print(report["table"])
    print()
    print("\n".join(report["targets"]))
    print(f"\n{report['seconds']} s in all")


if __name__ == "__main__":
    main()
