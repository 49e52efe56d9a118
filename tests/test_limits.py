"""Rate limits per client address and the per-process search response cache."""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from directory import create_app

from .factories import profile

TOKEN = {"Authorization": "Bearer test-admin-token"}


def node(app, tmp_path, **config):
    """Another app (a node) on the same database and index, with its own settings."""
    settings = {
        "TESTING": True,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INDEX_DIR": app.config["INDEX_DIR"],
        "ADMIN_TOKEN": "test-admin-token",
        **config,
    }
    return create_app(settings, instance_path=str(tmp_path / f"node-{uuid.uuid4().hex[:6]}"))


@pytest.fixture
def indexed(app, client):
    response = client.post(
        "/api/v1/admin/ingest", headers=TOKEN, data=json.dumps([profile(id="a", bio="Grief work.")])
    )
    assert response.status_code == 200, response.json
    return app


def test_too_many_requests_get_429_with_retry_after(indexed, tmp_path):
    client = node(indexed, tmp_path, RATE_LIMIT="3/minute").test_client()
    statuses = [client.get("/api/v1/therapists?q=grief").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/therapists?q=grief")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.json["error"]["code"] == "too_many_requests"


def test_limits_are_per_client_address(indexed, tmp_path):
    client = node(indexed, tmp_path, RATE_LIMIT="1/minute").test_client()
    assert (
        client.get("/api/v1/taxonomy", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    )
    assert (
        client.get("/api/v1/taxonomy", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    )
    assert (
        client.get("/api/v1/taxonomy", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200
    )


def test_one_limit_covers_the_whole_api_not_each_endpoint(indexed, tmp_path):
    client = node(indexed, tmp_path, RATE_LIMIT="4/minute").test_client()
    paths = ["/api/v1/therapists?q=grief", "/api/v1/taxonomy", "/api/v1/therapists/1"] * 2
    statuses = [client.get(path).status_code for path in paths]
    assert [status == 429 for status in statuses] == [False] * 4 + [True] * 2, statuses
    # Pages and the widget have buckets of their own.
    assert client.get("/").status_code == 200


def test_workers_of_one_node_share_their_counters(indexed, tmp_path):
    # Two apps on one instance folder are two gunicorn workers of one node.
    instance = tmp_path / "shared-instance"
    settings = {
        "TESTING": True,
        "DATABASE_URL": indexed.config["DATABASE_URL"],
        "INDEX_DIR": indexed.config["INDEX_DIR"],
        "RATE_LIMIT": "3/minute",
    }
    one = create_app(settings, instance_path=str(instance)).test_client()
    two = create_app(settings, instance_path=str(instance)).test_client()
    statuses = [client.get("/api/v1/taxonomy").status_code for client in (one, two, one, two)]
    assert statuses == [200, 200, 200, 429]


def test_nodes_share_limits_through_redis(indexed, tmp_path):
    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).ping()  # Redis is part of the test environment (./dev test)
    address = {"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    one = node(indexed, tmp_path, RATE_LIMIT="2/minute", REDIS_URL=url).test_client()
    two = node(indexed, tmp_path, RATE_LIMIT="2/minute", REDIS_URL=url).test_client()
    assert one.get("/api/v1/taxonomy", environ_base=address).status_code == 200
    assert two.get("/api/v1/taxonomy", environ_base=address).status_code == 200
    assert one.get("/api/v1/taxonomy", environ_base=address).status_code == 429


PROXY = "10.0.0.5"  # the reverse proxy: every request arrives from it


def through_proxy(forwarded_for: str) -> dict:
    """What a request that came through a proxy looks like to the app: the proxy's address,
    and the X-Forwarded-For it passed on."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


def test_behind_a_trusted_proxy_each_visitor_gets_its_own_limit(indexed, tmp_path):
    client = node(indexed, tmp_path, RATE_LIMIT="1/minute", TRUSTED_PROXIES=1).test_client()
    one, two = through_proxy("192.0.2.10"), through_proxy("192.0.2.11")
    assert client.get("/api/v1/taxonomy", environ_base=one).status_code == 200
    assert client.get("/api/v1/taxonomy", environ_base=one).status_code == 429
    assert client.get("/api/v1/taxonomy", environ_base=two).status_code == 200
    # A visitor who sends its own X-Forwarded-For: the proxy appends the address it saw, and
    # only that last hop is trusted, so the forged one changes nothing.
    forged = through_proxy("203.0.113.99, 192.0.2.10")
    assert client.get("/api/v1/taxonomy", environ_base=forged).status_code == 429
    # The scheme the proxy saw counts too (HSTS on answers that went out over https).
    secure = {**through_proxy("192.0.2.12"), "HTTP_X_FORWARDED_PROTO": "https"}
    assert "Strict-Transport-Security" in client.get("/healthz", environ_base=secure).headers


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(indexed, tmp_path):
    client = node(indexed, tmp_path, RATE_LIMIT="1/minute").test_client()
    assert indexed.config["TRUSTED_PROXIES"] == 0  # the default
    first = {"REMOTE_ADDR": "192.0.2.20", "HTTP_X_FORWARDED_FOR": "203.0.113.1"}
    forged = {"REMOTE_ADDR": "192.0.2.20", "HTTP_X_FORWARDED_FOR": "203.0.113.2"}
    assert client.get("/api/v1/taxonomy", environ_base=first).status_code == 200
    assert client.get("/api/v1/taxonomy", environ_base=forged).status_code == 429
    plain = {"REMOTE_ADDR": "192.0.2.21", "HTTP_X_FORWARDED_PROTO": "https"}
    assert "Strict-Transport-Security" not in client.get("/healthz", environ_base=plain).headers


def test_nodes_behind_a_proxy_share_each_visitors_limit_through_redis(indexed, tmp_path):
    url = "redis://127.0.0.1:6379/15"
    visitor = through_proxy(f"198.51.100.{uuid.uuid4().int % 250 + 1}")
    other = through_proxy(f"192.0.2.{uuid.uuid4().int % 250 + 1}")
    settings = {"RATE_LIMIT": "2/minute", "REDIS_URL": url, "TRUSTED_PROXIES": 1}
    one = node(indexed, tmp_path, **settings).test_client()
    two = node(indexed, tmp_path, **settings).test_client()
    assert one.get("/api/v1/taxonomy", environ_base=visitor).status_code == 200
    assert two.get("/api/v1/taxonomy", environ_base=visitor).status_code == 200
    assert one.get("/api/v1/taxonomy", environ_base=visitor).status_code == 429
    assert two.get("/api/v1/taxonomy", environ_base=other).status_code == 200


def test_cached_search_responses_follow_edits(indexed, client):
    first = client.get("/api/v1/therapists?q=grief")
    again = client.get("/api/v1/therapists?q=grief")
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    client.post(
        "/api/v1/admin/ingest",
        headers=TOKEN,
        data=json.dumps([profile(id="b", name="Bo Chen", bio="Grief and loss.")]),
    )
    after = client.get("/api/v1/therapists?q=grief")
    assert after.headers["ETag"] != first.headers["ETag"]
    assert after.json["total"] == 2
