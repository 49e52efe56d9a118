"""What would help when nothing matched: a wider radius, video sessions, one filter fewer.

Each suggestion is a search of its own, so their work is bounded: they reuse what the search
already worked out (the matches of `q`, typos included), and they stop trying once
SUGGESTIONS_BUDGET seconds have gone; the answer then has fewer suggestions, never an error.
"""

from __future__ import annotations

import time
from typing import Any

from indexer.index import Snapshot
from indexer.taxonomy import Taxonomy

from .evaluate import Outcome, find
from .filters import build_filters

# Seconds the suggestions of one request may take, after which the rest are not tried.
SUGGESTIONS_BUDGET = 0.1
MAX_SUGGESTIONS = 5


def suggestions(
    snap: Snapshot,
    args: dict,
    outcome: Outcome,
    taxonomy: Taxonomy,
    budget: float = SUGGESTIONS_BUDGET,
) -> list[dict]:
    """For an empty result: what would help, with how many therapists each would find."""
    deadline = time.monotonic() + budget
    tries: list[tuple[str, dict]] = []
    if outcome.place is not None:
        radius, most = args["radius"], (500 if args["unit"] == "mi" else 800)
        for wider in sorted({radius * 2, radius * 5, 25, 50, 100}):
            if radius < wider <= most:
                tries.append(
                    (f"Search within {wider:g} {args['unit']}", {**args, "radius": float(wider)})
                )
        if args.get("video") is not True:
            tries.append(("Include therapists who offer video sessions", {**args, "video": True}))
    for f in outcome.filters:
        tries.append((f"Without \u201c{f.describe()}\u201d", _without(args, f)))
    if args.get("q"):
        tries.append(("Without the words", {k: v for k, v in args.items() if k != "q"}))
    out: list[dict] = []
    for label, changed in tries:
        if time.monotonic() > deadline or len(out) >= MAX_SUGGESTIONS:
            break
        widening = "radius" in changed and changed["radius"] != args["radius"]
        if widening and any("radius" in s["set"] for s in out):
            continue  # the smallest wider radius that finds someone is enough
        filters = build_filters(changed, taxonomy)
        concepts = outcome.concepts if changed.get("q") == args.get("q") else []
        total = find(snap, changed, outcome.place, filters, taxonomy, concepts).total
        if total:
            change = {k: v for k, v in changed.items() if args.get(k) != v}
            dropped = [k for k in args if k not in changed]
            out.append({"label": label, "total": total, "set": change, "remove": dropped})
    return out


def _without(args: dict, f: Any) -> dict:
    changed = dict(args)
    value = changed.get(f.param)
    if isinstance(value, list):
        rest = [v for v in value if getattr(f, "asked", None) != v]
        if rest:
            changed[f.param] = rest
            return changed
    changed.pop(f.param, None)
    return changed
