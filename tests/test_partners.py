"""Partner sites: `flask partners ...`, the admin API for partners, CORS for the public JSON
API (only a partner's own origins, only with its key), per-key rate limits, and the functions
the widget uses. The `app` fixture sets ADMIN_TOKEN to "test-admin-token" and switches limits
off; the limit tests build apps with limits on."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from sqlalchemy import inspect
from werkzeug.datastructures import MultiDict

from directory import create_app
from directory.db import engine
from directory.partners.access import origin_allowed
from directory.partners.storage import find_partner, partner_args

from .factories import profile

TOKEN = {"Authorization": "Bearer test-admin-token"}
PARTNERS = "/api/v1/admin/partners"
CLINIC = "https://clinic.example"
ELSEWHERE = "https://elsewhere.example"
PUBLIC = ["/api/v1/therapists?near=10001", "/api/v1/taxonomy"]
PUBLIC_PATHS = ["/api/v1/therapists", "/api/v1/taxonomy"]


def add(runner, name: str = "Clinic", *options: str) -> dict:
    """`flask partners add` with --json; the partner as the admin API shows it."""
    args = ["partners", "add", name, *(options or ("--origin", CLINIC)), "--json"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def indexed(client):
    response = client.post(
        "/api/v1/admin/ingest",
        headers=TOKEN,
        data=json.dumps(
            [
                profile(id="a"),
                profile(
                    id="b", name="Bo Chen", client_types=["individuals"], specialties=["grief"]
                ),
            ]
        ),
    )
    assert response.status_code == 200, response.json
    return client


@pytest.fixture
def partner(runner) -> dict:
    return add(runner, "Clinic", "--origin", CLINIC, "--default", "couples=true")


# -- flask partners ... ---------------------------------------------------------------------
def test_adding_a_partner_prints_its_key_and_a_summary(runner):
    result = runner.invoke(
        args=[
            "partners",
            "add",
            "Open Hearts",
            "--origin",
            "https://OpenHearts.example:443/",
            "--origin",
            "http://localhost:8080",
            "--default",
            "couples=true",
            "--default",
            "near=10001",
            "--default",
            "specialty=ENM",
            "--default",
            "specialty=kink",
            "--accent",
            "#0A7",
            "--layout",
            "compact",
            "--rate-limit",
            "30/minute",
        ]
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.splitlines()[1]
    assert len(key) >= 32 and key.replace("-", "").replace("_", "").isalnum()
    assert "https://openhearts.example http://localhost:8080" in result.stdout
    assert "couples=true near=10001 specialty=ENM specialty=kink" in result.stdout
    assert "#00aa77" in result.stdout and "compact" in result.stdout
    assert "30/minute" in result.stdout


def test_partners_are_listed_as_a_table_and_as_json(runner):
    clinic = add(runner, "Clinic")
    blog = add(runner, "A blog", "--origin", "https://blog.example")
    table = runner.invoke(args=["partners", "list"])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KEY", "STATUS", "LIMIT", "ORIGINS", "DEFAULTS"]
    assert clinic["key"] in lines[2] and "enabled" in lines[2] and CLINIC in lines[2]
    assert lines[1].startswith("A blog") and blog["key"] in lines[1]
    listed = json.loads(runner.invoke(args=["partners", "list", "--json"]).stdout)
    assert [p["name"] for p in listed] == ["A blog", "Clinic"]
    assert listed[1] == clinic and listed[1]["rate_limit"] == "60/minute"


def test_an_empty_list_says_how_to_add_one(runner):
    result = runner.invoke(args=["partners", "list"])
    assert result.exit_code == 0 and "partners add" in result.stdout


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (["--default", "specialty=polyamry"], "Did you mean: polyamory"),
        (["--default", "near=Nowhereville, KS"], "Could not find the place"),
        (["--default", "near=Springfield"], "several places"),
        (["--default", "colour=blue"], "defaults.colour: Unknown field."),
        (["--default", "radius=-3"], "defaults.radius"),
        (["--default", "couples=perhaps"], "defaults.couples"),
        (["--default", "sort=distance"], "needs a place"),
        (["--default", "partner=abc"], "defaults.partner"),
        (["--origin", "https://clinic.example/find-a-therapist"], "no path"),
        (["--origin", "ftp://clinic.example"], "Not an http(s) origin"),
        (["--origin", "https://*.clinic.example"], "without wildcards"),
        (["--accent", "teal"], "accent: A colour as #rrggbb"),
        (["--rate-limit", "lots"], "rate_limit: A limit such as 60/minute"),
    ],
    ids=[
        "unknown-specialty",
        "unknown-place",
        "ambiguous-place",
        "unknown-parameter",
        "bad-radius",
        "bad-flag",
        "sort-without-place",
        "key-as-default",
        "origin-with-path",
        "not-http",
        "wildcard",
        "accent",
        "rate-limit",
    ],
)
def test_bad_partner_settings_are_refused_with_the_reason(runner, options, reason):
    if "--origin" not in options:
        options = ["--origin", CLINIC, *options]
    result = runner.invoke(args=["partners", "add", "Clinic", *options])
    assert result.exit_code == 1, result.output
    assert "not added" in result.output and reason in result.output
    assert json.loads(runner.invoke(args=["partners", "list", "--json"]).stdout) == []


def test_command_line_mistakes_exit_non_zero(runner):
    assert runner.invoke(args=["partners", "add", "Clinic"]).exit_code == 2  # no --origin
    result = runner.invoke(
        args=["partners", "add", "Clinic", "--origin", CLINIC, "--default", "couples"]
    )
    assert result.exit_code == 2 and "key=value" in result.output
    result = runner.invoke(
        args=["partners", "add", "Clinic", "--origin", CLINIC, "--layout", "huge"]
    )
    assert result.exit_code == 2
    result = runner.invoke(args=["partners", "disable", "nobody"])
    assert result.exit_code == 1 and "No partner" in result.output


def test_partner_names_are_unique(runner, partner):
    result = runner.invoke(args=["partners", "add", "Clinic", "--origin", ELSEWHERE])
    assert result.exit_code == 1 and "exists already" in result.output


def test_a_disabled_key_stops_working_until_enabled_again(runner, indexed, partner):
    url = f"/api/v1/therapists?near=10001&partner={partner['key']}"
    assert indexed.get(url, headers={"Origin": CLINIC}).status_code == 200
    result = runner.invoke(args=["partners", "disable", "Clinic"])
    assert result.exit_code == 0 and "Disabled" in result.output
    refused = indexed.get(url, headers={"Origin": CLINIC})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert runner.invoke(args=["partners", "enable", partner["key"]]).exit_code == 0
    assert indexed.get(url, headers={"Origin": CLINIC}).status_code == 200


# -- the admin API --------------------------------------------------------------------------
def test_admin_api_adds_lists_shows_and_changes_partners(client):
    created = client.post(
        PARTNERS,
        headers=TOKEN,
        json={
            "name": "Clinic",
            "origins": ["https://Clinic.example/"],
            "defaults": {"couples": True, "near": "10001", "specialty": ["ENM"], "max_fee": 150},
            "accent": "#0a7",
            "layout": "compact",
            "rate_limit": "100/hour",
        },
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["origins"] == [CLINIC] and body["accent"] == "#00aa77"
    assert body["defaults"] == {
        "couples": "true",
        "near": "10001",
        "specialty": ["ENM"],
        "max_fee": "150",
    }
    assert body["enabled"] is True and body["rate_limit"] == "100/hour" and body["created_at"]
    key = body["key"]
    listed = client.get(PARTNERS, headers=TOKEN)
    assert listed.status_code == 200 and listed.json["partners"] == [body]
    assert client.get(f"{PARTNERS}/{key}", headers=TOKEN).json == body

    changed = client.patch(
        f"{PARTNERS}/{key}",
        headers=TOKEN,
        json={
            "enabled": False,
            "origins": [CLINIC, "http://127.0.0.1:8001"],
            "defaults": {"video": "true"},
            "accent": None,
            "layout": "full",
            "rate_limit": "5/second",
        },
    )
    assert changed.status_code == 200, changed.json
    assert changed.json == {
        **body,
        "enabled": False,
        "origins": [CLINIC, "http://127.0.0.1:8001"],
        "defaults": {"video": "true"},
        "accent": None,
        "layout": "full",
        "rate_limit": "5/second",
    }
    assert client.get(f"{PARTNERS}/{key}", headers=TOKEN).json == changed.json


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"origins": [CLINIC]}, "name"),
        ({"name": "Clinic"}, "origins"),
        ({"name": "Clinic", "origins": []}, "origins"),
        ({"name": "Clinic", "origins": ["clinic.example"]}, "origins[0]"),
        (
            {"name": "Clinic", "origins": [CLINIC], "defaults": {"specialty": "polyamry"}},
            "defaults.specialty",
        ),
        (
            {"name": "Clinic", "origins": [CLINIC], "defaults": {"near": "Nowhereville, KS"}},
            "defaults.near",
        ),
        (
            {"name": "Clinic", "origins": [CLINIC], "defaults": {"couples": {"a": 1}}},
            "defaults.couples",
        ),
        ({"name": "Clinic", "origins": [CLINIC], "layout": "huge"}, "layout"),
        ({"name": "Clinic", "origins": [CLINIC], "colour": "blue"}, "colour"),
        ({"name": "Clinic", "origins": CLINIC}, "origins"),
        # Origins go into a frame-ancestors header: nothing that could add a source or break it.
        ({"name": "Clinic", "origins": ["https://a.example https:"]}, "origins[0]"),
        ({"name": "Clinic", "origins": ["https://a b.example"]}, "origins[0]"),
        ({"name": "Clinic", "origins": ["https://a.example'self'"]}, "origins[0]"),
        ({"name": "Clinic", "origins": ["https://a.example\u0000"]}, "origins[0]"),
        ({"name": "Clinic", "origins": ["https://a.example:0"]}, "origins[0]"),
        ({"name": "Clinic", "origins": ["https://a_b.example"]}, "origins[0]"),
        ({"name": "Clinic", "origins": [CLINIC], "rate_limit": "0/minute"}, "rate_limit"),
    ],
)
def test_admin_api_refuses_bad_partners_with_field_reasons(client, body, field):
    response = client.post(PARTNERS, headers=TOKEN, json=body)
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "invalid_request" and error["fields"][field], error
    assert client.get(PARTNERS, headers=TOKEN).json["partners"] == []


def test_admin_api_refuses_a_bad_change_and_keeps_the_partner(client, partner):
    url = f"{PARTNERS}/{partner['key']}"
    for change, field in [
        ({"defaults": {"specialty": "polyamry"}}, "defaults.specialty"),
        ({"enabled": "maybe"}, "enabled"),
        ({"key": "mine"}, "key"),
    ]:
        response = client.patch(url, headers=TOKEN, json=change)
        assert response.status_code == 400 and field in response.json["error"]["fields"]
    assert client.get(url, headers=TOKEN).json == partner
    taken = client.post(PARTNERS, headers=TOKEN, json={"name": "Blog", "origins": [ELSEWHERE]})
    renamed = client.patch(
        f"{PARTNERS}/{taken.json['key']}", headers=TOKEN, json={"name": "Clinic"}
    )
    assert (
        renamed.status_code == 400
        and "exists already" in renamed.json["error"]["fields"]["name"][0]
    )


def test_admin_api_needs_the_token_and_knows_its_keys(client, partner):
    for method, url in [
        ("get", PARTNERS),
        ("post", PARTNERS),
        ("get", f"{PARTNERS}/{partner['key']}"),
        ("patch", f"{PARTNERS}/{partner['key']}"),
    ]:
        response = getattr(client, method)(
            url, json={"enabled": False}, headers={"Authorization": "Bearer wrong"}
        )
        assert response.status_code == 401, (method, url)
        assert response.json["error"]["code"] == "unauthorized"
    assert client.get(f"{PARTNERS}/{partner['key']}", headers=TOKEN).json["enabled"] is True
    for url in (f"{PARTNERS}/no-such-key-0000000000", f"{PARTNERS}/Clinic"):
        response = client.patch(url, headers=TOKEN, json={"enabled": False})
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


# -- CORS for the public JSON API ---------------------------------------------------------
@pytest.mark.parametrize("path", PUBLIC)
def test_the_api_answers_cross_origin_for_the_partner_origin_with_its_key(indexed, partner, path):
    by_query = indexed.get(
        f"{path}&partner={partner['key']}" if "?" in path else f"{path}?partner={partner['key']}",
        headers={"Origin": CLINIC},
    )
    by_header = indexed.get(path, headers={"Origin": CLINIC, "X-Partner-Key": partner["key"]})
    for response in (by_query, by_header):
        assert response.status_code == 200, response.json
        assert response.headers["Access-Control-Allow-Origin"] == CLINIC
        assert {"Origin", "X-Partner-Key"} <= set(response.vary)
        assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


def test_a_profile_is_readable_cross_origin_by_the_partner(indexed, partner):
    url = indexed.get("/api/v1/therapists?near=10001").json["results"][0]["api_url"]
    response = indexed.get(url, headers={"Origin": CLINIC, "X-Partner-Key": partner["key"]})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CLINIC


def test_without_a_key_no_origin_gets_cors_headers(indexed, partner):
    for origin in (CLINIC, ELSEWHERE):
        response = indexed.get("/api/v1/therapists?near=10001", headers={"Origin": origin})
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers


def test_a_leaked_key_is_refused_on_an_unlisted_origin(indexed, partner):
    for headers, query in [
        ({"Origin": ELSEWHERE}, f"&partner={partner['key']}"),
        ({"Origin": ELSEWHERE, "X-Partner-Key": partner["key"]}, ""),
        ({"Origin": "null"}, f"&partner={partner['key']}"),
        ({"Origin": "https://clinic.example.evil.example"}, f"&partner={partner['key']}"),
    ]:
        response = indexed.get(f"/api/v1/therapists?near=10001{query}", headers=headers)
        assert response.status_code == 403, headers
        assert response.json["error"]["code"] == "forbidden"
        assert response.json["error"]["message"] == (
            f"This key is not valid on {headers['Origin']}."
        )
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "results" not in response.json


@pytest.mark.parametrize("key", ["no-such-key-0123456789abcdef", "short", "a\x00b" * 8])
def test_unknown_keys_are_refused(indexed, partner, key):
    for path in PUBLIC_PATHS:
        response = indexed.get(path, query_string={"partner": key}, headers={"Origin": CLINIC})
        assert response.status_code == 403, (path, response.json)
        assert response.json["error"]["message"] == "Unknown or disabled partner key."
        assert "Access-Control-Allow-Origin" not in response.headers


def test_two_different_keys_are_refused(indexed, partner, runner):
    other = add(runner, "Blog", "--origin", CLINIC)
    response = indexed.get(
        f"/api/v1/taxonomy?partner={partner['key']}",
        headers={"Origin": CLINIC, "X-Partner-Key": other["key"]},
    )
    assert response.status_code == 403


def test_a_key_without_an_origin_works_like_no_key(indexed, partner):
    """Servers and same-origin pages send no Origin: no CORS headers are needed or sent."""
    with_key = indexed.get(f"/api/v1/therapists?near=10001&partner={partner['key']}")
    without = indexed.get("/api/v1/therapists?near=10001")
    assert with_key.status_code == 200 and "Access-Control-Allow-Origin" not in with_key.headers
    assert with_key.json["results"] == without.json["results"]
    assert with_key.json["total"] == without.json["total"] == 2, "defaults do not apply"


def test_errors_reach_the_partner_script(indexed, partner):
    response = indexed.get(
        f"/api/v1/therapists?specialty=polyamry&partner={partner['key']}",
        headers={"Origin": CLINIC},
    )
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == CLINIC


def _preflight(client, path: str, origin: str):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-partner-key",
        },
    )


def test_preflights_are_answered_for_partner_origins_only(indexed, partner):
    for path in (*PUBLIC, f"/api/v1/taxonomy?partner={partner['key']}"):
        response = _preflight(indexed, path, CLINIC)
        assert response.status_code == 204, path
        assert response.headers["Access-Control-Allow-Origin"] == CLINIC
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
        assert "X-Partner-Key" in response.headers["Access-Control-Allow-Headers"]
        assert int(response.headers["Access-Control-Max-Age"]) > 0
        assert "Origin" in response.vary
    for path in (*PUBLIC, f"/api/v1/taxonomy?partner={partner['key']}"):
        response = _preflight(indexed, path, ELSEWHERE)
        assert response.status_code == 403, path
        assert "Access-Control-Allow-Origin" not in response.headers


def test_admin_routes_never_answer_cross_origin(indexed, partner):
    response = _preflight(indexed, "/api/v1/admin/ingest", CLINIC)
    assert "Access-Control-Allow-Origin" not in response.headers
    response = indexed.get(
        PARTNERS, headers={**TOKEN, "Origin": CLINIC, "X-Partner-Key": partner["key"]}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_the_description_documents_the_key_and_the_403(client):
    doc = client.get("/openapi.json").json
    for path in ("/api/v1/therapists", "/api/v1/therapists/{therapist_id}", "/api/v1/taxonomy"):
        item = doc["paths"][path]
        assert item["get"]["responses"]["403"] == {"$ref": "#/components/responses/Forbidden"}
        names = {p["name"] for p in item.get("parameters", []) + item["get"].get("parameters", [])}
        assert "X-Partner-Key" in names, path
    assert {"get", "post"} <= set(doc["paths"]["/api/v1/admin/partners"])
    assert {"get", "patch"} <= set(doc["paths"]["/api/v1/admin/partners/{key}"])


# -- what the widget uses -------------------------------------------------------------------
def test_partner_defaults_apply_under_the_visitor_choices(app, runner):
    key = add(
        runner,
        "Clinic",
        "--origin",
        CLINIC,
        "--default",
        "couples=true",
        "--default",
        "near=10001",
        "--default",
        "radius=10",
        "--default",
        "video=true",
        "--default",
        "specialty=polyamory",
    )["key"]
    with app.test_request_context():
        partner = find_partner(key)
        assert partner is not None
        args = partner_args(partner, MultiDict())
        assert args.to_dict(flat=False) == {
            "couples": ["true"],
            "near": ["10001"],
            "radius": ["10"],
            "video": ["true"],
            "specialty": ["polyamory"],
        }
        visitor = MultiDict(
            [
                ("partner", key),
                ("couples", "false"),
                ("specialty", "kink"),
                ("specialty", "anxiety"),
                ("lat", "40.7"),
                ("lon", "-74"),
                ("unit", "km"),
                ("q", ""),
            ]
        )
        args = partner_args(partner, visitor)
        assert args.to_dict(flat=False) == {
            "video": ["true"],
            "couples": ["false"],
            "specialty": ["kink", "anxiety"],
            "lat": ["40.7"],
            "lon": ["-74"],
            "unit": ["km"],
            "q": [""],
        }


def test_find_partner_knows_only_enabled_keys(app, runner, partner):
    runner.invoke(args=["partners", "disable", "Clinic"])
    blog = add(runner, "Blog", "--origin", "https://blog.example")
    with app.test_request_context():
        assert find_partner(partner["key"]) is None
        assert find_partner(None) is None and find_partner("") is None
        assert find_partner("x" * 40) is None
        found = find_partner(blog["key"])
        assert found is not None and found.name == "Blog"
        assert origin_allowed(found, "https://blog.example")
        assert origin_allowed(found, "https://BLOG.example:443")
        assert not origin_allowed(found, "http://blog.example")
        assert not origin_allowed(found, "https://blog.example:8443")
        assert not origin_allowed(found, None) and not origin_allowed(found, "null")


# -- per-key rate limits ------------------------------------------------------------------
def node(app, tmp_path, **config):
    """Another app (a node) on the same database and index, with limits on."""
    settings = {
        "TESTING": True,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INDEX_DIR": app.config["INDEX_DIR"],
        "ADMIN_TOKEN": "test-admin-token",
        "RATE_LIMIT": "1000/minute",
        **config,
    }
    return create_app(settings, instance_path=str(tmp_path / f"node-{uuid.uuid4().hex[:6]}"))


def test_each_key_has_its_own_limit_with_retry_after(app, indexed, runner, tmp_path):
    tight = add(runner, "Tight", "--origin", CLINIC, "--rate-limit", "3/minute")["key"]
    other = add(runner, "Other", "--origin", CLINIC, "--rate-limit", "3/minute")["key"]
    client = node(app, tmp_path).test_client()
    headers = {"Origin": CLINIC, "X-Partner-Key": tight}
    statuses = [client.get(path, headers=headers).status_code for path in PUBLIC * 2]
    assert statuses == [200, 200, 200, 429], "the API's routes share one bucket"
    limited = client.get("/api/v1/taxonomy", headers=headers)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json["error"]["code"] == "too_many_requests"
    assert "partner key" in limited.json["error"]["message"]
    assert limited.headers["Access-Control-Allow-Origin"] == CLINIC, "the script can read it"
    # Other keys, and requests without a key, are not affected.
    assert (
        client.get(
            "/api/v1/taxonomy", headers={"Origin": CLINIC, "X-Partner-Key": other}
        ).status_code
        == 200
    )
    assert client.get("/api/v1/taxonomy").status_code == 200


def test_refused_requests_do_not_use_up_the_partner_limit(app, indexed, runner, tmp_path):
    key = add(runner, "Tight", "--origin", CLINIC, "--rate-limit", "2/minute")["key"]
    client = node(app, tmp_path).test_client()
    for _ in range(3):
        assert (
            client.get(
                "/api/v1/taxonomy", headers={"Origin": ELSEWHERE, "X-Partner-Key": key}
            ).status_code
            == 403
        )
    assert (
        client.get("/api/v1/taxonomy", headers={"Origin": CLINIC, "X-Partner-Key": key}).status_code
        == 200
    )


def test_the_per_address_limit_still_applies_to_keyed_requests(app, indexed, runner, tmp_path):
    key = add(runner, "Roomy", "--origin", CLINIC, "--rate-limit", "100/minute")["key"]
    client = node(app, tmp_path, RATE_LIMIT="2/minute").test_client()
    headers = {"Origin": CLINIC, "X-Partner-Key": key}
    statuses = [client.get("/api/v1/taxonomy", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_nodes_share_per_key_limits_through_redis(app, indexed, runner, tmp_path):
    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).ping()  # Redis is part of the test environment (./dev test)
    key = add(runner, "Shared", "--origin", CLINIC, "--rate-limit", "2/minute")["key"]
    one = node(app, tmp_path, REDIS_URL=url).test_client()
    two = node(app, tmp_path, REDIS_URL=url).test_client()
    headers = {"Origin": CLINIC, "X-Partner-Key": key}
    assert one.get("/api/v1/taxonomy", headers=headers).status_code == 200
    assert two.get("/api/v1/taxonomy", headers=headers).status_code == 200
    assert one.get("/api/v1/taxonomy", headers=headers).status_code == 429


# -- the schema -----------------------------------------------------------------------------
def test_the_partners_migration_goes_down_and_up(app, runner, partner):
    with app.app_context():
        assert "partners" in inspect(engine()).get_table_names()
    result = runner.invoke(args=["db", "downgrade", "0001"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        engine().dispose()
        tables = inspect(engine()).get_table_names()
        assert "partners" not in tables and "therapists" in tables
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        engine().dispose()
        columns = {c["name"] for c in inspect(engine()).get_columns("partners")}
    assert {
        "name",
        "key",
        "origins",
        "defaults",
        "accent",
        "layout",
        "rate_limit",
        "enabled",
        "created_at",
    } <= columns
    assert json.loads(runner.invoke(args=["partners", "list", "--json"]).stdout) == []
