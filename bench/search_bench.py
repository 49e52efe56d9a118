"""Search benchmark: rerun it to measure, don't trust a timed test.

    .venv/bin/python bench/search_bench.py --instance bench/work/instance-sqlite

Needs an instance folder with an ingested database and index (bench/ingest_bench.py leaves one
with 100,000 profiles). For a fixed mix of typical queries it reports in-process latency
(median and p99) of the search layer (place, filters, text, facet counts over the whole result
set, the page of ids), the same queries answered by an SQLite reference built from the same
database (bench/sqlite_reference.py: checked to give our answers, then timed interleaved with
ours) with the ratio ours / SQLite, and HTTP throughput of the full API
under gunicorn with 2 workers (driven by wrk) with each worker's resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from report import ROOT, write_report

sys.path.insert(0, str(ROOT))

from bench.sqlite_reference import compare, mix  # noqa: E402  (the query mix is shared)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ours_in_process(instance: str, runs: int) -> tuple[dict, object]:
    from werkzeug.datastructures import MultiDict

    from directory import create_app
    from directory.search.params import load_args
    from directory.search.response import find_page

    app = create_app(instance_path=instance)
    out = {}
    with app.app_context():

        def run(params: dict) -> int:  # the index-only half of a search: page, facets
            return find_page(load_args(MultiDict(params))).total

        started = time.perf_counter()
        for queries in mix().values():  # warm-up: opens the snapshot and its caches
            for params in queries:
                run(params)
        out["warm_up_seconds"] = round(time.perf_counter() - started, 2)
        for kind, queries in mix().items():
            times, totals = [], []
            for _ in range(runs):
                for params in queries:
                    t = time.perf_counter()
                    totals.append(run(params))
                    times.append((time.perf_counter() - t) * 1000)
            out[kind] = {
                "median_ms": round(statistics.median(times), 2),
                "p99_ms": round(percentile(times, 99), 2),
                "mean_total": round(statistics.mean(totals)),
            }
    return out, app


def http(instance: str, seconds: int, cache: bool) -> dict:
    """gunicorn -w 2 on a free local port, driven by wrk over the query mix; with the
    response cache on (repeated queries are answered from it) or off (every request
    searches). Rate limits are off: wrk is one client address."""
    port = 18000 + os.getpid() % 1000 + (1 if cache else 0)
    env = {
        **os.environ,
        "DIRECTORY_INSTANCE_PATH": instance,
        "DIRECTORY_RATE_LIMIT": "",
        "DIRECTORY_SEARCH_CACHE_SIZE": "2000" if cache else "0",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "directory:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        urls = [f"/api/v1/therapists?{urlencode(p)}" for qs in mix().values() for p in qs]
        _wait(port)
        for _ in range(3):  # both workers open their snapshot and caches
            for url in urls:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=60).read()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                "local paths = {" + ",".join(json.dumps(u) for u in urls) + "}\n"
                "local i = 0\nrequest = function()\n  i = i % #paths + 1\n"
                "  return wrk.format('GET', paths[i])\nend\n"
            )
        result = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                "8",
                "-d",
                f"{seconds}s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
        workers = [
            int(p)
            for p in subprocess.run(
                ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        rss = [_rss_mb(p) for p in workers]
        return {
            "requests_per_second": round(rate),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "worker_rss_mb": rss,
            "wrk": result.strip().splitlines(),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _rss_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default=str(ROOT / "bench" / "work" / "instance-sqlite"))
    parser.add_argument("--runs", type=int, default=40, help="repetitions of each query")
    parser.add_argument("--seconds", type=int, default=20, help="HTTP load duration")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    instance = str(Path(args.instance).resolve())
    report: dict = {}
    report["ours"], _ = ours_in_process(instance, args.runs)
    print("ours", json.dumps(report["ours"]), flush=True)
    if not args.skip_sqlite:  # checked against our answers first, then timed interleaved
        report["sqlite"] = compare(Path(instance), args.runs, warmup=3)
        report["ratio_ours_to_sqlite"] = {
            kind: v["ratio_wall"] for kind, v in report["sqlite"]["classes"].items()
        }
        print("sqlite", json.dumps(report["ratio_ours_to_sqlite"]), flush=True)
    if not args.skip_http:
        report["http_uncached"] = http(instance, args.seconds, cache=False)
        print("http uncached", report["http_uncached"]["requests_per_second"], flush=True)
        report["http_cached"] = http(instance, args.seconds, cache=True)
    write_report("search", report)


if __name__ == "__main__":
    main()
