"""Benchmark instances: an SQLite database and index of N synthetic profiles, built once and
reused (bench/work/instances/<N>/, not committed).

    .venv/bin/python bench/instances.py 100000     # build (or reuse) and print its folder

Set DIRECTORY_BENCH_WORK to keep them somewhere else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from report import ROOT

# DIRECTORY_BENCH_WORK: one folder of instances shared by several checkouts (they take
# minutes to an hour to build).
WORK = Path(os.environ.get("DIRECTORY_BENCH_WORK") or ROOT / "bench" / "work")
SEED = 7


def flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "directory", *args]


def instance_env(folder: Path, **extra: str) -> dict[str, str]:
    """The environment a command or server of this instance runs with."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DIRECTORY_INSTANCE_PATH": str(folder),
        "DIRECTORY_RATE_LIMIT": "",
        "DIRECTORY_SEARCH_CACHE_SIZE": "0",
        **extra,
    }


def sample_file(count: int) -> Path:
    """The synthetic input of `count` profiles (generated once)."""
    path = WORK / f"sample-{count}-seed{SEED}.jsonl"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run(
            flask("sample", "--count", str(count), "--seed", str(SEED), "-o", str(tmp)),
            check=True,
            env=instance_env(WORK / "scratch"),
            cwd=ROOT,
        )
        tmp.rename(path)
    return path


def instance(count: int) -> tuple[Path, dict]:
    """(folder, build figures) of an instance of `count` profiles: reused when complete."""
    folder = WORK / "instances" / str(count)
    done = folder / "built.json"
    if done.exists():
        return folder, json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    env = instance_env(folder)
    sample = sample_file(count)
    subprocess.run(flask("db", "upgrade"), check=True, env=env, cwd=ROOT, capture_output=True)
    started = time.perf_counter()
    out = subprocess.run(
        flask(
            "ingest",
            str(sample),
            "--source",
            "bench",
            "--json",
            "--rejects",
            str(folder / "rejects.jsonl"),
        ),
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.perf_counter() - started
    summary = json.loads(out)
    figures = {
        "profiles": summary["accepted"],
        "ingest_seconds": round(seconds, 1),
        "profiles_per_second": round(summary["read"] / seconds),
    }
    done.write_text(json.dumps(figures))
    return folder, figures


if __name__ == "__main__":
    path, figures = instance(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    print(path, figures)
