"""Rejected records: why each did not go in, and the JSON Lines file that keeps them whole."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .readers import RawRecord
from .textnorm import storable


@dataclass
class Rejected:
    """A record that did not go in, with why."""

    raw: RawRecord
    reasons: dict[str, list[str]]

    def as_json(self) -> dict[str, Any]:
        """The rejects file's line: the original record, whole and unchanged."""
        return {
            "file": self.raw.file,
            "position": self.raw.position,
            "record": self.raw.original,
            "reasons": self.reasons,
        }

    def as_row(self, run_id: int) -> dict[str, Any]:
        """The rejects table's row: the record as a database can store it (no NUL, no lone
        surrogate; the rejects file keeps the exact original)."""
        return {
            "run_id": run_id,
            "file": storable(self.raw.file),
            "position": self.raw.position,
            "record": storable(self.raw.original),
            "reasons": storable(self.reasons),
        }


def json_line(value: Any) -> str:
    """One JSON Lines record: UTF-8 as is where possible; with ASCII escapes when the value
    holds what UTF-8 cannot (a lone surrogate read from "\\ud800"), so the record stays whole
    and unchanged when read back."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, default=str)
    return text


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
        self._fh.write(json_line(item.as_json()) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
