"""NUCC Health Care Provider Taxonomy codes -> this directory's professions.

The table is `data/nucc_taxonomy.toml` (reviewed data, not code; its header says how to use it,
where it comes from and the terms of the NUCC code set). It holds:
- professions (slug, label, synonyms people search with, credentials that identify them);
- the codes of individuals the directory lists, each with its profession, whether it implies
  couples work, and the usual licence or credential for it (a hint, not a fact about anyone);
- behavioural-health organisation codes (organisations are never listed as therapists).

A code that is not in the table is not behavioural health. The NPPES reader picks providers by
these codes; search and term mapping use the professions.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .resources import data_path

DEFAULT_PATH = data_path("nucc_taxonomy.toml")
CODE_PATTERN = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
# Credential text is a list written many ways: "LCSW, PhD", "MSW LICSW", "RN,C,MSN,CRNP",
# "PH.D.". Items are split on commas, semicolons, slashes and spaces; dots are dropped so that
# "L.C.S.W." and "LCSW" compare equal. Hyphens stay: "LPC-S" is its own credential.
_CREDENTIAL_SPLIT = re.compile(r"[\s,;/]+")


@dataclass(frozen=True)
class Profession:
    """A profession the directory lists: what URLs, facets and the API call it."""

    slug: str
    label: str
    synonyms: tuple[str, ...]
    credentials: tuple[str, ...]  # licence/certification abbreviations that identify it
    degrees: tuple[str, ...]  # degree names specific to it: weaker evidence than a licence


@dataclass(frozen=True)
class Code:
    """A NUCC code of individuals the directory lists."""

    code: str
    classification: str
    specialization: str
    display_name: str
    profession: str  # a Profession slug
    implies_couples: bool
    credential_hint: str  # the usual licence for the code, "" when it varies by state
    deactivated: bool  # NUCC has deactivated it; old records still carry it, it still counts


@dataclass(frozen=True)
class OrganisationCode:
    """A behavioural-health organisation code (NPPES entity type 2): never a therapist."""

    code: str
    grouping: str
    classification: str
    specialization: str
    display_name: str


@dataclass(frozen=True)
class NuccTable:
    """The whole table, checked: every code names a known profession, nothing is repeated."""

    professions: Mapping[str, Profession]  # by slug, in the file's order
    codes: Mapping[str, Code]  # by code
    organisation_codes: Mapping[str, OrganisationCode]  # by code

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> NuccTable:
        """Read and check a table in the layout of data/nucc_taxonomy.toml.

        Raises ValueError naming the first mistake (an unknown profession slug, a malformed or
        repeated code, a synonym shared by two professions), so a bad edit fails at startup.
        """
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        professions: dict[str, Profession] = {}
        synonym_owner: dict[str, str] = {}
        for item in raw.get("profession", []):
            profession = Profession(
                slug=item["slug"],
                label=item["label"],
                synonyms=tuple(item.get("synonyms", ())),
                credentials=tuple(item.get("credentials", ())),
                degrees=tuple(item.get("degrees", ())),
            )
            _add(professions, profession.slug, profession, "profession", path)
            for synonym in profession.synonyms:
                owner = synonym_owner.setdefault(synonym.casefold(), profession.slug)
                if owner != profession.slug:
                    raise ValueError(
                        f"{path}: synonym {synonym!r} belongs to both {owner!r} and "
                        f"{profession.slug!r}"
                    )
        codes: dict[str, Code] = {}
        for item in raw.get("code", []):
            code = Code(
                code=_code(item, path),
                classification=item["classification"],
                specialization=item.get("specialization", ""),
                display_name=item["display_name"],
                profession=item["profession"],
                implies_couples=bool(item.get("implies_couples", False)),
                credential_hint=item.get("credential_hint", ""),
                deactivated=bool(item.get("deactivated", False)),
            )
            if code.profession not in professions:
                raise ValueError(
                    f"{path}: {code.code} names unknown profession {code.profession!r}"
                )
            _add(codes, code.code, code, "code", path)
        organisation_codes: dict[str, OrganisationCode] = {}
        for item in raw.get("organisation_code", []):
            org = OrganisationCode(
                code=_code(item, path),
                grouping=item.get("grouping", ""),
                classification=item["classification"],
                specialization=item.get("specialization", ""),
                display_name=item["display_name"],
            )
            if org.code in codes:
                raise ValueError(
                    f"{path}: {org.code} is both an individual and an organisation code"
                )
            _add(organisation_codes, org.code, org, "organisation code", path)
        return cls(professions, codes, organisation_codes)

    @cached_property
    def _credentials_by_first_item(self) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        # Every profession credential as its items, filed under its first item: a credential
        # text is then read once, not once per credential (65 scans of each profile's text).
        index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for profession in self.professions.values():
            for credential in profession.credentials:
                wanted = tuple(item.upper() for item in credential_items(credential))
                if wanted:
                    index.setdefault(wanted[0], []).append((wanted, profession.slug))
        return index

    def professions_stating(self, text: str) -> list[str]:
        """The slugs of the professions whose credentials `text` states (as
        `states_credential` reads it), in the table's order."""
        items = [item.upper() for item in credential_items(text)]
        found: set[str] = set()
        by_first = self._credentials_by_first_item
        for start, item in enumerate(items):
            for wanted, slug in by_first.get(item, ()):
                if slug not in found and tuple(items[start : start + len(wanted)]) == wanted:
                    found.add(slug)
        return [slug for slug in self.professions if slug in found]

    def profession_of(self, code: str) -> Profession | None:
        """The profession of a listed code; None for any other code."""
        listed = self.codes.get(code)
        return self.professions[listed.profession] if listed else None


def _code(item: dict[str, Any], path: str | Path) -> str:
    code = item["code"]
    if not CODE_PATTERN.match(code):
        raise ValueError(f"{path}: {code!r} is not a NUCC code (3 digits, 6 letters/digits, X)")
    return code


def _add(table: dict[str, Any], key: str, value: Any, what: str, path: str | Path) -> None:
    if key in table:
        raise ValueError(f"{path}: {what} {key!r} appears twice")
    table[key] = value


def credential_items(text: str) -> list[str]:
    """The items of a credential text, as the table compares them: upper case, without dots.

    "MSW, LCSW" -> ["MSW", "LCSW"]; "PH.D." -> ["PHD"]; "RN,C,MSN,CRNP" -> ["RN", "C", "MSN",
    "CRNP"]. A credential of several items ("NCAC I", "RDT/BCT") is a run of them.
    """
    return [key for item in _CREDENTIAL_SPLIT.split(text) if (key := item.replace(".", ""))]


def states_credential(text: str, credential: str) -> bool:
    """Whether a credential text names `credential` as whole items, case-insensitively.

    "MSW, LCSW" states "LCSW" but "MSW LICSW" does not; "LCSW, NCAC I" states "NCAC I" but not
    "NCAC II"; "RDT/BCT" states both "RDT/BCT" and "RDT".
    """
    items = [item.upper() for item in credential_items(text)]
    wanted = [item.upper() for item in credential_items(credential)]
    width = len(wanted)
    return bool(wanted) and any(
        items[start : start + width] == wanted for start in range(len(items) - width + 1)
    )


@lru_cache(maxsize=4)
def load_nucc(path: str | None = None) -> NuccTable:
    """The table at `path` (default: the bundled one), loaded once per process."""
    return NuccTable.load(path or DEFAULT_PATH)
