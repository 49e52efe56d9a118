"""What every reader shares: the record it yields, its error, and the file it reads."""

from __future__ import annotations

import gzip
import os
from collections.abc import Generator
from dataclasses import dataclass
from typing import IO, Any, cast


@dataclass
class RawRecord:
    """One record as read, before validation."""

    file: str  # the path as given
    position: int  # line (JSON Lines), first row's line (CSV), value number (JSON)
    record: dict | None  # the profile in the input format; None when it could not be parsed
    original: Any  # what was read: the JSON value (for JSON, the same object as record), the
    # text that did not parse, or for CSV the list of raw row dicts that made the profile
    error: str | None  # why it could not be parsed, starting "line N: "
    bytes_read: int  # bytes of the stored file consumed so far (compressed, for .gz)


# What a reader yields; the caller closes it when it stops early.
Records = Generator["RawRecord", None, None]


class ReaderError(Exception):
    """The file as a whole cannot be read (missing, unreadable, not a recognisable format)."""


def file_size(path: str | os.PathLike) -> int:
    """Size of the file as stored (compressed for .gz): the progress bar total for bytes_read."""
    try:
        return os.path.getsize(path)
    except OSError as exc:
        raise ReaderError(f"{os.fspath(path)}: {exc.strerror}") from exc


class Source:
    """A file opened as bytes, gunzipped when it starts with the gzip magic bytes."""

    def __init__(self, path: str | os.PathLike) -> None:
        try:
            self.raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise ReaderError(f"{os.fspath(path)}: {exc.strerror}") from exc
        gz = self.raw.peek(2)[:2] == b"\x1f\x8b"
        self.stream: IO[bytes] = (
            cast(IO[bytes], gzip.GzipFile(fileobj=self.raw)) if gz else self.raw
        )

    def tell(self) -> int:
        """Bytes of the stored file consumed so far."""
        return self.raw.tell()

    def close(self) -> None:
        self.stream.close()
        self.raw.close()
