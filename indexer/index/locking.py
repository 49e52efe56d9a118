"""One writer per node: an `flock` on `.lock` in the index directory, with who holds it.

The holder writes its pid, host, command and start time into the lock file, so a writer that
has to wait says whom it waits for, and one that gives up says whom to stop. Writer processes
inherit open files when they fork; they close the lock (`close_inherited_locks`) so that only
the process that took it holds it, and it is released when that process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..processes import alive

POLL_SECONDS = 0.2
# The lock descriptors this process holds; a forked child closes its copies.
_HELD: set[int] = set()


class IndexLocked(Exception):
    """The node's index lock stayed busy for the whole timeout."""

    def __init__(self, path: Path, holder: dict[str, Any], waited: float) -> None:
        self.holder, self.waited = holder, waited
        super().__init__(
            f"The index at {path.parent} is locked by {describe(holder)}; gave up after "
            f"{waited:.0f} s. If that process is stuck, stop it, then run `flask index sync`."
        )


@contextmanager
def node_lock(
    root: Path,
    timeout: float | None = None,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[None]:
    """Hold the node's index lock. Waits (for `timeout` seconds at most, or for ever with
    None), telling `on_wait` once whom it waits for; IndexLocked after the timeout."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, timeout, on_wait)
        _HELD.add(fd)
        try:
            _record_holder(fd)
            yield
        finally:
            _HELD.discard(fd)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def close_inherited_locks() -> None:
    """In a forked child: close the parent's lock descriptors, so that the lock stays the
    parent's alone and dies with it."""
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


def holder_of(path: Path) -> dict[str, Any]:
    """Who holds (or last held) the lock at `path`: what it recorded, whether that process
    is alive, and the processes that have the lock file open now."""
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if info.get("host") == socket.gethostname() and info.get("pid"):
        info["alive"] = alive(int(info["pid"]))
    info["open_by"] = _pids_with_open(path)
    return info


def describe(holder: dict[str, Any]) -> str:
    """The holder in words, for messages to operators."""
    if not holder.get("pid"):
        return "another process (it recorded nothing)"
    words = f"pid {holder['pid']} on {holder.get('host', '?')} ({holder.get('command', '?')}, "
    words += f"since {holder.get('since', '?')})"
    others = [p for p in holder.get("open_by", []) if p != holder["pid"]]
    if holder.get("alive") is False and others:
        words += (
            f", which has ended; pid {', '.join(map(str, others))} still holds the lock "
            "(a process it left behind)"
        )
    return words


def _acquire(
    fd: int, path: Path, timeout: float | None, on_wait: Callable[[dict[str, Any]], None] | None
) -> None:
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        waited = time.monotonic() - started
        if timeout is not None and waited >= timeout:
            raise IndexLocked(path, holder_of(path), waited)
        if on_wait is not None and not told:
            on_wait(holder_of(path))
            told = True
        time.sleep(POLL_SECONDS if timeout is None else min(POLL_SECONDS, timeout / 4 or 0.01))


def _record_holder(fd: int) -> None:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[
            :200
        ],
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)


def _pids_with_open(path: Path) -> list[int]:
    """Processes of this machine with `path` open (from /proc; empty where there is none)."""
    target, out = str(path.resolve()), []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                for fd in os.scandir(f"/proc/{entry.name}/fd"):
                    if os.readlink(fd.path) == target:
                        out.append(int(entry.name))
                        break
    return sorted(out)
