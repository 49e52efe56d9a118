"""Facet counts over a whole result set: one small function per kind of facet value.

A count is the number of results holding that value, which is exactly what adding that value
as a filter would return (filters of one parameter combine with AND). The snapshot counts them
the cheaper way for the size of the result (Snapshot.count_terms): the terms of each result,
or bitmasks ANDed in C.
"""

from __future__ import annotations

import numpy as np

from indexer.index import Snapshot
from indexer.taxonomy import Taxonomy

FACETS = (
    ("specialty", "specialty"),
    ("modality", "modality"),
    ("client_type", "client_type"),
    ("profession", "profession"),
    ("language", None),
    ("insurance", None),
)


def facet_counts(
    snap: Snapshot,
    docs: np.ndarray,
    taxonomy: Taxonomy,
    *,
    mask: int | None = None,
    limit: int = 60,
) -> dict[str, list[dict]]:
    """{"specialty": [{"value", "label", "count"}, ...], ...} over the result `docs` (live,
    ascending; `mask`: the same set, when known), most frequent first."""
    counts = snap.count_terms(docs, PREFIXES, mask=mask)
    out: dict[str, list[dict]] = {name: [] for name, _ in FACETS}
    for term, count in counts.items():
        name, value, label = _described(taxonomy, term)
        out[name].append({"value": value, "label": label, "count": count})
    for values in out.values():
        values.sort(key=lambda v: (-v["count"], v["label"]))
        del values[limit:]
    return out


PREFIXES = tuple(f"{name}:" for name, _ in FACETS)
_KINDS = dict(FACETS)


_descriptions: dict[tuple[str, str], tuple[str, str, str]] = {}


def _described(taxonomy: Taxonomy, term: str) -> tuple[str, str, str]:
    """(facet, value, label) of a structured term: the same for every search, so kept."""
    key = (taxonomy.fingerprint, term)
    found = _descriptions.get(key)
    if found is None:
        name, value = term.split(":", 1)
        found = (name, value, _label(taxonomy, _KINDS[name], value))
        if len(_descriptions) < 50_000:  # index terms are few; a bound all the same
            _descriptions[key] = found
    return found


def _label(taxonomy: Taxonomy, kind: str | None, value: str) -> str:
    if kind is not None:
        term = taxonomy.get(kind, value)
        if term is not None:
            return term.label
    # Languages and insurers are indexed lowercased; capitalise each word for display.
    return " ".join(w[:1].upper() + w[1:] for w in value.split(" "))
