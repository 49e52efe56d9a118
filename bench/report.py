"""Where benchmark reports go: bench/results/ (not committed), and stdout."""

from __future__ import annotations

import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_report(kind: str, report: dict, echo: bool = True) -> Path:
    """Print the report (with `echo`) and save it as bench/results/<kind>-<time>.json."""
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    out = results / f"{kind}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    if echo:
        print(json.dumps(report, indent=2))
    print(f"written to {out.relative_to(ROOT)}")
    return out
