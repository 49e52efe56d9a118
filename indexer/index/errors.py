"""Why an index cannot answer: not built yet, or not readable."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar


class IndexUnavailable(Exception):
    """This node's index cannot answer searches now."""


class NoIndexYet(IndexUnavailable):
    """No generation has been built on this node yet (CURRENT is missing)."""


class IndexUnreadable(IndexUnavailable):
    """The live generation cannot be read: CURRENT names something that is not a generation,
    or a file of it is missing or damaged."""


F = TypeVar("F", bound=Callable[..., Any])


def reads_index(method: F) -> F:
    """Any failure while reading index files is IndexUnreadable, with the original as its
    cause: Whoosh raises OSError, struct.error, EOFError, even plain Exception ("Block tag
    error") on a damaged file, and a search must answer 503 for all of them, not 500."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnreadable(f"{type(exc).__name__}: {exc}"[:300]) from exc

    return wrapper  # type: ignore[return-value]
