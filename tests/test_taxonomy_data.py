"""Checks on the reviewed taxonomy data in data/taxonomy.toml."""

from __future__ import annotations

import re
import tomllib

import pytest

from indexer.taxonomy import DEFAULT_PATH, KINDS, Taxonomy
from indexer.textnorm import term_key

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# The contract names the session formats literally; "in_person" keeps its underscore.
CONTRACT_FORMATS = {"in_person", "video", "phone"}
CONTRACT_CLIENT_TYPES = {"individuals", "couples", "families", "children", "teens", "groups"}


@pytest.fixture(scope="module")
def raw() -> dict:
    with open(DEFAULT_PATH, "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


def test_every_kind_present(raw: dict) -> None:
    assert set(raw) == set(KINDS)
    for kind in KINDS:
        assert raw[kind], kind
    assert 45 <= len(raw["specialty"]) <= 60
    assert 20 <= len(raw["modality"]) <= 40


def test_fields_and_slugs(raw: dict) -> None:
    allowed = {"slug", "label", "synonyms", "implies", "group"}
    for kind in KINDS:
        slugs = [item["slug"] for item in raw[kind]]
        assert len(slugs) == len(set(slugs)), kind
        for item in raw[kind]:
            assert set(item) <= allowed, item
            assert item["label"].strip() == item["label"] and item["label"], item
            assert all(isinstance(s, str) and s.strip() for s in item.get("synonyms", ())), item
            if kind != "session_format":
                assert SLUG.match(item["slug"]), item["slug"]
    assert {item["slug"] for item in raw["session_format"]} == CONTRACT_FORMATS
    assert {item["slug"] for item in raw["client_type"]} >= CONTRACT_CLIENT_TYPES


def test_implies_names_client_types(raw: dict) -> None:
    client_types = {item["slug"] for item in raw["client_type"]}
    for kind in KINDS:
        for item in raw[kind]:
            for slug in item.get("implies", ()):
                assert slug in client_types, (item["slug"], slug)


def test_no_key_maps_to_two_terms(raw: dict) -> None:
    for kind in KINDS:
        owner: dict[str, str] = {}
        for item in raw[kind]:
            texts = (item["slug"].replace("-", " "), item["label"], *item.get("synonyms", ()))
            for text in texts:
                key = term_key(text)
                assert key, (item["slug"], text)
                first = owner.setdefault(key, item["slug"])
                assert first == item["slug"], f"{kind}: {text!r} is in {first} and {item['slug']}"


@pytest.mark.parametrize(
    ("kind", "text", "slug"),
    [
        ("specialty", "poly", "polyamory"),
        ("specialty", "ENM", "polyamory"),
        ("specialty", "open relationships", "polyamory"),
        ("specialty", "Ethical Non-Monogamy", "polyamory"),
        ("specialty", "BDSM", "kink"),
        ("specialty", "kink-aware", "kink"),
        ("specialty", "Kink Aware Professional", "kink"),
        ("specialty", "anxiety therapy", "anxiety"),
        ("specialty", "Marriage Counseling", "couples-counseling"),
        ("specialty", "relationship counseling", "couples-counseling"),
        ("specialty", "relationship issues", "relationship-issues"),
        ("specialty", "PTSD", "trauma"),
        ("specialty", "Gay", "lgbtq"),
        ("specialty", "post-natal", "perinatal"),
        ("modality", "Gottman", "gottman"),
        ("modality", "Gottman Method Couples Therapy", "gottman"),
        ("modality", "EFT", "eft"),
        ("modality", "EFCT", "eft"),
        ("modality", "Internal Family Systems", "ifs"),
        ("modality", "Bader-Pearson", "developmental-model"),
        ("client_type", "adolescents", "teens"),
        ("client_type", "Partners", "couples"),
        ("session_format", "in-person", "in_person"),
        ("session_format", "Telehealth", "video"),
        ("session_format", "zoom", "video"),
        ("session_format", "telephone", "phone"),
    ],
)
def test_examples_resolve(taxonomy: Taxonomy, kind: str, text: str, slug: str) -> None:
    res = taxonomy.resolve(kind, text)
    assert res is not None, text
    assert res.term.slug == slug


@pytest.mark.parametrize("text", ["marriage counseling", "premarital", "Discernment Counseling"])
def test_couples_terms_imply_couples(taxonomy: Taxonomy, text: str) -> None:
    res = taxonomy.resolve("specialty", text)
    assert res is not None and "couples" in res.term.implies


def test_synonym_reports_via(taxonomy: Taxonomy) -> None:
    res = taxonomy.resolve("specialty", "ENM")
    assert res is not None and res.via == "ENM"
    res = taxonomy.resolve("specialty", "polyamory")
    assert res is not None and res.via is None


@pytest.mark.parametrize("text", ["zxqv", "equine-assisted", "financial therapy", ""])
def test_unknown_resolves_to_none(taxonomy: Taxonomy, text: str) -> None:
    for kind in KINDS:
        assert taxonomy.resolve(kind, text) is None
