"""The index schema and the document of one therapist.

Every structured attribute is one term of the `kw` field ("specialty:polyamory",
"flag:couples", "cell:4:dr5r"), so a document costs one field, and a filter or a facet count is
a set of documents per term.
"""

from __future__ import annotations

from typing import Any

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, TEXT, Schema

from ..geo import cell_terms
from .analysis import NAME_ANALYZER, TEXT_ANALYZER


def build_schema() -> Schema:
    """The index schema. Nothing is stored that the database already holds, except what the
    search layer needs for every document without a database round trip (`doc`)."""
    return Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=NAME_ANALYZER, field_boost=2.0),
        # Bios without positions: they were 30% of indexing time. A phrase in a query is
        # matched on `name` (with positions) and as taxonomy terms; in bios, as its words.
        body=TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        kw=KEYWORD(commas=True, lowercase=False),
        # "id|fee_min|lat,lon;lat,lon": read for every document at once when a searcher
        # opens (a column is read in bulk; stored fields are unpickled one by one, 50x slower).
        doc=COLUMN(VarBytesColumn()),
    )


def kw_term(prefix: str, value: Any) -> str:
    """One structured term: lowercased, without the commas that separate terms."""
    return f"{prefix}:{str(value).replace(',', ' ').strip().lower()}"


def document(t: dict[str, Any], offices: list[dict[str, Any]]) -> dict[str, Any]:
    """The index document of one therapist row (a mapping of Therapist columns, plus
    `license_states`) and its office rows."""
    placed = [o for o in offices if o["lat"] is not None]
    licensed = set(t["telehealth_states"] or ()) | set(t.get("license_states") or ())
    tags = t["tags"] or []
    flags = {
        "couples": t["sees_couples"],
        "video": t["offers_video"],
        "intro_video": t["video_url"],
        "accepting": t["accepting_new_clients"],
        "free_consultation": t["free_consultation"],
        "sliding_scale": t["sliding_scale"],
    }
    kw = [kw_term("flag", name) for name, on in flags.items() if on]
    for prefix, values in (
        ("specialty", t["specialties"]),
        ("modality", t["modalities"]),
        ("client_type", t["client_types"]),
        ("format", t["session_formats"]),
        ("language", t["languages"]),
        ("profession", t.get("professions")),
        ("insurance", t["insurance"]),
        ("licensed", licensed),
        ("office_state", {o["state"] for o in offices if o["state"]}),
        ("tag", tags),
        ("cell", {c for o in placed for c in cell_terms(o["lat"], o["lon"])}),
    ):
        kw.extend(kw_term(prefix, v) for v in values or () if v)
    # Taxonomy terms are matched as `kw` terms (the search layer maps words and synonyms to
    # them); the therapist's own words for unknown terms stay searchable as text.
    return {
        "id": str(t["id"]),
        "name": t["name"],
        "body": " ".join(filter(None, (t["bio"], t["approach"], *tags))),
        "kw": ",".join(sorted(set(kw))),
        "doc": encode_doc(t["id"], t["fee_min"], [(o["lat"], o["lon"]) for o in placed]),
    }


def encode_doc(therapist_id: int, fee_min: int | None, offices: list[tuple[float, float]]) -> bytes:
    """The per-document column value: id, lowest fee, office coordinates."""
    coords = ";".join(f"{lat:.5f},{lon:.5f}" for lat, lon in offices)
    return f"{therapist_id}|{'' if fee_min is None else fee_min}|{coords}".encode()


def decode_doc(value: bytes) -> tuple[int, int | None, tuple[tuple[float, float], ...]]:
    """The inverse of encode_doc."""
    tid, fee, coords = value.decode().split("|")
    offices = tuple(
        (float(lat), float(lon))
        for lat, lon in (pair.split(",") for pair in coords.split(";") if pair)
    )
    return int(tid), (int(fee) if fee else None), offices
