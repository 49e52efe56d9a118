"""Every use of Whoosh internals, in one place.

Each touches private members of Whoosh 2.7.4 (pinned in pyproject.toml), and
tests/test_whoosh_contract.py checks them against Whoosh's public answers, so an upgrade that
changes them fails a test instead of returning wrong scores or slow ingests:

- `leaf_posting_ids`, `leaf_postings`: a term's document numbers (and frequencies) in one
  segment, a block at a time;
- `field_length_array`: every document's length in a text field, from the codec's length column,
  read once per segment;
- `YieldingMpWriter`: writer processes at a lower CPU priority that end with their parent and
  do not keep its node lock (an override of the hook that starts each one, and of `cancel`,
  which in Whoosh only flags the processes).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching import FilterMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import byte_to_length

from .locking import close_inherited_locks

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def leaf_posting_ids(leaf: Any, fieldname: str, text: str) -> np.ndarray:
    """The document numbers of a term in one segment, read a block at a time: 10 times faster
    than `all_ids()`, which costs a Python call per posting. Some deleted documents may be
    included, as in `leaf_postings`."""
    if not leaf.doc_frequency(fieldname, text):
        return np.zeros(0, dtype=np.int64)
    matcher = leaf.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    blocks = []
    while matcher.is_active():
        matcher._read_ids()
        blocks.append(np.asarray(matcher._ids, dtype=np.int64))
        matcher._next_block()
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)


# Whoosh stores a field's length in one byte; this is the length each byte stands for.
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.int32)


def leaf_postings(leaf: Any, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of a term in one segment, read a block at a time.
    Some deleted documents may be included (callers skip them): Whoosh's filter of deleted
    documents has already stepped over the leading ones when it hands its matcher over."""
    if not leaf.doc_frequency(fieldname, text):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    matcher = leaf.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    ids, weights = [], []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.append(np.asarray(matcher._ids, dtype=np.int64))
        weights.append(np.asarray(matcher._weights, dtype=np.float64))
        matcher._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(ids), np.concatenate(weights)


def field_length_array(leaf: Any, fieldname: str) -> np.ndarray:
    """Every document's length in a text field of one segment (0 where it has none), as
    Whoosh's scorers see it (the codec's one-byte length column, decoded)."""
    size = leaf.doc_count_all()
    name = f"_{fieldname}_len"  # the Whoosh 3 codec's length column
    perdoc = leaf._perdoc
    if not perdoc.has_column(name):
        return np.zeros(size, dtype=np.int32)
    codes = np.zeros(size, dtype=np.uint8)
    column = np.fromiter(perdoc.column_reader(name, LENGTHS_COLUMN), dtype=np.uint8)
    codes[: len(column)] = column[:size]
    return _LENGTH_OF_BYTE[codes]


class _WriterTask(SubWriterTask):
    """A writer process that cannot outlive the process that started it, and does not keep
    that process's node lock: were it left behind, it would hold the lock for ever."""

    def run(self) -> None:
        _die_with_parent(self._parent_pid)
        close_inherited_locks()
        super().run()


def _die_with_parent(parent: int | None) -> None:
    """Ask Linux for SIGKILL when the parent ends (prctl PR_SET_PDEATHSIG), then make sure
    it has not ended already (it may have, before the request was made)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


class YieldingMpWriter(MpWriter):
    """Writer processes at a lower CPU priority than the process feeding them, which end with
    it (`_WriterTask`).

    During an ingest the feeding process (validation, geocoding, the database) is the serial
    part; the writers catch up with whatever CPU is left and finish on every core at the end.
    """

    def _new_task(self) -> SubWriterTask:
        # MpWriter._new_task of Whoosh 2.7.4, with the task class replaced.
        task = _WriterTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, task.pid, 10)
        return task

    def cancel(self) -> None:
        """Stop the writer processes (Whoosh's cancel only flags them, in this process)."""
        for task in self.tasks:
            with contextlib.suppress(OSError, AttributeError):
                task.terminate()
        super().cancel()
