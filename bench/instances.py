"""Benchmark instances: an SQLite database and index of N synthetic profiles, built once and
reused (bench/work/instances/<N>/, not committed).

    .venv/bin/python bench/instances.py 100000     # build (or reuse) and print its folder

Set DIRECTORY_BENCH_WORK to keep them somewhere else. The build figures (built.json) are the
ingest's duration and rate and the peak resident memory of its processes (the command and its
writer processes, summed and the largest one), sampled from /proc while it runs.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
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


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        todo.extend(int(c) for c in children.split())
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 when it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemoryWatch:
    """Samples the resident memory of a process and its descendants every `interval` seconds
    until stopped: the peak of their sum, the peak of any one, and a few samples over time
    (flat memory shows as samples that stop growing)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval = pid, interval
        self.peak_tree = self.peak_process = 0.0
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.perf_counter()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = [rss_mb(p) for p in process_tree(self.pid)]
            total = sum(sizes)
            self.peak_tree = max(self.peak_tree, total)
            self.peak_process = max(self.peak_process, max(sizes, default=0.0))
            self.samples.append((time.perf_counter() - self._started, total))
            self._stop.wait(self.interval)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        # Ten samples spread over the run: the shape of the memory curve.
        step = max(1, len(self.samples) // 10)
        return {
            "peak_rss_mb": round(self.peak_tree),
            "peak_process_rss_mb": round(self.peak_process),
            "rss_mb_over_time": [[round(t), round(m)] for t, m in self.samples[::step]],
        }


def run_watched(command: list[str], env: dict[str, str]) -> tuple[str, float, dict]:
    """Run a command (stdout captured, stderr passed through) watching its memory: (stdout,
    seconds, figures: memory, and the CPU seconds of the command and the processes it waited
    for, which a busy machine inflates less than the duration). CalledProcessError when it
    fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    watch = MemoryWatch(process.pid)
    out, _ = process.communicate()
    seconds = time.perf_counter() - started
    memory = watch.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    memory["cpu_seconds"] = round(
        after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1
    )
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, out)
    return out, seconds, memory


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
    load = os.getloadavg()[0]
    out, seconds, memory = run_watched(
        flask(
            "ingest",
            str(sample),
            "--source",
            "bench",
            "--json",
            "--rejects",
            str(folder / "rejects.jsonl"),
        ),
        env,
    )
    summary = json.loads(out)
    figures = {
        "profiles": summary["accepted"],
        "ingest_seconds": round(seconds, 1),
        "profiles_per_second": round(summary["read"] / seconds),
        **memory,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    done.write_text(json.dumps(figures))
    return folder, figures


if __name__ == "__main__":
    path, figures = instance(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    print(path, figures)
