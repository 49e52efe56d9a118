"""Hostile and broken input: what attackers and unlucky clients send. Each case is
(name, method, path, body or None, headers); tests/hostile/test_http.py sends every one to a
real app on each database and checks that no answer is a 5xx, and that each stays within a
time and memory bound.

Found by fuzzing and by hand; the issue that listed the failures is the hardening issue.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

KEY = "{key}"  # replaced by a real partner key
ID = "{id}"  # replaced by a real therapist id
SLUG = "{slug}"  # replaced by a real profile slug

UNKNOWN_WORDS = " ".join(f"zq{i:02d}xvbnm" for i in range(18))
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"name": ' * 5000 + "1" + "}" * 5000


def repeated(name: str, count: int) -> str:
    return "&".join(f"{name}={c}{i}" for i, c in zip(range(count), "ab" * count, strict=False))


# Query strings for search: the API, the page, the widget and oEmbed's search cards get each.
SEARCH_QUERIES = [
    repeated("language", 300) + "&q=" + quote(UNKNOWN_WORDS),  # the hardening issue's item 1
    repeated("insurance", 11),
    repeated("specialty", 50),
    "q=" + quote(" ".join(["anxiety"] * 21)),
    "q=" + quote("x" * 201),
    "q=%00%00",
    "near=%00",
    "q=%ED%A0%80",
    "q=%C0%AF%FF%FE",
    "q=%ZZ%",
    "near=" + "9" * 500,
    "q=" + quote("\u202e\u0301\ufeff\U0001f600" * 20),
    "q=" + quote('"""((((***'),
    "lat=nan&lon=nan",
    "lat=inf&lon=0",
    "lat=1e309&lon=1e309",
    "lat=-0&lon=-0",
    "lat=91&lon=0",
    "near=10001&radius=1e308",
    "near=10001&radius=-1",
    "near=10001&radius=nan",
    "near=10001&radius=500&unit=mi",
    "near=10001&unit=furlongs",
    "page=1000000000",
    "page=0",
    "per_page=0",
    "per_page=100000",
    "page=-1",
    "page=1e3",
    "sort=drop%20table",
    "sort=distance",
    "format=..%2F..%2Fetc",
    "specialty=%25",
    "near=10001&near=10002",
    "unknown=1",
    "near=Springfield",
    "near=" + quote("1 Main St, ZZ"),
    "couples=maybe",
    "max_fee=-1",
    "max_fee=99999999999999999999",
    "video=true&near=10001",
    "q=" + quote("<script>alert(1)</script>"),
    "q=" + quote("' OR 1=1 --"),
    "specialty=" + quote("poly" * 30),
    "near=" + quote("\u0000" * 50),
    "couples=true&video=true&intro_video=true&accepting=true&free_consultation=true&"
    "sliding_scale=true&near=10001&q=" + quote(UNKNOWN_WORDS) + "&" + repeated("language", 10),
]


def cases() -> list[tuple[str, str, str, Any, dict[str, str]]]:
    """Every hostile request."""
    out: list[tuple[str, str, str, Any, dict[str, str]]] = []
    for n, query in enumerate(SEARCH_QUERIES):
        out += [
            (f"api-search-{n}", "GET", f"/api/v1/therapists?{query}", None, {}),
            (f"page-search-{n}", "GET", f"/?{query}", None, {}),
            (f"widget-{n}", "GET", f"/embed/v1/widget?partner={KEY}&{query}", None, {}),
            (
                f"oembed-search-{n}",
                "GET",
                "/oembed?url=" + quote(f"http://localhost/?{query}", safe=""),
                None,
                {},
            ),
        ]
    out += [
        ("api-id-overflow", "GET", "/api/v1/therapists/99999999999999999999999", None, {}),
        ("api-id-nul", "GET", "/api/v1/therapists/1%00", None, {}),
        ("api-id-negative", "GET", "/api/v1/therapists/-1", None, {}),
        ("profile-nul", "GET", "/therapists/abc%00def", None, {}),
        ("profile-surrogate", "GET", "/therapists/abc%ED%A0%80", None, {}),
        ("profile-long", "GET", "/therapists/" + "a" * 3000, None, {}),
        ("profile-dots", "GET", "/therapists/..%2F..%2Fetc%2Fpasswd", None, {}),
        ("profile-real", "GET", f"/therapists/{SLUG}", None, {}),
        ("widget-no-key", "GET", "/embed/v1/widget", None, {}),
        ("widget-nul-key", "GET", "/embed/v1/widget?partner=%00", None, {}),
        ("widget-long-key", "GET", "/embed/v1/widget?partner=" + "k" * 5000, None, {}),
        ("widget-two-keys", "GET", f"/embed/v1/widget?partner={KEY}&partner=abc", None, {}),
        ("widget-origin", "GET", f"/embed/v1/widget?partner={KEY}&origin=javascript:x", None, {}),
        ("oembed-js", "GET", "/oembed?url=javascript:alert(1)", None, {}),
        ("oembed-nul", "GET", "/oembed?url=http://localhost/therapists/a%00b", None, {}),
        ("oembed-ipv6", "GET", "/oembed?url=" + quote("http://[::1", safe=""), None, {}),
        ("oembed-xml", "GET", "/oembed?url=http://localhost/&format=xml", None, {}),
        ("oembed-width", "GET", "/oembed?url=http://localhost/&maxwidth=-5", None, {}),
        ("oembed-profile", "GET", f"/oembed?url=http://localhost/therapists/{SLUG}", None, {}),
        ("key-header", "GET", "/api/v1/taxonomy", None, {"X-Partner-Key": "\x7f" * 40}),
        (
            "origin-junk",
            "GET",
            f"/api/v1/therapists?partner={KEY}",
            None,
            {"Origin": "http://\u00ff\u00fe"},
        ),
        (
            "preflight-junk",
            "OPTIONS",
            "/api/v1/therapists",
            None,
            {"Origin": "null", "Access-Control-Request-Method": "DELETE"},
        ),
        ("accept-junk", "GET", "/nowhere", None, {"Accept": "text/html;q=abc, */*;q=-1"}),
        ("method", "PUT", "/api/v1/therapists", "x", {}),
    ]
    admin = {"Authorization": "Bearer test-admin-token"}
    json_body = {**admin, "Content-Type": "application/json"}
    out += [
        ("ingest-deep", "POST", "/api/v1/admin/ingest", DEEP_ARRAY, admin),
        ("ingest-deep-object", "POST", "/api/v1/admin/ingest", DEEP_OBJECT, admin),
        (
            "ingest-surrogate",
            "POST",
            "/api/v1/admin/ingest",
            '[{"id": "s\\ud800", "name": "\\udfff", "locations": [{"zip": "10001"}]}]',
            admin,
        ),
        (
            "ingest-nul",
            "POST",
            "/api/v1/admin/ingest",
            '[{"id": "n\\u0000", "name": "A\\u0000B", "locations": [{"zip": "10001\\u0000"}]}]',
            admin,
        ),
        (
            "ingest-bytes",
            "POST",
            "/api/v1/admin/ingest",
            b'{"id": "\xff\xfe", "name": "x"}\n',
            admin,
        ),
        (
            "ingest-bad-lines",
            "POST",
            "/api/v1/admin/ingest",
            "\n".join(f'{{"id": {i}, "name": ""}}' for i in range(2000)),
            admin,
        ),
        ("ingest-not-json", "POST", "/api/v1/admin/ingest", "\x00" * 1000, admin),
        ("partner-deep", "POST", "/api/v1/admin/partners", DEEP_ARRAY, json_body),
        (
            "partner-deep-object",
            "POST",
            "/api/v1/admin/partners",
            json.dumps({"name": "x", "origins": ["https://a.example"]})[:-1]
            + ', "defaults": '
            + DEEP_OBJECT
            + "}",
            json_body,
        ),
        (
            "partner-surrogate",
            "POST",
            "/api/v1/admin/partners",
            '{"name": "\\ud800", "origins": ["https://a.example"]}',
            json_body,
        ),
        (
            "partner-nul",
            "POST",
            "/api/v1/admin/partners",
            '{"name": "a\\u0000", "origins": ["https://a\\u0000.example"]}',
            json_body,
        ),
        (
            "partner-defaults-junk",
            "POST",
            "/api/v1/admin/partners",
            json.dumps(
                {
                    "name": "junk",
                    "origins": ["https://a.example"],
                    "defaults": {
                        "language": [f"l{i}" for i in range(500)],
                        "near": "\x00",
                        "radius": "nan",
                    },
                }
            ),
            json_body,
        ),
        (
            "partner-patch-junk",
            "PATCH",
            f"/api/v1/admin/partners/{KEY}",
            '{"enabled": "\\ud800", "origins": [null, 1, {}]}',
            json_body,
        ),
        ("partner-not-json", "POST", "/api/v1/admin/partners", "{{{", json_body),
        (
            "unpublish-overflow",
            "DELETE",
            "/api/v1/admin/therapists/99999999999999999999",
            None,
            admin,
        ),
    ]
    return out
