"""Where the bundled data files are.

The repository keeps them in its top-level `data/` folder; the wheel carries them inside this
package as `indexer/data/` (pyproject.toml maps one onto the other), so an installed service
finds them without a checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """A bundled data file: in the installed package first, else in the checkout."""
    for folder in (PACKAGE / "data", PACKAGE.parent / "data"):
        path = folder / name
        if path.exists():
            return path
    raise FileNotFoundError(f"bundled data file {name!r} is missing from {PACKAGE / 'data'}")
