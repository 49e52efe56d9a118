"""Small builders shared by the tests."""

from __future__ import annotations


def profile(**fields) -> dict:
    """A valid minimal profile, with fields overridden."""
    base = {
        "id": "p1",
        "name": "Ana López",
        "credentials": "LMFT",
        "client_types": ["couples", "individuals"],
        "specialties": ["ENM", "communication"],
        "modalities": ["Gottman"],
        "session_formats": ["in_person", "video"],
        "telehealth_states": ["NY"],
        "locations": [
            {"address": "350 5th Ave", "city": "New York", "state": "NY", "zip": "10118"}
        ],
        "bio": "I help couples rebuild trust and communicate with care.",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}
