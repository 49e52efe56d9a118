"""The pages in Chromium: searching, filtering by keyboard, paging, the map, a profile and its
video, a phone-width layout, page weight, accessibility, and nothing fetched from elsewhere."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import Traffic, axe_violations, open_page, screenshot

PAGE_BUDGET = 200 * 1024  # HTML, CSS and JS of one page, before photos and video
NYC = "near=10001&couples=true"


def result_count(page: Page) -> int:
    return int(page.locator("#results-heading").get_attribute("data-count"))


def wait_for_update(page: Page, before: str) -> None:
    """Wait until the in-place update replaced the results (the heading element changes)."""
    page.wait_for_function(
        "before => { const h = document.querySelector('#results-heading');"
        " return h && h.dataset.stamp === undefined && h.outerHTML !== before; }",
        arg=before,
    )


def heading_html(page: Page) -> str:
    page.evaluate("document.querySelector('#results-heading').dataset.stamp = '1'")
    return page.locator("#results-heading").evaluate("h => h.outerHTML")


def test_a_search_from_the_home_page_with_filters(page: Page, site):
    page.goto(site.url + "/")
    expect(page.locator("h1")).to_have_text("Find a therapist who fits you both")
    page.fill("#near", "10001")
    page.check("#couples")
    before = heading_html(page)
    page.click("button.primary")
    wait_for_update(page, before)
    # The address follows the results (the page may update it just after the heading).
    expect(page).to_have_url(re.compile(r"[?&]near=10001"))
    expect(page).to_have_url(re.compile(r"couples=true"))
    expect(page.locator("#results-heading")).to_contain_text("of New York, NY 10001")
    everyone = result_count(page)

    # Tick the most frequent specialty: the results shrink to exactly its facet count.
    first = page.locator("#facet-specialty input[type=checkbox]").first
    value = first.get_attribute("value")
    expected = int(first.locator("xpath=..").locator(".count").inner_text())
    before = heading_html(page)
    first.check()
    wait_for_update(page, before)
    expect(page).to_have_url(re.compile(f"specialty={re.escape(value)}"))
    assert result_count(page) == expected <= everyone
    expect(page.locator("#result-status")).to_contain_text(f"{expected:,} therapist")
    expect(page.locator(f"#specialty-{value}")).to_be_checked()

    # The address is shareable: loading it afresh gives the same page.
    shared = page.url
    fresh = page.context.new_page()
    fresh.goto(shared)
    assert result_count(fresh) == expected
    expect(fresh.locator(f"#specialty-{value}")).to_be_checked()


def test_paging_forward_and_back(page: Page, site):
    page.goto(f"{site.url}/?{NYC}&radius=50")
    total = result_count(page)
    assert total > 20
    first_page = page.locator(".result h3 a").all_inner_texts()
    before = heading_html(page)
    page.click("nav.pagination a[rel=next]")
    wait_for_update(page, before)
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("nav.pagination [aria-current=page]")).to_have_text("2")
    second_page = page.locator(".result h3 a").all_inner_texts()
    assert second_page and set(second_page).isdisjoint(first_page)
    assert page.locator(".result-list").get_attribute("start") == "21"
    page.go_back()
    expect(page.locator("nav.pagination [aria-current=page]")).to_have_text("1")
    assert page.locator(".result h3 a").all_inner_texts() == first_page


def test_the_map_shows_a_marker_per_nearby_result_and_the_searched_place(page: Page, site):
    page.goto(f"{site.url}/?{NYC}&radius=10")
    nearby = page.locator(".result .where .distance").all_inner_texts()
    local = [d for d in nearby if d != "Online"]
    assert local
    expect(page.locator("#results-map path.result-marker")).to_have_count(len(local))
    expect(page.locator("#results-map path.place-marker")).to_have_count(1)
    assert page.locator("#results-map img").count() == 0  # no tiles configured: no images
    page.locator("#results-map path.result-marker").first.click(force=True)
    popup = page.locator(".leaflet-popup-content a")
    expect(popup).to_have_attribute("href", re.compile(r"^/therapists/"))


def test_a_profile_from_the_results_and_its_video_only_after_the_click(
    page: Page, site, traffic: Traffic
):
    page.goto(f"{site.url}/?{NYC}&intro_video=true&radius=50")
    link = page.locator(".result h3 a").first
    name = link.inner_text()
    link.click()
    expect(page.locator("h1")).to_contain_text(name)
    assert page.locator("iframe, video").count() == 0
    assert traffic.foreign() == []  # nothing left the site before the click

    # The players answer from a stand-in: this machine is offline, and only the address
    # the browser asks for matters here.
    page.route(
        re.compile(r"https://(www\.youtube-nocookie\.com|player\.vimeo\.com)/.*"),
        lambda route: route.fulfill(body="<title>player</title>", content_type="text/html"),
    )
    traffic.allowed = (
        "https://www.youtube-nocookie.com/embed/",
        "https://player.vimeo.com/video/",
        "https://videos.example.org/",
    )
    page.click(".video-poster")
    player = page.locator("#intro-video iframe, #intro-video video")
    expect(player).to_have_count(1)
    src = player.get_attribute("src")
    assert (
        src.startswith("https://www.youtube-nocookie.com/embed/")
        or ("player.vimeo.com/video/" in src and "dnt=1" in src)
        or src.startswith("https://videos.example.org/")
    ), src
    assert player.get_attribute("title") == f"Intro video: {name}"


def test_every_filter_works_from_the_keyboard_alone(page: Page, site):
    page.goto(f"{site.url}/?near=10001")

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} is not reachable with Tab")

    tab_to("#couples")
    before = heading_html(page)
    page.keyboard.press("Space")
    wait_for_update(page, before)
    expect(page).to_have_url(re.compile(r"couples=true"))
    assert page.evaluate("document.activeElement.id") == "couples"  # focus stays put

    # A value folded under "More specialties": open it with Enter, tick one with Space.
    tab_to("#facet-specialty summary")
    page.keyboard.press("Enter")
    tab_to("#facet-specialty details input")
    box = page.evaluate("document.activeElement.id")
    before = heading_html(page)
    page.keyboard.press("Space")
    wait_for_update(page, before)
    expect(page.locator(f"#{box}")).to_be_checked()
    assert page.evaluate("document.activeElement.id") == box

    tab_to("#sort")
    for wanted in ("sort=relevance", "sort=distance"):
        before = heading_html(page)
        page.keyboard.press("ArrowDown")
        wait_for_update(page, before)
        expect(page).to_have_url(re.compile(re.escape(wanted)))
        assert page.evaluate("document.activeElement.id") == "sort"

    # The focus ring is visible on the focused control.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_the_search_works_without_javascript(browser, site, traffic: Traffic):
    page = open_page(browser, traffic, java_script_enabled=False)
    page.goto(site.url + "/")
    page.fill("#near", "10001")
    page.check("#video")
    page.click("button.primary")
    page.wait_for_url(re.compile(r"near=10001"))
    assert result_count(page) > 0
    page.check("#facet-specialty input >> nth=0")
    page.click("button.apply")
    page.wait_for_url(re.compile(r"specialty="))
    assert page.locator(".result").count() > 0
    page.context.close()
    assert traffic.foreign() == []


def test_a_phone_width_layout_fits_and_folds_the_filters(browser, site, traffic: Traffic):
    page = open_page(
        browser,
        traffic,
        viewport={"width": 360, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page.goto(f"{site.url}/?{NYC}&video=true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.locator("#filters-panel")).not_to_have_attribute("open", "")
    expect(page.locator(".result").first).to_be_in_viewport(ratio=0.1)
    expect(page.locator("#results-map path.result-marker").first).to_be_attached()
    screenshot(page, "search-phone.png")
    page.click("#filters-panel > summary")
    expect(page.locator("#facet-specialty")).to_be_visible()
    profile = page.locator(".result h3 a").first.get_attribute("href")
    page.goto(site.url + profile)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.context.close()
    assert traffic.foreign() == []


def test_pages_stay_within_the_weight_budget(browser, site, traffic: Traffic):
    """Bytes on the wire for each page's HTML, CSS and JS (compressed, as served), each page
    loaded in a fresh context so that nothing comes from the cache."""

    def weigh(path: str) -> dict[str, int]:
        page = open_page(browser, traffic)
        sizes: dict[str, int] = {}
        page.on(
            "requestfinished",
            lambda request: (
                sizes.__setitem__(request.url, request.sizes()["responseBodySize"])
                if request.resource_type in ("document", "stylesheet", "script")
                else None
            ),
        )
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
        page.context.close()
        assert all(size > 0 for size in sizes.values()), sizes
        return sizes

    with_map = weigh(f"/?{NYC}&video=true&radius=50")
    assert any("leaflet.js" in url for url in with_map)
    profile = (
        site.app.test_client()
        .get(f"/api/v1/therapists?{NYC}&intro_video=true&radius=50")
        .get_json()["results"][0]["url"]
    )
    for sizes in (with_map, weigh("/"), weigh(profile), weigh("/?near=Springfield")):
        assert sum(sizes.values()) <= PAGE_BUDGET, sizes
    assert traffic.foreign() == []


def test_search_and_profile_pages_have_no_serious_accessibility_problems(page: Page, site):
    page.goto(f"{site.url}/?{NYC}&video=true")
    expect(page.locator("#results-map path.result-marker").first).to_be_attached()
    assert axe_violations(page) == []
    screenshot(page, "search-laptop.png")
    page.goto(f"{site.url}/?{NYC}&intro_video=true&radius=50")
    page.locator(".result h3 a").first.click()
    expect(page.locator(".video-poster")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "profile.png", full_page=True)
    for broken in ("/?near=Springfield", "/?radius=-1", "/therapists/nobody"):
        page.goto(site.url + broken)
        assert axe_violations(page) == [], broken


def test_an_empty_search_offers_suggestions_that_work(page: Page, site):
    page.goto(
        f"{site.url}/?near=10001&radius=1&specialty=sex-therapy&modality=gottman&language=spanish"
    )
    assert result_count(page) == 0
    suggestion = page.locator(".empty .suggestions a").first
    wanted = int(page.locator(".empty .suggestions .count").first.inner_text().split()[0])
    before = heading_html(page)
    suggestion.click()
    wait_for_update(page, before)
    assert result_count(page) == wanted
