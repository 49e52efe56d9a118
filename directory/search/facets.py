"""Facet counts over a whole result set: one small function per kind of facet value.

A count is the number of results holding that value, which is exactly what adding that value
as a filter would return (filters of one parameter combine with AND): the bits set in
(results AND documents with that value), counted in C.
"""

from __future__ import annotations

from typing import Any

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
    snap: Snapshot, mask: int, taxonomy: Taxonomy, limit: int = 60
) -> dict[str, list[dict]]:
    """{"specialty": [{"value", "label", "count"}, ...], ...}, most frequent first."""
    out: dict[str, list[dict]] = {}
    for name, kind in FACETS:
        values: list[dict[str, Any]] = []
        if mask:
            for term in snap.terms_with_prefix(f"{name}:"):
                count = (mask & snap.term_mask(term)).bit_count()
                if count:
                    value = term.split(":", 1)[1]
                    values.append(
                        {"value": value, "label": _label(taxonomy, kind, value), "count": count}
                    )
        values.sort(key=lambda v: (-v["count"], v["label"]))
        out[name] = values[:limit]
    return out


def _label(taxonomy: Taxonomy, kind: str | None, value: str) -> str:
    if kind is not None:
        term = taxonomy.get(kind, value)
        if term is not None:
            return term.label
    # Languages and insurers are indexed lowercased; capitalise each word for display.
    return " ".join(w[:1].upper() + w[1:] for w in value.split(" "))
