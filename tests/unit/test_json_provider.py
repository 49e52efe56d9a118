"""JSON responses read the same whichever encoder wrote them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from directory.json_provider import OrjsonProvider


@dataclass
class Office:
    city: str
    lat: float


BODY = {
    "total": 2,
    "results": [{"name": "José Ñúñez", "distance": {"value": 1.5, "unit": "mi"}, "tags": []}],
    "facets": {"specialty": [{"value": "poly", "label": "Polyamory", "count": 3}]},
    "when": datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
    "day": date(2026, 12, 1),
    "fee": Decimal("120.50"),
    "office": Office("Brooklyn", 40.7),
    "location": None,
}


def providers() -> tuple[OrjsonProvider, DefaultJSONProvider]:
    app = Flask(__name__)
    return OrjsonProvider(app), DefaultJSONProvider(app)


def test_a_response_decodes_to_what_the_standard_encoder_gives():
    fast, standard = providers()
    assert json.loads(fast.dumps(BODY)) == json.loads(standard.dumps(BODY))


def test_keys_come_sorted_like_flasks_own():
    fast, _ = providers()
    text = fast.dumps({"b": 1, "a": {"d": 2, "c": 3}})
    assert text == '{"a":{"c":3,"d":2},"b":1}'


def test_text_orjson_refuses_is_still_encoded():
    fast, standard = providers()
    lone = {"name": "\ud800 broken"}
    assert fast.dumps(lone) == standard.dumps(lone)
    assert fast.dumps({"n": 2**70}) == standard.dumps({"n": 2**70})
