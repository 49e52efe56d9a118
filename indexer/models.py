"""The database schema: the source of truth that every search index is rebuilt from.

SQLAlchemy 2.0 typed declarative; the same models run on SQLite (the embedded default) and on
PostgreSQL (production). List-valued profile fields are JSON columns: they are always read and
written whole with their profile, and searching them is the index's job, not the database's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONValue = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY; BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONValue, list[Any]: JSONValue}


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements (executemany inserts)."""
    return cast(Table, model.__table__)


class Therapist(Base):
    """One published (or unpublished) profile, unique per (source, source_id)."""

    __tablename__ = "therapists"
    __table_args__ = (UniqueConstraint("source", "source_id", name="uq_therapists_source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(128))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    content_hash: Mapped[str] = mapped_column(String(64))

    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str | None] = mapped_column(String(200))
    pronouns: Mapped[str | None] = mapped_column(String(60))
    photo_url: Mapped[str | None] = mapped_column(String(2000))
    bio: Mapped[str | None] = mapped_column(Text)
    approach: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    website: Mapped[str | None] = mapped_column(String(2000))
    video_url: Mapped[str | None] = mapped_column(String(2000))

    sees_couples: Mapped[bool] = mapped_column(Boolean, default=False)
    offers_video: Mapped[bool] = mapped_column(Boolean, default=False)
    specialties: Mapped[list[Any]] = mapped_column(default=list)
    modalities: Mapped[list[Any]] = mapped_column(default=list)
    client_types: Mapped[list[Any]] = mapped_column(default=list)
    session_formats: Mapped[list[Any]] = mapped_column(default=list)
    telehealth_states: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    insurance: Mapped[list[Any]] = mapped_column(default=list)
    # Terms that mapped to nothing in the taxonomy, kept so that they stay searchable.
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # slug -> the therapist's own words when a synonym was used ("polyamory" -> "ENM").
    term_sources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The term fields as the source wrote them ({"specialties": [...], ...}, and NUCC
    # "taxonomy_codes"), so that an edited taxonomy re-maps profiles without their files.
    original_terms: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The taxonomy (its fingerprint) the terms above were mapped with.
    taxonomy_fingerprint: Mapped[str | None] = mapped_column(String(16))
    # counselor, social-worker, psychologist... (data/nucc_taxonomy.toml)
    professions: Mapped[list[Any]] = mapped_column(default=list)
    # The National Provider Identifier the source gave, and the one the NPPES registry lists
    # for this person (another source's record, linked by NPI or licence): a confirmed licence.
    npi: Mapped[str | None] = mapped_column(String(10), index=True)
    confirmed_npi: Mapped[str | None] = mapped_column(String(10))
    # Another source's profile of the same person, shown instead of this one (indexer/people.py).
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("therapists.id", ondelete="SET NULL"), index=True
    )

    fee_min: Mapped[int | None] = mapped_column(Integer)
    fee_max: Mapped[int | None] = mapped_column(Integer)
    sliding_scale: Mapped[bool | None] = mapped_column(Boolean)
    accepting_new_clients: Mapped[bool | None] = mapped_column(Boolean)
    free_consultation: Mapped[bool | None] = mapped_column(Boolean)

    profile_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    modified_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))

    offices: Mapped[list[Office]] = relationship(
        back_populates="therapist", cascade="all, delete-orphan", order_by="Office.position"
    )
    licenses: Mapped[list[License]] = relationship(
        back_populates="therapist", cascade="all, delete-orphan", order_by="License.id"
    )


class PersonKey(Base):
    """What identifies a person across sources: "npi:1234567890" or "license:NY:012345"."""

    __tablename__ = "person_keys"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("therapists.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Office(Base):
    """An office with its coordinates and the precision they were placed with."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("therapists.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # exact | address | zip | city; NULL when the office could not be placed.
    precision: Mapped[str | None] = mapped_column(String(16))

    therapist: Mapped[Therapist] = relationship(back_populates="offices")


class License(Base):
    """A licence to practise: type (LMFT, LCSW, ...), number and issuing state."""

    __tablename__ = "licenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("therapists.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str | None] = mapped_column(String(40))
    number: Mapped[str | None] = mapped_column(String(60))
    state: Mapped[str | None] = mapped_column(String(2))

    therapist: Mapped[Therapist] = relationship(back_populates="licenses")


class TaxonomyTerm(Base):
    """A canonical term, mirrored from data/taxonomy.toml at ingest for SQL reporting."""

    __tablename__ = "taxonomy_terms"
    __table_args__ = (UniqueConstraint("kind", "slug", name="uq_taxonomy_terms_kind_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(200))
    group: Mapped[str | None] = mapped_column(String(40))
    implies: Mapped[list[Any]] = mapped_column(default=list)

    synonyms: Mapped[list[TaxonomySynonym]] = relationship(
        back_populates="term", cascade="all, delete-orphan"
    )


class TaxonomySynonym(Base):
    """One of the words that map to a term ("ENM" -> polyamory)."""

    __tablename__ = "taxonomy_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(
        ForeignKey("taxonomy_terms.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(200))

    term: Mapped[TaxonomyTerm] = relationship(back_populates="synonyms")


class IngestRun(Base):
    """One run of `ingest`: what it read and what became of it."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    files: Mapped[list[Any]] = mapped_column(default=list)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    # running | finished | failed (an error ended it) | interrupted (stopped, or killed: found
    # by a later run, see indexer/runs.py)
    status: Mapped[str] = mapped_column(String(16), default="running")
    # The process doing the run, and when it last committed a batch.
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Reject(Base):
    """A record that failed validation, kept whole with the reasons."""

    __tablename__ = "rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("ingest_runs.id", ondelete="CASCADE"), index=True
    )
    file: Mapped[str] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(Integer)
    record: Mapped[Any] = mapped_column(JSONValue)
    reasons: Mapped[dict[str, Any]] = mapped_column()


class Change(Base):
    """The change log that every node's index follows: one row per upsert or delete."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_therapist_id", "therapist_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    therapist_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8))  # "upsert" | "delete"
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
