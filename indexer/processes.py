"""Processes of this machine, as the pipeline needs to know them."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (possibly under another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
