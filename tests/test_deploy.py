"""The deployment on real parts (README: Deployment): nginx in front of two nodes, each a
gunicorn server running the project installed from its wheel (not this checkout) with its own
index folder and its own `index sync --follow`, one PostgreSQL database, one Redis.

It checks that a profile posted through the admin API is found through the proxy on both nodes
within 2 s; that a node killed with SIGKILL while profiles are being written, and restarted,
catches up with no duplicate and no missing profile; that nginx keeps answering while a node is
down; that the per-address and per-partner limits hold across both nodes and see the visitor's
address behind the proxy; and it measures requests/s through nginx with one node and with two
(one gunicorn worker each). Figures: printed (`-s`) and written to figures.json in the test's
temporary folder.

Runs with `--db postgresql` (the second half of `./dev test`); nginx is installed with apt-get
when it is missing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import string
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, func, select

from indexer.index import IndexStore
from indexer.index.documents import SHOWN
from indexer.models import Change, Therapist

from . import deploy_support as d
from .conftest import PG_DEFAULT, REPO
from .factories import profile

# The deployment runs on PostgreSQL (`pytest --db postgresql`), the one system of record.
pytestmark = [pytest.mark.slow, pytest.mark.postgresql_only]

TOKEN = "deploy-test-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
REDIS_URL = os.environ.get("DIRECTORY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PARTNER_ORIGIN = "https://clinic.example"
PER_ADDRESS = 30  # DIRECTORY_RATE_LIMIT on the nodes, per minute
PER_PARTNER = 6  # the partner's own limit, per minute


@dataclass
class Deployment:
    work: Path
    database_url: str
    nodes: list[d.Node]
    nginx: d.Nginx
    partner_key: str
    figures: dict[str, Any] = field(default_factory=dict)

    def shown_ids(self) -> set[int]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return set(conn.scalars(select(Therapist.id).where(SHOWN)))
        finally:
            engine.dispose()

    def latest_change(self) -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.scalar(select(func.max(Change.id))) or 0
        finally:
            engine.dispose()

    def post_profiles(self, profiles: list[dict], source: str) -> tuple[int, str]:
        status, headers, body = d.request(
            "POST",
            self.nginx.url(f"/api/v1/admin/ingest?source={source}"),
            body=json.dumps(profiles).encode(),
            headers=ADMIN,
        )
        assert status in (200, 502, 504), body[:500]
        return status, headers.get("X-Upstream", "")


@pytest.fixture(scope="module")
def deployment(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx_binary = d.find_or_install("nginx", "nginx-light")
    assert nginx_binary, "nginx is missing and could not be installed (apt-get install nginx-light)"
    redis.Redis.from_url(REDIS_URL).ping()  # Redis is part of the test environment (./dev test)
    work = tmp_path_factory.mktemp("deploy")
    started = time.monotonic()
    bin_dir = d.install_wheel(REPO, work)
    admin_url = os.environ.get("DIRECTORY_TEST_POSTGRES_URL", PG_DEFAULT)
    with d.postgres_database(admin_url) as url:
        shared = {
            "DIRECTORY_DATABASE_URL": url,
            "DIRECTORY_ADMIN_TOKEN": TOKEN,
            "DIRECTORY_REDIS_URL": REDIS_URL,
            # flask-limiter's own setting: this run's counters apart from any other run's.
            "DIRECTORY_RATELIMIT_KEY_PREFIX": f"deploy-{uuid.uuid4().hex[:8]}",
            "DIRECTORY_TRUSTED_PROXIES": "1",
            "DIRECTORY_RATE_LIMIT": f"{PER_ADDRESS}/minute",
        }
        nodes = []
        for name in ("a", "b"):
            root = work / f"node-{name}"
            root.mkdir()
            env = d.clean_env(
                **shared,
                DIRECTORY_INDEX_DIR=str(root / "index"),
                DIRECTORY_INSTANCE_PATH=str(root / "instance"),
            )
            nodes.append(d.Node(name, bin_dir, root, env))
        a, b = nodes
        a.flask("db", "upgrade")
        a.flask("sample", "--count", "300", "--seed", "5", "-o", str(work / "sample.jsonl"))
        a.flask("ingest", str(work / "sample.jsonl"), "--source", "sample")  # builds a's index
        b.flask("index", "rebuild")
        added = a.flask(
            "partners", "add", "Clinic", "--origin", PARTNER_ORIGIN, "--json",
            "--rate-limit", f"{PER_PARTNER}/minute",
        )  # fmt: skip
        key = json.loads(added.stdout)["key"]
        nginx = d.Nginx(nginx_binary, work / "nginx", nodes)
        deployment = Deployment(work, url, nodes, nginx, key)
        try:
            for node in nodes:
                node.start()
            for node in nodes:
                node.wait_ready()
            nginx.start()
            deployment.figures["setup_seconds"] = round(time.monotonic() - started, 1)
            yield deployment
        finally:
            nginx.stop()
            for node in nodes:
                node.kill(signal.SIGTERM)
            deployment.figures["total_seconds"] = round(time.monotonic() - started, 1)
            (work / "figures.json").write_text(json.dumps(deployment.figures, indent=2))
            print(f"\ndeployment figures ({work / 'figures.json'}):")
            print(json.dumps(deployment.figures, indent=2))


def word() -> str:
    """A made-up surname no sample profile has."""
    return "Q" + "".join(random.choices(string.ascii_lowercase, k=9))


def found(url: str, name: str) -> bool:
    status, _, body = d.get_json(url + f"/api/v1/therapists?q={name}")
    return status == 200 and body["total"] == 1


def test_a_posted_profile_is_found_through_the_proxy_on_both_nodes_within_2s(deployment):
    nginx = deployment.nginx
    name = word()
    started = time.monotonic()
    status, upstream = deployment.post_profiles(
        [profile(id=f"visible-{name}", name=f"Mara {name}")], "deploy"
    )
    assert status == 200
    posted = time.monotonic() - started
    seen: dict[str, float] = {}
    while len(seen) < 2:
        for node in deployment.nodes:
            if node.name not in seen and found(nginx.url("", nginx.pinned[node.name]), name):
                seen[node.name] = time.monotonic() - started
        assert time.monotonic() - started < 10, f"not found on every node: {seen}"
        time.sleep(0.02)
    first = next(n.name for n in deployment.nodes if upstream.endswith(f":{n.port}"))
    other = next(n.name for n in deployment.nodes if n.name != first)
    deployment.figures["visibility"] = {
        "post_answered_seconds": round(posted, 3),
        "node_that_took_the_post": first,
        "seconds_until_found_on_it": round(seen[first], 3),
        "seconds_until_found_on_the_other_node": round(seen[other], 3),
        "follower_interval_seconds": 0.5,
    }
    assert max(seen.values()) <= 2.0, seen


def test_limits_hold_across_both_nodes_and_see_the_visitor_behind_the_proxy(deployment):
    url = deployment.nginx.url("/api/v1/taxonomy")
    visitor = d.visitor()
    answers = [d.request("GET", url, source=visitor) for _ in range(PER_ADDRESS + 1)]
    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * PER_ADDRESS + [429], statuses
    upstreams = {headers.get("X-Upstream") for _, headers, _ in answers}
    assert len(upstreams) == 2, f"both nodes counted this visitor: {upstreams}"
    # Forging X-Forwarded-For does not get a new bucket: nginx appends the real address.
    forged = {"X-Forwarded-For": "203.0.113.7"}
    assert d.request("GET", url, headers=forged, source=visitor)[0] == 429
    # ...nor use up someone else's: a visitor claiming the limited one's address is itself.
    assert d.request("GET", url, headers={"X-Forwarded-For": visitor})[0] == 200
    # Every other visitor behind the same proxy has a limit of its own.
    assert d.request("GET", url, source=d.visitor())[0] == 200

    # The partner's limit: one bucket for its key across both nodes, whoever the visitor is.
    search = deployment.nginx.url("/api/v1/therapists?near=10001")
    partner = {"X-Partner-Key": deployment.partner_key, "Origin": PARTNER_ORIGIN}
    answers = [d.request("GET", search, headers=partner) for _ in range(PER_PARTNER + 1)]
    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * PER_PARTNER + [429], statuses
    assert len({headers.get("X-Upstream") for _, headers, _ in answers}) == 2
    assert d.request("GET", search)[0] == 200, "visitors of the site itself are not limited"
    deployment.figures["limits"] = {
        "per_address": f"{PER_ADDRESS}/minute held across 2 nodes",
        "per_partner": f"{PER_PARTNER}/minute held across 2 nodes",
    }


def indexed_ids(node: d.Node) -> list[int]:
    ix = IndexStore(node.index_dir).open()
    try:
        with ix.searcher() as searcher:
            return [int(fields["id"]) for fields in searcher.all_stored_fields()]
    finally:
        ix.close()


def test_a_killed_node_catches_up_and_nginx_keeps_answering(deployment):
    a, b = deployment.nodes
    nginx = deployment.nginx
    sample_ids = sorted(deployment.shown_ids())[:40]
    batches = [
        [profile(id=f"kill-{n}-{i}", name=f"Kim {word()}") for i in range(15)] for n in range(8)
    ]
    posted: list[tuple[int, str]] = []
    two_done = threading.Event()

    def write() -> None:
        for n, batch in enumerate(batches):
            for _ in range(5):  # a batch sent to the node as it died: sent again
                status, upstream = deployment.post_profiles(batch, "deploy-kill")
                if status == 200:
                    break
            posted.append((status, upstream))
            if n == 1:
                two_done.set()
        for therapist_id in sample_ids[:3]:
            status, _, _ = d.request(
                "DELETE", nginx.url(f"/api/v1/admin/therapists/{therapist_id}"), headers=ADMIN
            )
            posted.append((status, "delete"))

    writer = threading.Thread(target=write)
    writer.start()
    assert two_done.wait(60)
    b.kill(signal.SIGKILL)
    killed_at = IndexStore(b.index_dir)
    position = killed_at.state(killed_at.current() or "")["change_id"]
    # nginx keeps answering with one node down: every request gets a 200, from a.
    pages = ["/api/v1/therapists?near=10001", "/api/v1/taxonomy", "/healthz", "/"]
    for n in range(40):
        status, headers, _ = d.request("GET", nginx.url(pages[n % len(pages)]))
        assert status == 200 and headers["X-Upstream"].endswith(f":{a.port}"), (status, headers)
    writer.join(120)
    assert [status for status, _ in posted] == [200] * 8 + [204] * 3, posted

    latest = deployment.latest_change()
    restarted = time.monotonic()
    b.start()
    b.wait_ready()
    serving = time.monotonic() - restarted

    def caught_up() -> bool:
        status, _, body = d.get_json(nginx.url("/readyz", nginx.pinned["b"]))
        return status == 200 and body["checks"]["sync"]["position"] >= latest

    catch_up = time.monotonic() - restarted + d.wait_until(caught_up, "b caught up", 60)
    shown = deployment.shown_ids()
    assert not set(sample_ids[:3]) & shown
    for node in deployment.nodes:
        ids = indexed_ids(node)
        assert len(ids) == len(set(ids)), f"{node.name}: duplicates"
        assert set(ids) == shown, (
            f"{node.name}: missing {sorted(shown - set(ids))[:10]}, "
            f"extra {sorted(set(ids) - shown)[:10]}"
        )
    deployment.figures["kill"] = {
        "changes_to_catch_up": latest - position,
        "serving_seconds_after_restart": round(serving, 2),
        "caught_up_seconds_after_restart": round(catch_up, 2),
        "answers_while_down": "40 of 40 requests through nginx answered 200",
        "profiles": len(shown),
    }


def restart_nodes(deployment: Deployment, **settings: str) -> None:
    for node in deployment.nodes:
        node.kill(signal.SIGTERM)
        node.start(**settings)
    for node in deployment.nodes:
        node.wait_ready()


def test_requests_per_second_through_nginx_with_one_and_two_nodes(deployment):
    ids = sorted(deployment.shown_ids())
    places = ["10001", "94110", "60614", "02139", "78704"]
    paths = (
        [f"/api/v1/therapists?near={z}" for z in places]
        + [f"/api/v1/therapists?near={z}&couples=true" for z in places]
        + ["/api/v1/therapists?q=anxiety", "/api/v1/therapists?q=trauma&video=true"]
        + [f"/api/v1/therapists/{tid}" for tid in random.sample(ids, 6)]
        + ["/api/v1/taxonomy", "/"]
    )
    nginx = deployment.nginx
    figures: dict[str, Any] = {
        "client": "wrk -t1 -c8 (or 8 Python threads) on the same machine; "
        "one node and two nodes in turn, twice, 4 s each after 2 s of warm-up; the better run",
        "mix": f"{len(paths)} GET paths in turn (searches, profiles, taxonomy, home page)",
        "workers": "1 gunicorn worker (4 threads) per node; nginx, the client and "
        "PostgreSQL on the same 2 cores",
    }
    # Limits off for the load (every request comes from one address); first with the
    # response cache (the default), then with every request searching.
    ports = {"one_node": nginx.one_node_port, "two_nodes": nginx.port}
    for cache, settings in (("cache", {}), ("no_cache", {"DIRECTORY_SEARCH_CACHE_SIZE": "0"})):
        restart_nodes(deployment, DIRECTORY_RATE_LIMIT="", **settings)
        for port in ports.values():
            d.requests_per_second(nginx.url("", port), paths, 2, deployment.work)  # warm up
        runs: dict[str, list[float]] = {label: [] for label in ports}
        for _ in range(2):
            for label, port in ports.items():
                result = d.requests_per_second(nginx.url("", port), paths, 4, deployment.work)
                assert result["non_2xx"] == 0, result
                runs[label].append(round(result["rps"], 1))
        best = {label: max(values) for label, values in runs.items()}
        figures[cache] = {
            **best,
            "ratio": round(best["two_nodes"] / best["one_node"], 2),
            "runs": runs,
        }
    deployment.figures["requests_per_second"] = figures
    print(json.dumps(figures, indent=2))
