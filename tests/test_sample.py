"""The synthetic profile generator: deterministic, valid input, realistic mixes."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest

from indexer.synthetic import generate_profiles, write_sample
from indexer.taxonomy import Taxonomy, load_taxonomy

N = 2000
CONTRACT_FIELDS = {
    "id",
    "name",
    "credentials",
    "pronouns",
    "photo_url",
    "licenses",
    "bio",
    "approach",
    "specialties",
    "modalities",
    "client_types",
    "session_formats",
    "video_url",
    "telehealth_states",
    "languages",
    "insurance",
    "fee_min",
    "fee_max",
    "sliding_scale",
    "accepting_new_clients",
    "free_consultation",
    "locations",
    "email",
    "phone",
    "website",
    "updated_at",
}
VIDEO_URL = re.compile(
    r"^https://(www\.youtube\.com/watch\?v=[\w-]{11}|youtu\.be/[\w-]{11}|vimeo\.com/\d+"
    r"|videos\.example\.org/intro/[\w-]+\.mp4)$"
)


@pytest.fixture(scope="module")
def profiles() -> list[dict]:
    return list(generate_profiles(N, seed=11))


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def share(profiles: list[dict], pred) -> float:
    return sum(1 for p in profiles if pred(p)) / len(profiles)


def slugs(tax: Taxonomy, kind: str, texts: list[str]) -> set[str]:
    found, _ = tax.resolve_all(kind, texts)
    return {r.term.slug for r in found}


def sees_couples(tax: Taxonomy, p: dict) -> bool:
    found, _ = tax.resolve_all("specialty", p["specialties"])
    implied = any("couples" in r.term.implies for r in found)
    return implied or "couples" in slugs(tax, "client_type", p["client_types"])


def visible_words(html: str) -> int:
    text = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    return len(re.sub(r"<[^>]+>", "", text).split())


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_profiles() -> None:
    assert list(generate_profiles(40, seed=5)) == list(generate_profiles(40, seed=5))


def test_different_seed_different_profiles() -> None:
    a, b = list(generate_profiles(20, seed=1)), list(generate_profiles(20, seed=2))
    assert all(x != y for x, y in zip(a, b, strict=True))


def test_profile_k_is_stable_whatever_the_count() -> None:
    few, many = list(generate_profiles(5, seed=3)), list(generate_profiles(60, seed=3))
    assert many[:5] == few


# --- validity ------------------------------------------------------------------------------------


def test_required_fields_and_contract_names(profiles: list[dict]) -> None:
    assert len({p["id"] for p in profiles}) == N
    for p in profiles:
        assert set(p) <= CONTRACT_FIELDS, set(p) - CONTRACT_FIELDS
        assert p["name"].strip()
        assert p["locations"] or p["telehealth_states"], p["id"]


def test_locations_are_us_offices(profiles: list[dict]) -> None:
    for p in profiles:
        license_states = {lic["state"] for lic in p["licenses"]}
        for loc in p["locations"]:
            assert re.fullmatch(r"\d{5}", loc["zip"]), loc
            assert loc["address"] and loc["city"] and len(loc["state"]) == 2
            assert loc["state"] in license_states, (p["id"], loc)
            assert ("lat" in loc) == ("lon" in loc)
            if "lat" in loc:
                assert 18.5 <= loc["lat"] <= 71.5 and -180 <= loc["lon"] <= -66.5, loc


def test_licenses_and_telehealth_states(profiles: list[dict]) -> None:
    for p in profiles:
        assert 1 <= len(p["licenses"]) <= 3
        for lic in p["licenses"]:
            assert lic["type"] and lic["number"] and len(lic["state"]) == 2
        if p["telehealth_states"]:
            assert p["telehealth_states"] == sorted({lic["state"] for lic in p["licenses"]})


def test_terms_resolve_but_for_the_odd_unknown(profiles: list[dict], tax: Taxonomy) -> None:
    for p in profiles:
        for kind in ("client_type", "session_format"):
            texts = p[kind + "s"]
            assert all(tax.resolve(kind, t) for t in texts), (p["id"], texts)
        unknown = [t for t in p["specialties"] if tax.resolve("specialty", t) is None]
        unknown += [t for t in p["modalities"] if tax.resolve("modality", t) is None]
        assert len(unknown) <= 1, unknown


def test_contact_media_and_dates(profiles: list[dict]) -> None:
    for p in profiles:
        if "video_url" in p:
            assert VIDEO_URL.match(p["video_url"]), p["video_url"]
        if "photo_url" in p:
            assert p["photo_url"].startswith("https://images.example.org/")
        if "email" in p:
            assert re.fullmatch(r"[\w.-]+@([\w-]+\.)?example\.(com|org|net)", p["email"])
        if "website" in p:
            assert re.match(r"https://[\w.-]+\.example\.(com|org|net)/", p["website"])
        if "phone" in p:
            assert re.sub(r"\D", "", p["phone"])[-7:-2] == "55501", p["phone"]
        assert date(2024, 1, 1) <= date.fromisoformat(p["updated_at"]) <= date(2026, 12, 31)
        assert 0 < p["fee_min"] <= p["fee_max"]
        assert p["languages"][0] == "English"


def test_bios(profiles: list[dict], tax: Taxonomy) -> None:
    for p in profiles:
        assert 80 <= visible_words(p["bio"]) <= 200, p["bio"]
        assert 1 <= p["approach"].count(".") <= 3
        if "do not work with couples" in p["bio"]:
            assert not sees_couples(tax, p), p["id"]
    assert share(profiles, lambda p: p["bio"].startswith("<p>")) > 0.02
    assert share(profiles, lambda p: "<script" in p["bio"]) < 0.01
    assert share(profiles, lambda p: "do not work with couples" in p["bio"]) > 0.005


# --- realistic mixes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("couples", 0.40, 0.70),
        ("polyamory", 0.06, 0.15),
        ("kink", 0.04, 0.11),
        ("lgbtq", 0.18, 0.33),
        ("video", 0.60, 0.80),
        ("remote", 0.08, 0.16),
        ("two_offices", 0.10, 0.20),
        ("intro_video", 0.19, 0.31),
        ("photo", 0.74, 0.86),
        ("accepting", 0.68, 0.82),
        ("spanish", 0.11, 0.19),
        ("unknown_term", 0.06, 0.14),
        ("out_of_network", 0.29, 0.41),
    ],
)
def test_mix(profiles: list[dict], tax: Taxonomy, name: str, low: float, high: float) -> None:
    preds = {
        "couples": lambda p: sees_couples(tax, p),
        "polyamory": lambda p: "polyamory" in slugs(tax, "specialty", p["specialties"]),
        "kink": lambda p: "kink" in slugs(tax, "specialty", p["specialties"]),
        "lgbtq": lambda p: "lgbtq" in slugs(tax, "specialty", p["specialties"]),
        "video": lambda p: "video" in slugs(tax, "session_format", p["session_formats"]),
        "remote": lambda p: not p["locations"],
        "two_offices": lambda p: len(p["locations"]) == 2,
        "intro_video": lambda p: "video_url" in p,
        "photo": lambda p: "photo_url" in p,
        "accepting": lambda p: p["accepting_new_clients"],
        "spanish": lambda p: "Spanish" in p["languages"],
        "unknown_term": lambda p: bool(
            tax.resolve_all("specialty", p["specialties"])[1]
            or tax.resolve_all("modality", p["modalities"])[1]
        ),
        "out_of_network": lambda p: p["insurance"] in ([], ["Out of network"]),
    }
    assert low <= share(profiles, preds[name]) <= high


def test_coordinates_on_about_a_third_of_offices(profiles: list[dict]) -> None:
    offices = [loc for p in profiles for loc in p["locations"]]
    assert 0.22 <= sum("lat" in loc for loc in offices) / len(offices) <= 0.38


def test_synonyms_are_used(profiles: list[dict]) -> None:
    specialties = {t for p in profiles for t in p["specialties"]}
    modalities = {t for p in profiles for t in p["modalities"]}
    assert {"ENM", "marriage counseling", "kink-aware", "open relationships"} <= specialties
    assert {"Gottman", "EFT", "CBT"} <= modalities
    assert {"equine-assisted", "neurodivergent couples"} & specialties


def test_names_include_accents(profiles: list[dict]) -> None:
    assert any(re.search(r"[^\x00-\x7f]", p["name"]) for p in profiles)
    assert any(p["name"].startswith("Dr. ") for p in profiles)


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_write_sample_round_trips(tmp_path, suffix: str) -> None:
    path, again = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert write_sample(path, 25, seed=4) == 25
    write_sample(again, 25, seed=4)
    assert path.read_bytes() == again.read_bytes()
    opener = gzip.open if suffix.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    expected = list(generate_profiles(25, seed=4))
    assert [json.loads(line) for line in lines] == expected
    assert lines[0] == json.dumps(expected[0], ensure_ascii=False, separators=(",", ":"))


def test_the_bundled_sample_is_what_the_sample_command_writes():
    """data/sample/profiles.jsonl.gz = `flask sample --count 3000 --seed 1`; profile k does
    not depend on the count, so the first profiles are enough to check it."""
    bundled = Path(__file__).resolve().parent.parent / "data" / "sample" / "profiles.jsonl.gz"
    with gzip.open(bundled, "rt", encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    with gzip.open(bundled, "rt", encoding="utf-8") as fh:
        head = [json.loads(line) for line in itertools.islice(fh, 50)]
    assert lines == 3000
    assert head == list(generate_profiles(50, seed=1))
