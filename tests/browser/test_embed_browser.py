"""The snippet on partner sites, in Chromium: a partner page on a second origin (another port
on 127.0.0.1) embeds the widget, which shows the partner's filtered results and is resized to
fit; a page on an origin the partner did not list cannot frame it; the JSON API answers the
partner's scripts and no one else's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from .conftest import Traffic, axe_violations, screenshot, serve

PARTNER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Closer together: a blog</title></head>
<body><h1>Couples therapists near you</h1>
<div data-therapist-directory data-partner="{key}" data-near="10001" data-per-page="4"
     data-title="Couples therapists who offer video sessions"></div>
<p id="after">The paragraph after the widget.</p>
<script async src="{site}/embed/v1/embed.js"></script>
</body></html>"""


@dataclass
class Partner:
    key: str
    origin: str  # listed for the key
    elsewhere: str  # not listed: the same page served from here must not show the widget


@pytest.fixture(scope="module")
def partner(site) -> Iterator[Partner]:
    """Two plain web servers on other ports serving a partner's page with the snippet; only
    the first origin is registered for the key."""
    page = {"html": ""}

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page["html"].encode()]

    origin, first = serve(app)
    elsewhere, second = serve(app)
    result = site.app.test_cli_runner().invoke(
        args=[
            "partners",
            "add",
            f"Closer {origin}",
            "--origin",
            origin,
            "--default",
            "couples=true",
            "--default",
            "video=true",
            "--accent",
            "#8a1c4a",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    key = json.loads(result.stdout)["key"]
    page["html"] = PARTNER_PAGE.format(key=key, site=site.url)
    yield Partner(key, origin, elsewhere)
    first.shutdown()
    second.shutdown()


def widget_frame(page: Page, site, containing: str = ""):
    for _ in range(50):
        for frame in page.frames:
            if frame.url.startswith(site.url + "/embed/v1/widget") and containing in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError("no widget frame")


def assert_fits(page: Page, iframe, frame) -> None:
    """The frame is as tall as the widget's content: nothing cut off, no inner scrolling."""
    page.wait_for_timeout(200)  # the last resize message
    content = frame.evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(iframe.bounding_box()["height"] - content) <= 2
    assert frame.evaluate("document.scrollingElement.scrollHeight <= innerHeight + 1")


def test_the_widget_shows_the_partners_filtered_results_and_fits_its_content(
    page: Page, site, partner: Partner, traffic: Traffic
):
    traffic.allowed = (partner.origin + "/",)
    page.goto(partner.origin + "/")
    iframe = page.locator("div[data-therapist-directory] iframe")
    expect(iframe).to_have_attribute("title", "Couples therapists who offer video sessions")
    frame = widget_frame(page, site)
    heading = frame.locator("#results-heading")
    expect(heading).to_contain_text("sees couples, video sessions")
    expected = (
        site.app.test_client()
        .get("/api/v1/therapists?near=10001&couples=true&video=true&per_page=4")
        .get_json()
    )
    assert frame.locator(".result h3 a").all_inner_texts() == [
        r["name"] for r in expected["results"]
    ]

    # Resized to its content: no inner scrolling, nothing cut off, the page flows below.
    page.wait_for_function(
        "() => document.querySelector('[data-therapist-directory] iframe').style.height !== '480px'"
    )
    assert_fits(page, iframe, frame)
    assert (
        page.locator("#after").bounding_box()["y"]
        >= iframe.bounding_box()["y"] + (iframe.bounding_box()["height"])
    )
    screenshot(page, "partner-page.png", full_page=True)

    # A search inside the widget that finds nobody keeps the partner's scope and shrinks the
    # frame to its new content.
    before = iframe.bounding_box()["height"]
    frame = widget_frame(page, site)
    frame.fill("#w-q", "zzzz qqqq")
    frame.click("button.primary")
    frame = widget_frame(page, site, containing="q=zzzz")
    expect(frame.locator("#results-heading")).to_contain_text("0 therapists")
    expect(frame.locator("#results-heading")).to_contain_text("sees couples")
    page.wait_for_function(
        "before => document.querySelector('[data-therapist-directory] iframe')"
        ".getBoundingClientRect().height < before - 100",
        arg=before,
    )
    assert_fits(page, iframe, frame)
    assert page.context.cookies() == []


def test_a_site_the_partner_did_not_list_cannot_frame_the_widget(
    page: Page, site, partner: Partner, traffic: Traffic
):
    traffic.allowed = (partner.elsewhere + "/",)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(partner.elsewhere + "/")
    expect(page.locator("div[data-therapist-directory] iframe")).to_have_count(1)
    page.wait_for_timeout(1000)
    assert any("frame-ancestors" in text for text in refused), refused
    for frame in page.frames[1:]:
        # Chromium replaced the refused document with its own error page.
        assert frame.evaluate("document.querySelector('#results-heading')") is None


def test_the_api_answers_the_partners_scripts_and_no_one_elses(
    page: Page, site, partner: Partner, traffic: Traffic
):
    fetch = """async url => {
        try {
            const r = await fetch(url);
            return {status: r.status, total: (await r.json()).total};
        }
        catch (error) { return {blocked: String(error)}; }
    }"""
    search = f"{site.url}/api/v1/therapists?near=10001&couples=true&partner={partner.key}"
    traffic.allowed = (partner.origin + "/", partner.elsewhere + "/")
    page.goto(partner.origin + "/")
    allowed = page.evaluate(fetch, search)
    assert allowed["status"] == 200 and allowed["total"] > 0
    without_key = page.evaluate(fetch, search.split("&partner=")[0])
    assert "blocked" in without_key  # no key, no CORS headers: the browser withholds it

    page.goto(partner.elsewhere + "/")
    leaked = page.evaluate(fetch, search)
    assert "blocked" in leaked, leaked


def test_the_widget_has_no_serious_accessibility_problems(
    page: Page, site, partner: Partner, traffic: Traffic
):
    traffic.allowed = (partner.origin + "/",)
    page.goto(partner.origin + "/")
    frame = widget_frame(page, site)
    expect(frame.locator("#results-heading")).to_be_visible()
    widget_page = page.context.new_page()
    widget_page.goto(frame.url)  # the same document, checked on its own
    assert axe_violations(widget_page) == []
