"""Browser tests: Debian's Chromium, driven through Playwright, against the real app served
on a real port over the bundled sample data (3,000 profiles), on the database the run uses.

Chromium is /usr/bin/chromium (`apt-get install chromium`; `./dev test` installs it) or
DIRECTORY_TEST_CHROMIUM. A missing browser fails these tests; it never skips them.
Screenshots are written to build/artifacts/.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from directory import create_app

from ..conftest import REPO, fresh_database

CHROMIUM = os.environ.get("DIRECTORY_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "build" / "artifacts"
SAMPLE = REPO / "data" / "sample" / "profiles.jsonl.gz"
AXE_JS = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class LiveSite:
    """The app listening on 127.0.0.1:<port>."""

    url: str
    app: object

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


class QuietHandler(WSGIRequestHandler):
    """No access log: like the production setup, requests are not logged with addresses."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def serve(app, port: int = 0) -> tuple[str, object]:
    """Serve `app` from a thread on a free port; returns its base URL and the server."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture(scope="session")
def site(db_kind: str, migrated_template: str, tmp_path_factory) -> Iterator[LiveSite]:
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(db_kind, migrated_template, tmp) as url:
        app = create_app(
            {
                "DATABASE_URL": url,
                "INDEX_DIR": str(tmp / "index"),
                "RATE_LIMIT": "",
                "ADMIN_TOKEN": "browser-admin",
            },
            instance_path=str(tmp / "instance"),
        )
        result = app.test_cli_runner().invoke(
            args=["ingest", str(SAMPLE), "--source", "sample", "--rejects", str(tmp / "rej.jsonl")]
        )
        assert result.exit_code == 0, result.output
        base, server = serve(app)
        yield LiveSite(base, app)
        server.shutdown()
        app.extensions["directory.engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `apt-get install -y chromium` (./dev test does)"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@dataclass
class Traffic:
    """Every request the page made, and which hosts other than the site were allowed."""

    site_origin: str
    urls: list[str] = field(default_factory=list)
    allowed: tuple[str, ...] = ()

    def foreign(self) -> list[str]:
        return [
            u
            for u in self.urls
            if not u.startswith((self.site_origin + "/", "data:", "blob:", "about:"))
            and not u.startswith(self.allowed)
        ]


@pytest.fixture
def traffic(site: LiveSite) -> Traffic:
    return Traffic(site.origin)


def open_page(browser: Browser, traffic: Traffic, **context_args) -> Page:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_args})
    context.set_default_timeout(10_000)
    context.on("request", lambda request: traffic.urls.append(request.url))
    return context.new_page()


@pytest.fixture
def page(browser: Browser, traffic: Traffic) -> Iterator[Page]:
    """A fresh laptop-sized tab. After the test: no request may have left the site."""
    tab = open_page(browser, traffic)
    yield tab
    tab.context.close()
    assert traffic.foreign() == [], "requests left the site"


def axe_violations(page: Page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (bundled by axe-playwright-python) inside the page."""
    page.evaluate(AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path
