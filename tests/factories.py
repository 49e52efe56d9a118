"""The one profile factory of the tests: profiles in the input format of CONTRACT.md."""

from __future__ import annotations

from typing import Any

# A typical profile: a couples therapist in Manhattan, ENM and Gottman, in person and video.
TYPICAL: dict[str, Any] = {
    "id": "p1",
    "name": "Ana López",
    "credentials": "LMFT",
    "client_types": ["couples", "individuals"],
    "specialties": ["ENM", "communication"],
    "modalities": ["Gottman"],
    "session_formats": ["in_person", "video"],
    "telehealth_states": ["NY"],
    "locations": [{"address": "350 5th Ave", "city": "New York", "state": "NY", "zip": "10118"}],
    "bio": "I help couples rebuild trust and communicate with care.",
}
# A bare profile holds nothing that could match a search by accident.
BARE: dict[str, Any] = {"credentials": "LMFT", "session_formats": ["in_person"]}


def profile(*, bare: bool = False, **fields: Any) -> dict[str, Any]:
    """A valid profile: the typical one with `fields` changed, or with `bare=True` only what
    `fields` give (plus credentials and in-person sessions). A field set to None is left out."""
    out = {**(BARE if bare else TYPICAL), **fields}
    return {k: v for k, v in out.items() if v is not None}


def office(zip_code: str, city: str, state: str, address: str = "1 Main St") -> dict[str, str]:
    """One office in the input format."""
    return {"address": address, "city": city, "state": state, "zip": zip_code}
