"""The web pages, read as a browser without JavaScript would: the search page (fed by the same
search as the API), the profile page, and the error pages. Browser behaviour (scripts, the
map, the video click, accessibility) is in tests/browser/."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from directory import create_app
from directory.pages.display import intro_video, page_window, query_with

from .factories import profile

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def web(corpus_app):
    return corpus_app.test_client()


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url, headers=HTML)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def names(soup: BeautifulSoup) -> list[str]:
    return [h.a.get_text(strip=True) for h in soup.select(".result h3")]


def card(soup: BeautifulSoup, name: str):
    for item in soup.select(".result"):
        if item.h3.a.get_text(strip=True) == name:
            return item
    raise AssertionError(f"{name} is not among {names(soup)}")


@pytest.mark.parametrize(
    "query",
    [
        "near=10001&couples=true&specialty=ENM",
        "near=10001&video=true",
        "q=polyamorous couples",
        "near=10001&radius=50&sort=distance&per_page=3&page=2",
        "",
    ],
)
def test_search_page_lists_what_the_api_finds_in_the_same_order(web, query):
    api = web.get(f"/api/v1/therapists?{query}").get_json()
    soup = page(web, f"/?{query}")
    assert names(soup) == [r["name"] for r in api["results"]]
    heading = soup.select_one("#results-heading")
    assert heading["data-count"] == str(api["total"])


def test_the_filter_state_comes_back_from_the_url_with_synonyms_resolved(web):
    soup = page(web, "/?near=10001&couples=true&specialty=ENM&video=true&max_fee=150")
    assert soup.select_one("#near")["value"] == "10001"
    assert soup.select_one("#couples").has_attr("checked")
    assert soup.select_one("#video").has_attr("checked")
    assert not soup.select_one("#intro_video").has_attr("checked")
    assert soup.select_one("#specialty-polyamory").has_attr("checked")
    assert soup.select_one("#max_fee")["value"] == "150"


def test_facet_counts_match_the_api_and_adding_one_gives_that_many(web):
    api = web.get("/api/v1/therapists?near=10001&radius=50").get_json()
    soup = page(web, "/?near=10001&radius=50")
    for facet in api["facets"]["specialty"][:5]:
        box = soup.find("input", attrs={"name": "specialty", "value": facet["value"]})
        assert box.find_parent("label").select_one(".count").get_text() == str(facet["count"])
        narrowed = page(web, f"/?near=10001&radius=50&specialty={facet['value']}")
        assert narrowed.select_one("#results-heading")["data-count"] == str(facet["count"])


def test_a_result_says_distance_formats_acceptance_and_why_it_matched(web):
    soup = page(web, "/?near=10001&couples=true&specialty=ENM")
    ana = card(soup, "Ana López")
    text = ana.get_text(" ", strip=True)
    assert "0 mi · New York, NY" in text
    assert [li.get_text() for li in ana.select(".badges li")] == [
        "In person",
        "Video",
        "Accepting new clients",
    ]
    why = ana.select_one(".why").get_text(" ", strip=True)
    assert "sees couples" in why
    assert '"ENM" means Polyamory' in why
    assert (
        ana.h3.a["href"]
        == "/therapists/" + web.get("/api/v1/therapists?q=Ana").get_json()["results"][0]["slug"]
    )


def test_remote_video_results_say_online_and_where_licensed(web):
    soup = page(web, "/?near=10001&video=true&specialty=polyamory")
    eve = card(soup, "Eve Rahman").get_text(" ", strip=True)
    assert "Online · licensed in NY" in eve


def test_pagination_links_keep_every_filter(web):
    soup = page(web, "/?near=10001&radius=50&couples=true&per_page=2")
    nav = soup.select_one("nav.pagination")
    assert nav.select_one("[aria-current=page]").get_text() == "1"
    following = nav.select_one("a[rel=next]")["href"]
    params = parse_qs(urlsplit(following).query)
    assert params == {
        "near": ["10001"],
        "radius": ["50"],
        "couples": ["true"],
        "per_page": ["2"],
        "page": ["2"],
    }
    second = page(web, "/" + following)
    assert second.select_one("nav.pagination [aria-current=page]").get_text() == "2"
    assert set(names(second)).isdisjoint(names(soup))


def test_an_empty_result_offers_suggestions_that_find_someone(web):
    soup = page(web, "/?near=10001&radius=5&specialty=trauma")
    assert soup.select_one("#results-heading")["data-count"] == "0"
    links = soup.select(".empty .suggestions a")
    assert links
    for link in links:
        found = page(web, "/" + link["href"])
        assert int(found.select_one("#results-heading")["data-count"]) > 0


def test_bad_settings_get_a_400_page_that_names_each_field(web):
    soup = page(web, "/?near=10001&radius=-3&page=x", status=400)
    alert = soup.select_one("[role=alert]").get_text(" ", strip=True)
    assert "Radius:" in alert and "greater than 0" in alert
    assert "Page:" in alert and "integer" in alert.lower()
    assert soup.select_one("#near")["value"] == "10001"  # nothing the visitor typed is lost


def test_an_unknown_place_gets_a_422_page(web):
    soup = page(web, "/?near=Nowhereville%2C%20ZZ", status=422)
    assert "Could not find the place" in soup.select_one("[role=alert]").get_text()
    assert soup.select_one("#near")["aria-invalid"] == "true"


def test_an_ambiguous_place_offers_each_candidate_as_a_working_link(web):
    soup = page(web, "/?near=Springfield&couples=true", status=422)
    links = soup.select("[role=alert] .suggestions a")
    assert len(links) >= 3
    assert all("couples=true" in a["href"] for a in links)
    page(web, "/" + links[0]["href"])  # 200


def test_an_unknown_specialty_offers_close_matches(web):
    soup = page(web, "/?specialty=polyamori", status=400)
    matches = [a.get_text() for a in soup.select("[role=alert] .suggestions a")]
    assert "Polyamory & Ethical Non-Monogamy" in matches


def test_an_unknown_profile_is_a_404_page_and_unknown_api_paths_stay_json(web):
    soup = page(web, "/therapists/nobody-here", status=404)
    assert soup.h1.get_text() == "Page not found"
    assert soup.select_one("a[href='/']")
    page(web, "/no/such/page", status=404)
    api = web.get("/api/v1/nothing", headers=HTML)
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


FULL = profile(
    id="full",
    name="Mina Ortega-Reyes",
    credentials="LMFT, PhD",
    pronouns="she/her",
    bio="<p>I work with <strong>couples</strong> and polycules.</p><script>alert(1)</script>"
    '<img src=x onerror="alert(2)"><a href="https://example.org" onclick="x()">more</a>',
    approach="Gottman and EFT, <em>warmly</em>.",
    modalities=["Gottman", "EFT"],
    insurance=["Aetna"],
    languages=["English", "Spanish"],
    fee_min=140,
    fee_max=180,
    sliding_scale=True,
    free_consultation=True,
    accepting_new_clients=True,
    phone="212-555-0147",
    email="mina@example.com",
    website="https://mina.example.com/",
    licenses=[{"type": "LMFT", "number": "12345", "state": "NY"}],
    photo_url="https://images.example.org/mina.jpg",
    video_url="https://youtu.be/dQw4w9WgXcQ",
)


@pytest.fixture
def full_profile(app, ingest, write_jsonl):
    result, summary, rejects = ingest(
        write_jsonl(
            [FULL, profile(id="vim", name="Vic Imre", video_url="https://vimeo.com/76979871")]
        )
    )
    assert summary["created"] == 2, rejects
    client = app.test_client()
    slug = client.get("/api/v1/therapists?q=Mina").get_json()["results"][0]["url"]
    return client, slug


def test_a_profile_shows_everything_public(full_profile):
    client, url = full_profile
    soup = page(client, url)
    text = soup.select_one("main").get_text(" ", strip=True)
    assert soup.h1.get_text(" ", strip=True) == "Mina Ortega-Reyes , LMFT, PhD"
    for expected in (
        "she/her",
        "couples and polycules",
        "Gottman Method",
        "Emotionally Focused Therapy",
        "Polyamory & Ethical Non-Monogamy",
        "Couples",
        "350 5th Ave",
        "New York, NY 10118",
        "LMFT, NY (no. 12345)",
        "$140–$180 per session",
        "Sliding scale",
        "Free first consultation",
        "Insurance: Aetna",
        "English, Spanish",
        "(212) 555-0147",
        "mina@example.com",
        "Accepting new clients",
        "Video sessions for clients in NY",
    ):
        assert expected in text, expected
    assert soup.select_one("a[href='https://mina.example.com/']")["rel"] == [
        "nofollow",
        "noopener",
        "noreferrer",
    ]


def test_profile_text_is_sanitised(full_profile):
    client, url = full_profile
    soup = page(client, url)
    about = soup.select_one(".prose")
    assert about.find("strong").get_text() == "couples"
    assert not soup.select("main script, main img[onerror], [onclick]")
    assert "alert(" not in str(about)


def test_the_intro_video_is_a_local_poster_until_pressed(full_profile):
    client, url = full_profile
    soup = page(client, url)
    assert not soup.find("iframe") and not soup.find("video")
    poster = soup.select_one(".video-poster")
    assert poster["href"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"  # works without JS
    assert poster["data-embed"].startswith("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    vimeo_url = client.get("/api/v1/therapists?q=Imre").get_json()["results"][0]["url"]
    vimeo = page(client, vimeo_url).select_one(".video-poster")
    assert vimeo["data-embed"] == "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"


def test_structured_data_and_link_previews_describe_the_therapist(full_profile):
    client, url = full_profile
    soup = page(client, url)
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["@type"] == "Person" and data["name"] == "Mina Ortega-Reyes"
    assert data["url"] == f"http://localhost{url}"
    assert data["workLocation"][0]["address"]["postalCode"] == "10118"
    assert data["workLocation"][0]["geo"]["latitude"] == pytest.approx(40.75, abs=0.1)
    assert "<script>" not in data["description"] and "couples" in data["description"]
    og = {m["property"]: m["content"] for m in soup.select("meta[property^='og:']")}
    assert og["og:title"] == "Mina Ortega-Reyes, LMFT, PhD · New York, NY"
    assert og["og:url"] == f"http://localhost{url}"
    assert og["og:type"] == "profile"
    assert soup.select_one("link[rel=canonical]")["href"] == og["og:url"]


def test_photos_on_other_hosts_are_replaced_by_initials_unless_allowed(
    full_profile, database_url, tmp_path
):
    client, url = full_profile
    soup = page(client, url)
    assert not soup.select("img")
    assert soup.select_one(".avatar-initials").get_text() == "MO"
    allowed = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "RATE_LIMIT": "",
            "INDEX_DIR": str(tmp_path / "index"),
            "PHOTO_ORIGINS": ["https://images.example.org"],
        },
        instance_path=str(tmp_path / "instance"),
    ).test_client()
    response = allowed.get(url, headers=HTML)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("img.avatar")["src"] == "https://images.example.org/mina.jpg"
    assert (
        "img-src 'self' data: https://images.example.org"
        in response.headers["Content-Security-Policy"]
    )


def test_pages_allow_only_this_site_and_set_no_cookies(web):
    for url in ("/", "/?near=10001", "/therapists/nobody"):
        response = web.get(url, headers=HTML)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in csp
        assert "Set-Cookie" not in response.headers


def test_static_files_are_versioned_and_kept_by_browsers(web):
    soup = page(web, "/")
    css = soup.select_one("link[rel=stylesheet]")["href"]
    assert "?v=" in css
    response = web.get(css)
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


def test_the_map_gets_the_results_on_the_page_and_the_searched_place(web):
    soup = page(web, "/?near=10001&couples=true&radius=10")
    data = json.loads(soup.select_one("#map-data").string)
    assert data["tiles"] is None  # nothing from a tile server unless configured
    assert data["place"]["label"].startswith("New York, NY")
    assert data["place"]["radius_m"] == pytest.approx(16093, abs=1)
    on_page = [c for c in soup.select(".result") if "mi ·" in c.select_one(".where").text]
    assert len(data["markers"]) == len(on_page) > 0
    assert {m["url"] for m in data["markers"]} <= {c.h3.a["href"] for c in on_page}


def test_a_tile_source_setting_reaches_the_map_and_the_policy(corpus_app, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": corpus_app.config["DATABASE_URL"],
            "INDEX_DIR": corpus_app.config["INDEX_DIR"],
            "RATE_LIMIT": "",
            "MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
            "MAP_ATTRIBUTION": "© Example",
        },
        instance_path=str(tmp_path / "instance"),
    )
    response = app.test_client().get("/?near=10001", headers=HTML)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    data = json.loads(soup.select_one("#map-data").string)
    assert data["tiles"] == "https://tiles.example.org/{z}/{x}/{y}.png"
    assert "https://tiles.example.org" in response.headers["Content-Security-Policy"]


def test_too_many_page_requests_get_a_429_page_with_retry_after(corpus_app, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": corpus_app.config["DATABASE_URL"],
            "INDEX_DIR": corpus_app.config["INDEX_DIR"],
            "RATE_LIMIT": "2/minute",
        },
        instance_path=str(tmp_path / "instance"),
    )
    client = app.test_client()
    assert [client.get("/", headers=HTML).status_code for _ in range(2)] == [200, 200]
    response = client.get("/", headers=HTML)
    assert response.status_code == 429 and response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "url, embed",
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=5",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&rel=0",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&rel=0",
        ),
        (
            "https://m.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&rel=0",
        ),
        (
            "https://vimeo.com/channels/staffpicks/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1",
        ),
        (
            "https://player.vimeo.com/video/76979871",
            "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1",
        ),
        ("https://cdn.example.org/intro.mp4", "https://cdn.example.org/intro.mp4"),
        ("https://www.youtube.com/channel/UC123", None),
        ("http://cdn.example.org/intro.mp4", None),
    ],
)
def test_video_urls_become_privacy_friendly_players(url, embed):
    video = intro_video(url)
    assert (video.embed_url if video else None) == embed


def test_page_links_show_the_ends_and_the_neighbourhood():
    assert page_window(1, 1) == [1]
    assert page_window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_window(2, 5) == [1, 2, 3, 4, 5]


def test_a_changed_link_keeps_the_other_parameters_and_drops_the_page():
    args = MultiDict([("near", "10001"), ("specialty", "a"), ("specialty", "b"), ("page", "3")])
    assert query_with(args, specialty=["b"]) == "near=10001&specialty=b"
    assert query_with(args, radius=50.0, near=None) == "specialty=a&specialty=b&radius=50"


def test_shared_links_with_tracking_parameters_still_work(web):
    plain = page(web, "/?near=10001&couples=true")
    tracked = page(web, "/?near=10001&couples=true&utm_source=newsletter&fbclid=abc123")
    assert names(tracked) == names(plain)
    next_page = tracked.select_one("nav.pagination a[rel=next]")
    assert next_page is None or "utm_source" not in next_page["href"]


def test_a_typed_place_wins_over_coordinates_from_an_earlier_search(web):
    soup = page(web, "/?lat=42.36&lon=-71.06&near=10001")
    assert "of New York, NY 10001" in soup.select_one("#results-heading").get_text()


def test_clearing_the_place_of_a_distance_sorted_search_still_searches(web):
    soup = page(web, "/?near=&radius=25&sort=distance&couples=true")
    assert int(soup.select_one("#results-heading")["data-count"]) > 0


def test_a_bad_hidden_setting_is_not_carried_into_the_next_search(web):
    soup = page(web, "/?near=10001&per_page=999", status=400)
    assert not soup.select("input[name=per_page]")
    assert "Per page:" in soup.select_one("[role=alert]").get_text()
