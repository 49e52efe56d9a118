"""An online geocoder (the documented production setting) never holds up a visitor: searches
use cached answers only and look up new addresses in the background; ingest waits at most the
timeout; failures are remembered. Against a real HTTP service on this machine that speaks
Nominatim's API, as slow or as broken as each test needs."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from directory import create_app
from indexer.geocode import make_geocoder, place_office, resolve_place

# The Empire State Building; its ZIP centroid (10118) is about 0.1 km away.
ANSWER = [{"lat": "40.748441", "lon": "-73.985664", "display_name": "350 5th Ave, New York"}]


class Service:
    """A Nominatim-like service: `delay` seconds per answer, or `status` errors."""

    def __init__(self) -> None:
        self.delay, self.status, self.queries = 0.0, 200, []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service.queries.append(parse_qs(urlsplit(self.path).query).get("q", [""])[0])
                time.sleep(service.delay)
                body = json.dumps(ANSWER).encode()
                self.send_response(service.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def service():
    resolve_place("10118")  # the gazetteer is built once per process: not what is timed here
    running = Service()
    yield running
    running.server.shutdown()


def geocoder(service, **options):
    return make_geocoder(f"nominatim:{service.url}", min_delay_seconds=0.5, **options)


def until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_visitors_address_search_never_waits_for_the_service(service):
    service.delay = 3.0
    online = geocoder(service)
    started = time.monotonic()
    [place] = resolve_place("350 5th Ave, New York, NY 10118", online)
    assert time.monotonic() - started < 0.5
    assert place.precision == "zip"  # the offline answer, at once
    # Looked up in the background meanwhile: the next search has the street address.
    until(lambda: online.cached("350 5th Ave, New York, NY 10118")[0])
    [place] = resolve_place("350 5th Ave, New York, NY 10118", online)
    assert place.precision == "address"


def test_ten_visitors_with_new_addresses_are_served_at_once(service):
    service.delay = 0.2
    online = geocoder(service)  # at most one request every 0.5 s to the service
    addresses = [f"{n} 5th Ave, New York, NY 10118" for n in range(100, 110)]
    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        places = list(pool.map(lambda a: resolve_place(a, online), addresses))
    assert time.monotonic() - started < 1.0
    assert all(p[0].precision == "zip" for p in places)


def test_a_service_that_does_not_answer_costs_an_ingest_the_timeout_once(service):
    service.delay = 5.0
    online = geocoder(service, timeout=0.5)
    office = {
        "address": "350 5th Ave",
        "city": "New York",
        "state": "NY",
        "zip": "10118",
        "lat": None,
        "lon": None,
    }
    started = time.monotonic()
    first = place_office(office, online)
    assert 0.4 < time.monotonic() - started < 2.0 and first.precision == "zip"
    started = time.monotonic()
    for _ in range(5):  # the same address again: the failure is remembered
        assert place_office(office, online).precision == "zip"
    assert time.monotonic() - started < 0.5
    assert len(service.queries) == 1


def test_failures_are_remembered_for_visitors_too(service):
    service.status = 500
    online = geocoder(service)
    for _ in range(3):
        resolve_place("350 5th Ave, New York, NY 10118", online)
        until(lambda: online.cached("350 5th Ave, New York, NY 10118")[0])
    assert service.queries == ["350 5th Ave, New York, NY 10118"]


def test_the_search_api_answers_at_once_with_a_slow_service(service, database_url, tmp_path):
    service.delay = 3.0
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "RATE_LIMIT": "",
            "INDEX_DIR": str(tmp_path / "index"),
            "GEOCODER": f"nominatim:{service.url}",
            "GEOCODER_MIN_DELAY": 0.5,
        },
        instance_path=str(tmp_path / "instance"),
    )
    client = app.test_client()
    rebuilt = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    started = time.monotonic()
    response = client.get("/api/v1/therapists", query_string={"near": "350 5th Ave, NY 10118"})
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200, response.json
    assert response.json["location"]["precision"] == "zip"
