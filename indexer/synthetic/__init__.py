"""Realistic synthetic therapist profiles in the input format (`flask sample`).

A development and demonstration tool, separate from the ingest pipeline (which never imports
it): the bundled sample and the benchmarks are generated here.

Deterministic: profile k of seed s comes from its own `random.Random(f"{s}:{k}")`, so the same
(count, seed) gives byte-identical output and profile k is the same whatever the count. Offices
sit on real US ZIP codes (the `zipcodes` package), weighted toward big metros; specialties and
modalities are written the way therapists write them, synonyms and unknown terms included.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator

from .profiles import make_profile


def generate_profiles(count: int, seed: int = 1) -> Iterator[dict]:
    """Yield `count` synthetic profiles in the input format; profile k depends only on (seed, k)."""
    for k in range(count):
        yield make_profile(seed, k)


def write_sample(path: str | os.PathLike[str], count: int, seed: int = 1) -> int:
    """Write `count` profiles as JSON Lines (UTF-8; gzip if `path` ends with .gz); return count."""
    path = os.fspath(path)
    with open(path, "wb") as raw:
        # mtime=0 and no file name in the gzip header keep the bytes identical run to run.
        stream = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
            if path.endswith(".gz")
            else raw
        )
        with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as out:
            n = 0
            for profile in generate_profiles(count, seed):
                out.write(json.dumps(profile, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
    return n
