"""Term mapping: a validated profile's free-text terms onto the taxonomy.

The therapist's own words stay visible: `term_sources` remembers which synonym gave a slug (so a
search can say "ENM" matched polyamory), and words that map to nothing become searchable tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .nucc import credential_items, load_nucc
from .taxonomy import PROFESSION, Taxonomy
from .textnorm import clean_text

TERM_FIELDS = (
    ("specialties", "specialty"),
    ("modalities", "modality"),
    ("client_types", "client_type"),
    ("session_formats", "session_format"),
)
_FIELD_OF = {kind: field_name for field_name, kind in TERM_FIELDS}


@dataclass
class TermMapping:
    """The taxonomy view of one profile."""

    specialties: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)
    client_types: list[str] = field(default_factory=list)
    session_formats: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    term_sources: dict[str, str] = field(default_factory=dict)
    professions: list[str] = field(default_factory=list)
    sees_couples: bool = False
    offers_video: bool = False


def map_terms(profile: dict[str, Any], taxonomy: Taxonomy) -> TermMapping:
    """Resolve every term field; implied client types ("premarital" -> couples) are added.

    Each phrase lands in the field where the taxonomy files its term, whatever field it was
    written under: "EMDR" under specialties is a modality, "Telehealth" under client types a
    session format, "Marital and Premarital" two specialties.
    """
    mapping = TermMapping()
    for field_name, kind in TERM_FIELDS:
        for text in profile.get(field_name, ()):
            resolutions = taxonomy.resolve_phrase(kind, text)
            if not resolutions:
                tag = clean_text(text).lower()
                if tag not in mapping.tags:
                    mapping.tags.append(tag)
            for res in resolutions:
                slugs = getattr(mapping, _FIELD_OF[res.term.kind])
                if res.term.slug in slugs:
                    continue
                slugs.append(res.term.slug)
                if res.via:
                    mapping.term_sources[f"{res.term.kind}:{res.term.slug}"] = res.via
    for kind in ("specialty", "modality"):
        for slug in mapping.specialties if kind == "specialty" else mapping.modalities:
            for implied in taxonomy.terms[kind][slug].implies:
                if implied not in mapping.client_types:
                    mapping.client_types.append(implied)
                    mapping.term_sources.setdefault(f"client_type:{implied}", f"{kind}:{slug}")
    # A profile that names no formats sees clients where it says it can: in person at its
    # offices, by video in its telehealth states.
    if not mapping.session_formats:
        if profile.get("locations"):
            mapping.session_formats.append("in_person")
        if profile.get("telehealth_states"):
            mapping.session_formats.append("video")
    mapping.professions = professions(profile, taxonomy)
    mapping.sees_couples = "couples" in mapping.client_types
    mapping.offers_video = "video" in mapping.session_formats
    return mapping


# Physicians in a therapy directory are psychiatrists: the NUCC table leaves MD and DO out
# (they name a physician, not a specialty), but a profile stating them is listed for its
# psychiatry.
_PHYSICIAN = {"MD", "DO"}


def professions(profile: dict[str, Any], taxonomy: Taxonomy) -> list[str]:
    """The profession slugs of a profile, strongest evidence first: what it states
    (`professions`, by slug or synonym), its NUCC codes, then the credentials and licence
    types it lists ("LCSW" is a social worker, "MD" a psychiatrist)."""
    table = load_nucc()
    found: list[str] = []
    for text in profile.get("professions") or ():
        if (res := taxonomy.resolve(PROFESSION, text)) is not None:
            found.append(res.term.slug)
    for code in profile.get("taxonomy_codes") or ():
        if (listed := table.profession_of(code)) is not None:
            found.append(listed.slug)
    for lic in profile.get("licenses") or ():  # a licence type may be a title: "Psychologist"
        if lic.get("type") and (res := taxonomy.resolve(PROFESSION, lic["type"])) is not None:
            found.append(res.term.slug)
    stated = " ".join(
        filter(
            None,
            [
                profile.get("credentials") or "",
                *(lic.get("type") or "" for lic in profile.get("licenses") or ()),
            ],
        )
    )
    if stated:
        items = {item.upper() for item in credential_items(stated)}
        found.extend(table.professions_stating(stated))
        if items & _PHYSICIAN:
            found.append("psychiatrist")
    return list(dict.fromkeys(found))
