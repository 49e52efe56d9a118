"""Rejected records: why each did not go in, and the JSON Lines file that keeps them whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .readers import RawRecord


@dataclass
class Rejected:
    """A record that did not go in, with why."""

    raw: RawRecord
    reasons: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.raw.file,
            "position": self.raw.position,
            "record": self.raw.original,
            "reasons": self.reasons,
        }


class RejectsWriter:
    """Writes rejects as JSON Lines, creating the file only when there is something to write."""

    def __init__(self, path: str | Path | None) -> None:
        self.target = Path(path) if path else None
        self.path: str | None = None
        self._fh: IO[str] | None = None

    def write(self, item: Rejected) -> None:
        if self.target is None:
            return
        if self._fh is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.target, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self.path = str(self.target)
        self._fh.write(json.dumps(item.as_json(), ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
