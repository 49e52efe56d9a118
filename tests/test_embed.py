"""The partner widget and its script, read over HTTP: who may see and frame it, the partner's
defaults under the visitor's choices, no cookies, links that open profiles in a new tab, and
per-key limits. The widget in a real browser, framed by a second origin, is in
tests/browser/test_embed_browser.py."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from directory import create_app

CLINIC = "https://clinic.example"
BLOG = "http://127.0.0.1:8123"


def add_partner(app, name: str, *options: str) -> str:
    result = app.test_cli_runner().invoke(args=["partners", "add", name, *options, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["key"]


@pytest.fixture(scope="module")
def partners(corpus_app) -> dict[str, str]:
    """Partners of the corpus: one showing couples near Chelsea, one compact and themed, one
    disabled."""
    keys = {
        "clinic": add_partner(
            corpus_app,
            "Clinic",
            "--origin",
            CLINIC,
            "--origin",
            BLOG,
            "--default",
            "couples=true",
            "--default",
            "near=10001",
        ),
        "themed": add_partner(
            corpus_app,
            "Themed",
            "--origin",
            CLINIC,
            "--layout",
            "compact",
            "--accent",
            "#ffd000",
            "--default",
            "specialty=polyamory",
        ),
        "off": add_partner(corpus_app, "Gone", "--origin", CLINIC),
    }
    result = corpus_app.test_cli_runner().invoke(args=["partners", "disable", "Gone"])
    assert result.exit_code == 0, result.output
    return keys


@pytest.fixture(scope="module")
def web(corpus_app):
    return corpus_app.test_client()


def widget(web, query: str, status: int = 200):
    response = web.get(f"/embed/v1/widget?{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    return response, BeautifulSoup(response.get_data(as_text=True), "html.parser")


def names(soup) -> list[str]:
    return [h.a.get_text(strip=True) for h in soup.select(".result h3")]


@pytest.mark.parametrize("key", ["", "partner=not-a-key-at-all-0000", "partner={off}"])
def test_unknown_missing_or_disabled_keys_get_a_403_page(web, partners, key):
    response, soup = widget(web, key.format(**partners), status=403)
    assert response.mimetype == "text/html"
    assert "not available" in soup.h1.get_text()
    assert not soup.select(".result")


def test_the_partners_defaults_apply_and_match_the_same_search_on_the_site(web, partners):
    response, soup = widget(web, f"partner={partners['clinic']}")
    api = web.get("/api/v1/therapists?couples=true&near=10001&per_page=10").get_json()
    assert names(soup) == [r["name"] for r in api["results"]]
    heading = soup.select_one("#results-heading").get_text(" ", strip=True)
    assert "of New York, NY 10001" in heading and "sees couples" in heading


def test_the_visitors_choices_override_the_defaults(web, partners):
    _, soup = widget(web, f"partner={partners['clinic']}&near=02108&radius=10")
    heading = soup.select_one("#results-heading").get_text(" ", strip=True)
    assert "of Boston, MA 02108" in heading
    assert names(soup) == ["Cara Diaz"]  # couples still applies: the partner's scope
    # The fixed filter is not offered as a control the visitor could untick.
    assert not soup.select("input[name=couples]")
    assert soup.select("input[name=video]")


def test_the_snippets_own_filters_survive_a_new_search_from_the_widget(web, partners):
    _, soup = widget(web, f"partner={partners['clinic']}&specialty=ENM&frame=2&origin={BLOG}")
    form = soup.select_one("form.widget-form")
    carried = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert carried == {
        "partner": partners["clinic"],
        "origin": BLOG,
        "frame": "2",
        "specialty": "ENM",
    }


def test_only_the_partners_origins_may_frame_it_and_nothing_else_is_loaded(web, partners):
    response, soup = widget(web, f"partner={partners['clinic']}")
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {CLINIC} {BLOG}" in csp
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    for tag in soup.select("script[src], link[rel=stylesheet]"):
        assert (tag.get("src") or tag.get("href")).startswith("/static/")
    assert not soup.select("img")  # photos on other hosts are initials here too


def test_the_widget_sets_no_cookies_anywhere(web, partners):
    for url in (
        f"/embed/v1/widget?partner={partners['clinic']}",
        f"/embed/v1/widget?partner={partners['off']}",
        "/embed/v1/embed.js",
        f"/embed/v1/widget?partner={partners['clinic']}&near=Springfield",
        f"/embed/v1/widget?partner={partners['clinic']}&radius=-1",
    ):
        assert "Set-Cookie" not in web.get(url).headers, url


def test_results_open_their_profile_in_a_new_tab(web, partners):
    _, soup = widget(web, f"partner={partners['clinic']}")
    links = soup.select(".result h3 a")
    assert links
    for link in links:
        assert link["href"].startswith("/therapists/")
        assert link["target"] == "_blank" and link["rel"] == ["noopener"]
        assert web.get(link["href"]).status_code == 200
    credit = soup.select_one(".widget-credit a")
    assert parse_qs(urlsplit(credit["href"]).query) == {"couples": ["true"], "near": ["10001"]}


def test_the_height_goes_only_to_an_allowed_parent_origin(web, partners):
    _, soup = widget(web, f"partner={partners['clinic']}&origin={BLOG}&frame=3")
    assert soup.html["data-parent-origin"] == BLOG and soup.html["data-frame"] == "3"
    _, soup = widget(web, f"partner={partners['clinic']}&origin=https://evil.example")
    assert not soup.html.has_attr("data-parent-origin")


def test_a_compact_theme_uses_the_accent_with_readable_text_and_fewer_results(web, partners):
    response, soup = widget(web, f"partner={partners['themed']}")
    assert soup.body["class"] == ["widget", "layout-compact"]
    style = soup.find("style")
    assert "--widget-accent: #ffd000" in style.string
    assert "--widget-accent-ink: #1c2128" in style.string  # dark text on a light accent
    assert f"'nonce-{style['nonce']}'" in response.headers["Content-Security-Policy"]
    assert len(soup.select(".result")) <= 5
    _, more = widget(web, f"partner={partners['themed']}&per_page=2")
    assert len(more.select(".result")) == 2


def test_bad_visitor_input_is_explained_inside_the_widget(web, partners):
    response, soup = widget(web, f"partner={partners['clinic']}&near=Springfield", status=422)
    links = soup.select("[role=alert] .suggestions a")
    assert links and all(f"partner={partners['clinic']}" in a["href"] for a in links)
    _, soup = widget(web, f"partner={partners['clinic']}&radius=-1", status=400)
    assert "Radius:" in soup.select_one("[role=alert]").get_text()


def test_the_snippet_script_is_small_and_loadable_from_any_site(web):
    response = web.get("/embed/v1/embed.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert len(response.get_data()) < 5 * 1024
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "max-age=3600" in response.headers["Cache-Control"]


def test_the_widget_counts_against_the_partners_own_limit(corpus_app, tmp_path):
    key = add_partner(
        corpus_app, f"Tight {uuid.uuid4().hex[:6]}", "--origin", CLINIC, "--rate-limit", "2/minute"
    )
    node = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": corpus_app.config["DATABASE_URL"],
            "INDEX_DIR": corpus_app.config["INDEX_DIR"],
            "RATE_LIMIT": "1000/minute",
        },
        instance_path=str(tmp_path / "node"),
    )
    client = node.test_client()
    statuses = [client.get(f"/embed/v1/widget?partner={key}").status_code for _ in range(2)]
    statuses.append(client.get(f"/api/v1/taxonomy?partner={key}").status_code)
    assert statuses == [200, 200, 429], "the widget and the API share the key's bucket"
    limited = client.get(f"/embed/v1/widget?partner={key}")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.mimetype == "text/html"


def test_profile_and_search_pages_let_cms_discover_their_oembed(web):
    search = BeautifulSoup(
        web.get("/?near=10001&couples=true").get_data(as_text=True), "html.parser"
    )
    link = search.select_one("link[type='application/json+oembed']")["href"]
    card = web.get(link[len("http://localhost") :])
    assert card.status_code == 200 and card.get_json()["type"] == "rich"
    url = web.get("/api/v1/therapists?q=Ana").get_json()["results"][0]["url"]
    profile = BeautifulSoup(web.get(url).get_data(as_text=True), "html.parser")
    link = profile.select_one("link[type='application/json+oembed']")["href"]
    card = web.get(link[len("http://localhost") :]).get_json()
    assert card["title"].startswith("Ana López")


def test_two_keys_in_one_request_are_refused(web, partners):
    _, soup = widget(web, f"partner={partners['clinic']}&partner={partners['themed']}", status=403)
    assert not soup.select(".result")


def test_unknown_parameters_from_a_partners_page_are_ignored(web, partners):
    _, soup = widget(web, f"partner={partners['clinic']}&testid=widget&utm_source=x")
    assert soup.select(".result")


def test_start_again_inside_the_widget_keeps_the_frame_working(web, partners):
    _, soup = widget(
        web, f"partner={partners['clinic']}&origin={BLOG}&frame=2&near=Springfield", status=422
    )
    again = soup.select_one("[role=alert] a[href^='/embed/v1/widget']")["href"]
    assert parse_qs(urlsplit(again).query) == {
        "partner": [partners["clinic"]],
        "origin": [BLOG],
        "frame": ["2"],
    }


def _node(corpus_app, tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": corpus_app.config["DATABASE_URL"],
            "INDEX_DIR": corpus_app.config["INDEX_DIR"],
            "RATE_LIMIT": "1000/minute",
            **config,
        },
        instance_path=str(tmp_path / f"n{uuid.uuid4().hex[:6]}"),
    )


def test_a_limited_widget_explains_itself_inside_the_partners_frame(corpus_app, tmp_path):
    key = add_partner(
        corpus_app, f"Busy {uuid.uuid4().hex[:6]}", "--origin", BLOG, "--rate-limit", "1/minute"
    )
    client = _node(corpus_app, tmp_path).test_client()
    framed = {"Referer": BLOG + "/blog/post", "Sec-Fetch-Dest": "iframe"}
    url = f"/embed/v1/widget?partner={key}&origin={BLOG}&frame=1"
    assert client.get(url, headers=framed).status_code == 200
    limited = client.get(url, headers=framed)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert f"frame-ancestors {BLOG}" in limited.headers["Content-Security-Policy"]
    soup = BeautifulSoup(limited.get_data(as_text=True), "html.parser")
    assert soup.html["data-parent-origin"] == BLOG  # it still fits its frame
    assert soup.select_one("script[src*='widget.js']")
    assert not soup.select(".site-header")


def test_requests_from_elsewhere_cannot_use_up_a_partners_limit(corpus_app, tmp_path):
    """The key is public: requests that do not come from the partner's pages count in a bucket
    of their own, so a script elsewhere cannot black out the partner's widget."""
    key = add_partner(
        corpus_app, f"Public {uuid.uuid4().hex[:6]}", "--origin", BLOG, "--rate-limit", "2/minute"
    )
    client = _node(corpus_app, tmp_path).test_client()
    url = f"/embed/v1/widget?partner={key}"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    framed = {"Referer": BLOG + "/", "Sec-Fetch-Dest": "iframe"}
    assert client.get(url, headers=framed).status_code == 200
    assert (
        client.get(f"/api/v1/taxonomy?partner={key}", headers={"Origin": BLOG}).status_code == 200
    )
    assert client.get(url, headers=framed).status_code == 429  # the partner's own bucket
