"""A partner site in the database, and how its key looks and travels."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from indexer.models import Base

KEY_PARAM = "partner"  # the query parameter that carries a key
KEY_HEADER = "X-Partner-Key"  # the header that may carry it instead
# secrets.token_urlsafe(24) gives 32 characters; anything else that does not look like a key is
# refused without asking the database (a NUL byte, say, would be an error in PostgreSQL).
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class Partner(Base):
    """A partner site that embeds the directory: its public key, the origins the key is valid
    on, the search defaults its widget applies, its theme and its own rate limit.

    The key is an identifier that appears in the partner's HTML, not a secret: what makes a
    leaked key useless elsewhere is the list of origins (access.py).
    """

    __tablename__ = "partners"
    __table_args__ = (
        UniqueConstraint("key", name="uq_partners_key"),
        UniqueConstraint("name", name="uq_partners_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64))
    # Normalised "scheme://host[:port]" origins.
    origins: Mapped[list[Any]] = mapped_column(default=list)
    # Search parameters as query values: {"couples": "true", "specialty": ["polyamory"]}.
    defaults: Mapped[dict[str, Any]] = mapped_column(default=dict)
    accent: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb"; None: the site's own
    layout: Mapped[str] = mapped_column(String(16), default="full")  # "compact" | "full"
    rate_limit: Mapped[str] = mapped_column(String(100))  # flask-limiter syntax
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
