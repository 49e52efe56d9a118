"""What an ingest run did, for people (`lines`) and for scripts (`as_dict`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .index import SyncResult


@dataclass
class IngestSummary:
    """What an ingest run did; `read == accepted + rejected` always holds."""

    files: list[str]
    source: str
    dry_run: bool = False
    run_id: int | None = None
    counts: Counter = field(default_factory=Counter)
    unknown_terms: Counter = field(default_factory=Counter)
    ignored_fields: Counter = field(default_factory=Counter)
    rejects_path: str | None = None
    index: SyncResult | None = None
    # Why the index was not brought up to date (another writer held the node's lock); the
    # change log keeps the changes for that writer or the next sync.
    index_pending: str | None = None
    seconds: float = 0.0

    @property
    def read(self) -> int:
        return self.counts["read"]

    @property
    def accepted(self) -> int:
        return self.counts["accepted"]

    @property
    def rejected(self) -> int:
        return self.counts["rejected"]

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON: the same shape for the CLI (`--json`) and the admin API."""
        keys = (
            "read",
            "accepted",
            "created",
            "updated",
            "unchanged",
            "superseded",
            "rejected",
            "offices_not_geolocated",
            "with_unknown_terms",
        )
        return {
            "run_id": self.run_id,
            "source": self.source,
            "files": self.files,
            "dry_run": self.dry_run,
            **{k: self.counts[k] for k in keys},
            "unknown_terms": dict(self.unknown_terms.most_common()),
            "ignored_fields": dict(self.ignored_fields.most_common()),
            "rejects_file": self.rejects_path,
            "index": None
            if self.index is None
            else {
                "generation": self.index.generation,
                "applied_changes": self.index.applied,
                "change_id": self.index.change_id,
            },
            "index_pending": self.index_pending,
            "seconds": round(self.seconds, 3),
        }

    def lines(self) -> list[str]:
        """A summary a person reads at the end of a run."""
        c = self.counts
        superseded = (
            f", superseded {c['superseded']} (same id again later in the run)"
            if c["superseded"]
            else ""
        )
        out = [
            f"read {c['read']} = accepted {c['accepted']} + rejected {c['rejected']}"
            + (" (dry run: nothing was written)" if self.dry_run else ""),
            f"  created {c['created']}, updated {c['updated']}, unchanged {c['unchanged']}"
            + superseded,
            f"  offices not geolocated: {c['offices_not_geolocated']}",
        ]
        if self.unknown_terms:
            top = ", ".join(f"{t!r} ({n})" for t, n in self.unknown_terms.most_common(5))
            share = c["with_unknown_terms"] / c["accepted"] if c["accepted"] else 0
            out.append(
                f"  unknown terms kept as tags: {sum(self.unknown_terms.values())} "
                f"({len(self.unknown_terms)} distinct; most common: {top}), in "
                f"{c['with_unknown_terms']} profiles ({share:.0%}): `flask taxonomy unknown`"
            )
        if self.ignored_fields:
            names = ", ".join(f"{k} ({n})" for k, n in self.ignored_fields.most_common())
            out.append(f"  fields not in the input format, ignored: {names}")
        if self.rejects_path:
            out.append(f"  rejects written to {self.rejects_path}")
        if self.index is not None:
            out.append(
                f"  index {self.index.generation}: {self.index.applied} changes applied "
                f"in {self.index.seconds:.1f} s"
            )
        if self.index_pending:
            out.append(f"  index not updated yet: {self.index_pending}")
        rate = c["read"] / self.seconds if self.seconds else 0
        out.append(f"  {self.seconds:.1f} s ({rate:.0f} profiles/s)")
        return out
