"""GET /oembed: profile and search URLs of this site become self-contained cards that a CMS can
embed by pasting the link (https://oembed.com)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from .factories import profile

TOKEN = {"Authorization": "Bearer test-admin-token"}
SITE = "http://localhost"  # the test client's host


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "href":
                self.links.append(value)
            if name in ("src", "srcset", "data", "poster") or name.startswith("on"):
                self.loads.append(f"{name}={value}")


def parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def oembed(client, url: str, status: int = 200, **params):
    response = client.get("/oembed", query_string={"url": url, **params})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response


@pytest.fixture
def site(client):
    profiles = [
        profile(
            id="a",
            name="Ana López & Co",
            credentials="LMFT, PhD",
            specialties=["ENM", "kink", "communication"],
        ),
        profile(
            id="b",
            name="Bo Chen",
            specialties=["ENM"],
            locations=[{"city": "Hoboken", "state": "NJ", "zip": "07030"}],
        ),
        profile(id="c", name="Cy Ray", specialties=["grief"], client_types=["individuals"]),
    ]
    response = client.post("/api/v1/admin/ingest", headers=TOKEN, data=json.dumps(profiles))
    assert response.status_code == 200, response.json
    return client


def slug_of(client, name: str) -> str:
    results = client.get("/api/v1/therapists", query_string={"q": name}).json["results"]
    return next(r["slug"] for r in results if r["name"] == name)


def test_a_profile_url_becomes_a_card(site):
    slug = slug_of(site, "Ana López & Co")
    response = oembed(site, f"{SITE}/therapists/{slug}", maxwidth=360, maxheight=150)
    body = response.json
    assert body["type"] == "rich" and body["version"] == "1.0"
    assert body["title"] == "Ana López & Co, LMFT, PhD"
    assert body["provider_name"] and body["provider_url"] == f"{SITE}/"
    assert body["width"] <= 360 and body["height"] <= 150 and body["cache_age"] > 0
    assert "max-age" in response.headers["Cache-Control"]
    html = body["html"]
    assert "Ana López &amp; Co" in html and "LMFT, PhD" in html
    assert "New York, NY" in html and "Polyamory" in html and "Kink" in html
    tags = parse(html)
    assert tags.tags[0] == "blockquote"
    assert f"{SITE}/therapists/{slug}" in tags.links
    assert not tags.loads, "the card loads nothing and runs nothing"
    assert not {"script", "iframe", "img", "link", "style", "object"} & set(tags.tags)


def test_a_search_url_becomes_a_card_with_its_top_results(site):
    query = "near=10001&specialty=ENM&couples=true"
    body = oembed(site, f"{SITE}/?{query}").json
    assert body["type"] == "rich"
    assert body["title"].startswith("Therapists near ") and "Polyamory" in body["title"]
    html = body["html"]
    assert "Ana López &amp; Co" in html and "Bo Chen" in html and "Cy Ray" not in html
    tags = parse(html)
    assert f"{SITE}/?{query}".replace("&", "&amp;") in html, "a link to the full results"
    assert any(link.startswith(f"{SITE}/therapists/") for link in tags.links)
    assert not tags.loads and "script" not in tags.tags
    assert "See all 2 therapists" in html


def test_a_search_card_lists_only_the_top_few(site):
    body = oembed(site, f"{SITE}/?per_page=50").json
    assert body["html"].count("<li>") == 3
    assert "See all 3 therapists" in body["html"]


def test_a_search_that_finds_nobody_says_so(site):
    body = oembed(site, f"{SITE}/?near=10001&specialty=anxiety").json
    assert "No therapist matches" in body["html"]


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/therapists/ana",  # another host
        "http://localhost:8080/therapists/ana",  # another port
        f"{SITE}/therapists/nobody-here",  # no such profile
        f"{SITE}/api/v1/taxonomy",  # not a page
        f"{SITE}/docs",
        f"{SITE}/therapists/a/b",
        "javascript:alert(1)",
        "not a url",
        f"{SITE}/?specialty=polyamry",  # a search that cannot be run
        f"{SITE}/?near=Nowhereville%2C+KS",
    ],
)
def test_urls_that_are_not_profile_or_search_pages_of_this_site_are_404(site, url):
    error = oembed(site, url, 404).json["error"]
    assert error["code"] == "not_found" and error["message"]


def test_an_unpublished_profile_is_404(site):
    slug = slug_of(site, "Bo Chen")
    therapist_id = site.get("/api/v1/therapists?q=Bo+Chen").json["results"][0]["id"]
    assert site.delete(f"/api/v1/admin/therapists/{therapist_id}", headers=TOKEN).status_code == 204
    oembed(site, f"{SITE}/therapists/{quote(slug)}", 404)


def test_xml_is_not_implemented_and_a_missing_url_is_400(site):
    slug = slug_of(site, "Cy Ray")
    assert (
        oembed(site, f"{SITE}/therapists/{slug}", 501, format="xml").json["error"]["code"]
        == "not_implemented"
    )
    response = site.get("/oembed")
    assert response.status_code == 400 and "url" in response.json["error"]["fields"]
    response = site.get("/oembed", query_string={"url": f"{SITE}/", "maxwidth": "0"})
    assert response.status_code == 400 and "maxwidth" in response.json["error"]["fields"]


def test_oembed_is_in_the_description(client):
    doc = client.get("/openapi.json").json
    operation = doc["paths"]["/oembed"]["get"]
    assert {"200", "400", "404", "501"} <= set(operation["responses"])
    assert "security" not in operation
    assert re.search("rich", json.dumps(doc["components"]["schemas"]["OEmbed"]))


@pytest.mark.parametrize("url", ["http://[::1/", "http://localhost:99999/", "::::"])
def test_a_malformed_url_is_a_404_not_a_crash(client, url):
    response = client.get("/oembed", query_string={"url": url})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
