"""The search index: the one package that knows Whoosh.

Every import of Whoosh, and every read of a Whoosh private member, is in this package (the
private reads in `internals.py` alone, checked by tests/test_whoosh_contract.py). The search
layer and the pipeline use what is exported here:

- `IndexStore`: a node's index directory, its generations, rebuild and sync (generations.py);
- `SearchEngine` and `Snapshot`: the current searchable state, as document sets (snapshot.py);
- `document`, `kw_term`: what one therapist is in the index (schema.py);
- `mask_of`, `docs_of`, `doc_array`, `bits_at`: document sets as bitmasks (masks.py);
- `STOP_WORDS`, `TEXT_ANALYZER`, `NAME_ANALYZER`: how text becomes terms (analysis.py).
"""

from .analysis import NAME_ANALYZER, STOP_WORDS, TEXT_ANALYZER
from .errors import IndexUnavailable, IndexUnreadable, NoIndexYet
from .generations import IndexStore
from .locking import IndexLocked
from .masks import bits_at, doc_array, docs_of, mask_of
from .memory import memory_snapshot
from .schema import document, kw_term
from .snapshot import CHECK_INTERVAL_SECONDS, SearchEngine, Snapshot
from .writers import SyncResult

__all__ = [
    "CHECK_INTERVAL_SECONDS",
    "NAME_ANALYZER",
    "STOP_WORDS",
    "TEXT_ANALYZER",
    "IndexLocked",
    "IndexUnavailable",
    "IndexUnreadable",
    "NoIndexYet",
    "IndexStore",
    "SearchEngine",
    "Snapshot",
    "SyncResult",
    "bits_at",
    "doc_array",
    "docs_of",
    "document",
    "kw_term",
    "mask_of",
    "memory_snapshot",
]
