"""Hostile requests on a 100,000-profile instance: what one request of the worst kind costs,
and whether 20 of them at once leave the node answering its health check.

    .venv/bin/python bench/hostile_bench.py [--count 100000] [--workers 2] [--threads 1]

Builds (or reuses) the instance with bench/instances.py, serves it with gunicorn (rate limits
and the response cache off), and measures, each as the median of several runs:
- the request of the hardening issue: unknown words and 300 repeated filter values (now a 400);
- the heaviest request the limits allow: 20 unknown words, 10 values of every repeatable
  filter, every flag, a place, nothing matching (so suggestions are tried);
- /healthz latency while 20 of those run at once.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from instances import ROOT, instance, instance_env
from report import write_report


def words(rng: random.Random, n: int, length: int = 8) -> list[str]:
    return ["".join(rng.choices(string.ascii_lowercase, k=length)) for _ in range(n)]


def issue_request(rng: random.Random) -> str:
    """The request the issue measured: many unknown words and a few hundred repeated filter
    values, about 3.6 KB (under gunicorn's 4 KB request line, so it reaches the app)."""
    params = [("q", " ".join(words(rng, 20, 9))[:200])]
    params += [("language", f"{c}{i}") for i, c in zip(range(220), "ab" * 110, strict=True)]
    return "/api/v1/therapists?" + urlencode(params)


def heaviest_allowed(rng: random.Random) -> str:
    """The most work the request limits allow, matching nothing."""
    params = [("q", " ".join(words(rng, 20, 9))[:200]), ("near", "10001"), ("radius", "25")]
    for name, values in (
        (
            "specialty",
            [
                "polyamory",
                "kink",
                "anxiety",
                "trauma",
                "grief",
                "adhd",
                "ocd",
                "infidelity",
                "divorce",
                "career",
            ],
        ),
        (
            "modality",
            [
                "eft",
                "gottman",
                "cbt",
                "dbt",
                "emdr",
                "ifs",
                "act",
                "somatic",
                "narrative",
                "psychodynamic",
            ],
        ),
        ("language", words(rng, 10, 6)),
        ("insurance", words(rng, 10, 7)),
        ("format", ["video", "in_person", "phone"]),
    ):
        params += [(name, v) for v in values]
    params += [
        (flag, "true")
        for flag in (
            "couples",
            "video",
            "intro_video",
            "accepting",
            "free_consultation",
            "sliding_scale",
        )
    ]
    return "/api/v1/therapists?" + urlencode(params)


def timed_get(base: str, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as err:
        err.read()
        status = err.code
    return status, (time.perf_counter() - started) * 1000


def serve(folder, port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:directory.gunicorn_config",
        "--no-control-socket",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "directory:create_app()",
    ]
    server = subprocess.Popen(
        command,
        env=instance_env(folder),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def burst(base: str, paths: list[str]) -> dict:
    """Run `paths` at once while polling /healthz every 20 ms; latencies in ms."""
    health: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            health.append(timed_get(base, "/healthz")[1])
            time.sleep(0.02)

    results: list[tuple[int, float]] = []
    poller = threading.Thread(target=poll)
    poller.start()
    threads = [
        threading.Thread(target=lambda p=p: results.append(timed_get(base, p))) for p in paths
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    done.set()
    poller.join()
    return {
        "requests": len(paths),
        "statuses": sorted({s for s, _ in results}),
        "wall_ms": round(wall * 1000),
        "request_median_ms": round(statistics.median(ms for _, ms in results)),
        "healthz_max_ms": round(max(health), 1),
        "healthz_median_ms": round(statistics.median(health), 1),
        "healthz_polls": len(health),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=5093)
    args = parser.parse_args()
    folder, built = instance(args.count)
    server = serve(folder, args.port, args.workers, args.threads)
    base, rng = f"http://127.0.0.1:{args.port}", random.Random(1)
    try:
        for _ in range(3):  # warm both workers: first snapshots, the gazetteer
            timed_get(base, "/api/v1/therapists?near=10001&couples=true")
        report: dict = {"instance": built, "workers": args.workers, "threads": args.threads}
        for name, make in (
            ("issue_request", issue_request),
            ("heaviest_allowed", heaviest_allowed),
        ):
            runs = [timed_get(base, make(rng)) for _ in range(7)]
            report[name] = {
                "statuses": sorted({s for s, _ in runs}),
                "median_ms": round(statistics.median(ms for _, ms in runs), 1),
                "max_ms": round(max(ms for _, ms in runs), 1),
            }
            report[f"{name}_x20"] = burst(base, [make(rng) for _ in range(20)])
        write_report("hostile", report)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
