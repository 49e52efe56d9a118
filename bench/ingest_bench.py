"""Ingest benchmark: rerun it to measure, don't trust a timed test.

    .venv/bin/python bench/ingest_bench.py [--count 100000] [--seed 7] [--skip-postgres]

Reports, for COUNT synthetic profiles (`flask sample`): end-to-end ingest throughput on SQLite
and on PostgreSQL (each into a fresh database and index), `index rebuild` time, index size on
disk, peak memory (resident, largest process) of the ingest and of streaming a 1,000,000-line
file through the reader, and how long an edited profile takes to become searchable.
Every step runs in its own process, as an operator would run it. Results go to stdout and to
bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from report import write_report

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
PG_ADMIN = os.environ.get(
    "DIRECTORY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def run(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a command; wall time and the peak RSS of it and its children (MB)."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return {"wall": wall, "stdout": proc.stdout}


def peak_rss_mb(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, dict]:
    """Run a command in a fresh measuring process, so ru_maxrss covers only that command."""
    wrapper = (
        "import resource, subprocess, sys, json, time;"
        "t=time.perf_counter();"
        "p=subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(json.dumps({'rc': p.returncode, 'wall': time.perf_counter()-t,"
        "'out': p.stdout, 'err': p.stderr[-2000:],"
        "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    data = json.loads(proc.stdout)
    if data["rc"] != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{data['out']}\n{data['err']}")
    return data["rss"] / 1024, data


def flask(*args: str) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "flask"), "--app", "directory", *args]


def sample_file(count: int, seed: int) -> Path:
    path = WORK / f"sample-{count}-{seed}.jsonl"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        result = run(flask("sample", "--count", str(count), "--seed", str(seed), "-o", str(path)))
        print(f"generated {path.name} in {result['wall']:.1f} s")
    return path


def million_lines(source: Path) -> Path:
    """A 1,000,000-line file: the sample repeated with fresh ids (written streaming)."""
    path = WORK / "million.jsonl"
    if path.exists():
        return path
    with open(source, encoding="utf-8") as fh:
        lines = fh.readlines()[:10_000]
    with open(path, "w", encoding="utf-8") as out:
        for rep in range(1_000_000 // len(lines)):
            for line in lines:
                record = json.loads(line)
                record["id"] = f"{record['id']}-r{rep}"
                out.write(json.dumps(record) + "\n")
    return path


def ingest_run(label: str, database_url: str | None, sample: Path) -> dict:
    instance = WORK / f"instance-{label}"
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    env = {"DIRECTORY_INSTANCE_PATH": str(instance)}
    if database_url:
        env["DIRECTORY_DATABASE_URL"] = database_url
    run(flask("db", "upgrade"), env)
    rss, data = peak_rss_mb(
        flask(
            "ingest",
            str(sample),
            "--source",
            "bench",
            "--json",
            "--rejects",
            str(instance / "rejects.jsonl"),
        ),
        env,
    )
    summary = json.loads(data["out"])
    result = {
        "profiles": summary["read"],
        "ingest_seconds": round(data["wall"], 1),
        "profiles_per_second": round(summary["read"] / data["wall"]),
        "ingest_peak_rss_mb": round(rss),
        "accepted": summary["accepted"],
        "rejected": summary["rejected"],
    }
    rss, data = peak_rss_mb(flask("index", "rebuild"), env)
    result["rebuild_seconds"] = round(data["wall"], 1)
    result["rebuild_peak_rss_mb"] = round(rss)
    status = json.loads(run(flask("index", "status"), env)["stdout"])
    generation = instance / "index" / status["generation"]
    result["index_mb"] = round(sum(f.stat().st_size for f in generation.iterdir()) / 2**20, 1)
    result["edit_searchable_seconds"] = edit_latency(env)
    return result


def edit_latency(env: dict[str, str]) -> float:
    """Seconds from the start of an ingest of one edited profile until a search finds it,
    measured in one process (the CLI's own start-up is not part of the ingest)."""
    code = """
import json, os, sys, time, itertools
from directory import create_app
from directory.db import sessions
from directory.parts import geocoder, index_store, taxonomy
from indexer.pipeline import run_ingest
from indexer.readers import read_records
sample, out = sys.argv[1], sys.argv[2]
record = next(read_records(sample)).record
record["bio"] = (record.get("bio") or "") + " zanzibarite"
open(out, "w").write(json.dumps(record) + "\\n")
app = create_app()
with app.app_context():
    geocoder(); taxonomy()
    t = time.perf_counter()
    run_ingest([out], sessions=sessions(), taxonomy=taxonomy(), geocoder=geocoder(),
               source="bench", index=index_store())
    hits = index_store().search_ids("zanzibarite")
    print(json.dumps({"seconds": time.perf_counter() - t, "hits": len(hits)}))
"""
    sample = next(WORK.glob("sample-*.jsonl"))
    out = WORK / "edit.jsonl"
    result = run(
        [sys.executable, "-c", code, str(sample), str(out)], {**env, "PYTHONPATH": str(ROOT)}
    )
    data = json.loads(result["stdout"].strip().splitlines()[-1])
    assert data["hits"] == 1, data
    return round(data["seconds"], 3)


def reader_peak(path: Path) -> dict:
    code = (
        "import sys; from indexer.readers import read_records;"
        "print(sum(1 for _ in read_records(sys.argv[1])))"
    )
    rss, data = peak_rss_mb([sys.executable, "-c", code, str(path)], {"PYTHONPATH": str(ROOT)})
    return {"lines": int(data["out"]), "seconds": round(data["wall"], 1), "peak_rss_mb": round(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-million", action="store_true")
    args = parser.parse_args()

    sample = sample_file(args.count, args.seed)
    report: dict = {"count": args.count, "cpus": os.cpu_count()}
    if not args.skip_sqlite:
        report["sqlite"] = ingest_run("sqlite", None, sample)
        print("sqlite", report["sqlite"], flush=True)
    if not args.skip_postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
            report["postgresql"] = ingest_run("postgresql", url, sample)
            print("postgresql", report["postgresql"], flush=True)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if not args.skip_million:
        report["reader_1m"] = reader_peak(million_lines(sample))
        print("reader over 1M lines", report["reader_1m"], flush=True)
    write_report("ingest", report)


if __name__ == "__main__":
    main()
