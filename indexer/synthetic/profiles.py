"""One synthetic profile: who, where, what they list, how to reach them."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import lru_cache

from ..taxonomy import Taxonomy
from ..textnorm import slugify as _slugify
from .bios import write_bio
from .draws import between, one, some
from .places import Places, Zip, zip_places
from .vocab import choose_modalities, choose_specialties, render_term, vocabulary
from .words import (
    CARRIERS,
    COUNSELOR,
    FIRST_NAMES,
    KAISER_STATES,
    LANGUAGES,
    LAST,
    LICENSES,
    PRONOUNS,
    STREETS,
    SYNONYM_HEAVY,
    UNKNOWN,
)

slugify = lru_cache(maxsize=4096)(_slugify)  # names and cities repeat a lot


def _person(rng: random.Random) -> tuple[str, str, str | None]:
    """(first name, full name, pronouns or None)."""
    kind = rng.choices(("she", "he", "they"), (62, 32, 6))[0]
    first = one(rng, FIRST_NAMES[kind])
    last = one(rng, LAST)
    if rng.random() < 0.05:
        last = f"{last}-{one(rng, LAST)}"
    middle = f" {one(rng, 'ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.1 else ""
    pronouns = one(rng, PRONOUNS[kind]) if rng.random() < 0.35 else None
    return first, f"{first}{middle} {last}", pronouns


def _licenses(
    rng: random.Random, places: Places, couples: bool, states: list[str], remote: bool
) -> tuple[list[dict], str, str]:
    """1-3 licenses: office states, sometimes neighbours. (licenses, credentials, role)"""
    kinds = list(LICENSES)
    weights = [w * (1.6 if couples and k == "LMFT" else 1) for k, (_, _, w) in LICENSES.items()]
    kind = rng.choices(kinds, weights)[0]
    states = list(dict.fromkeys(states))
    while len(states) < 3 and rng.random() < (0.45 if remote else 0.25):
        options = [s for s in places.borders[states[0]] if s not in states]
        if not options:
            break
        states.append(one(rng, options))
    licenses = []
    for state in states[:3]:
        name = COUNSELOR.get(state, "LPC") if kind == "LPC" else kind
        prefix = {"Psychologist": "PSY", "MD": "A"}.get(name, "")
        number = (
            f"{prefix}{between(rng, 1000, 999999)}"
            if rng.random() < 0.7
            else (f"{name}-{between(rng, 10, 99)}-{between(rng, 1000, 99999)}")
        )
        licenses.append({"type": name, "number": number, "state": state})
    return licenses, _credentials(rng, licenses[0]["type"], states[0]), LICENSES[kind][1]


def _credentials(rng: random.Random, kind: str, state: str) -> str:
    """The credentials string, e.g. "LMFT", "PhD, LMFT", "LCSW-R", "MA, LPC, NCC"."""
    if kind == "Psychologist":
        return one(rng, ("PhD", "PsyD", "PhD", "PhD, ABPP"))
    if kind == "MD":
        return "MD"
    if kind == "LCSW" and state == "NY" and rng.random() < 0.5:
        kind = "LCSW-R"
    degree = rng.choices(("", "MA, ", "MS, ", "PhD, ", "MSW, "), (55, 20, 10, 8, 7))[0]
    if degree == "MSW, " and not kind.startswith("LCSW"):
        degree = ""
    counselor = kind == "LPC" or kind in COUNSELOR.values()
    extra = ", NCC" if counselor and rng.random() < 0.15 else ""
    return f"{degree}{kind}{extra}"


def _office(rng: random.Random, z: Zip) -> dict:
    """An office at a real ZIP; coordinates only sometimes (the rest get geocoded)."""
    address = f"{between(rng, 1, 9899)} {one(rng, STREETS)}"
    if rng.random() < 0.5:
        address += ", " + one(rng, ("Suite ", "Ste ", "#", "Unit ")) + str(between(rng, 2, 950))
    loc: dict = {"address": address, "city": z.city, "state": z.state, "zip": z.zip}
    if rng.random() < 0.3:
        # Offices are not at the ZIP centroid: jitter ~1 km.
        loc["lat"] = round(z.lat + rng.uniform(-0.01, 0.01), 5)
        loc["lon"] = round(z.lon + rng.uniform(-0.01, 0.01), 5)
    return loc


def _offices(rng: random.Random, places: Places, home: Zip) -> list[dict]:
    """One office, sometimes two in the same metro (which may be across a state line)."""
    zips = [home]
    if rng.random() < 0.18:
        group = places.groups[home.group]
        if rng.random() < 0.5:  # prefer the far side of a state line when the metro has one
            group = [i for i in group if places.zips[i].state != home.state] or group
        other = places.zips[one(rng, group)]
        if other.zip != home.zip:
            zips.append(other)
    return [_office(rng, z) for z in zips]


def _phone(rng: random.Random, area: str) -> str:
    """A fictional 555-01xx number in one of the formats people type."""
    area = area or "202"
    line = f"01{between(rng, 0, 99):02d}"
    fmt = one(
        rng,
        (
            "({a}) 555-{n}",
            "{a}-555-{n}",
            "{a}.555.{n}",
            "+1 {a} 555 {n}",
            "{a}555{n}",
            "+1 ({a}) 555-{n}",
            "({a}) 555-{n}",
        ),
    )
    return fmt.format(a=area, n=line)


def _video_url(rng: random.Random) -> str:
    token = "".join(
        rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", k=11)
    )
    return one(
        rng,
        (
            f"https://www.youtube.com/watch?v={token}",
            f"https://youtu.be/{token}",
            f"https://vimeo.com/{between(rng, 10_000_000, 999_999_999)}",
            f"https://videos.example.org/intro/{token.lower().strip('-_')}.mp4",
        ),
    )


def _insurance(rng: random.Random, state: str) -> list[str]:
    if rng.random() < 0.35:
        return one(rng, ([], ["Out of network"]))
    carriers = [c for c in CARRIERS if c not in ("Medicaid", "Medicare")]
    if state in KAISER_STATES:
        carriers.append("Kaiser Permanente")
    out = some(rng, carriers, between(rng, 1, 5))
    out += [c for c, p in (("Medicaid", 0.2), ("Medicare", 0.12)) if rng.random() < p]
    return out


def _languages(rng: random.Random) -> list[str]:
    out = ["English"]
    if rng.random() < 0.15:
        out.append("Spanish")
    if rng.random() < 0.06:
        out.append(one(rng, LANGUAGES))
    return out


def _terms(rng: random.Random, tax: Taxonomy, kind: str, slugs: list[str]) -> list[str]:
    """Slugs written out as a therapist would."""
    return [render_term(rng, tax.terms[kind][s], s in SYNONYM_HEAVY) for s in slugs]


def _client_types(
    rng: random.Random, tax: Taxonomy, couples: bool, specs: list[str], implied: bool
) -> list[str]:
    """Client types; couples therapists list "couples" unless a specialty already implies it."""
    family_work = any(s in specs for s in ("parenting", "family-conflict", "blended-families"))
    odds = {
        "individuals": 0.85 if couples else 0.97,
        "couples": (0.92 if implied else 1.0) if couples else 0.0,
        "families": 0.35 if family_work else 0.1,
        "children": 0.08,
        "teens": 0.18,
        "groups": 0.06,
        "older-adults": 0.08,
    }
    slugs = [s for s, p in odds.items() if rng.random() < p and s in tax.terms["client_type"]]
    return slugs or ["individuals"]


def _formats(rng: random.Random, remote: bool) -> tuple[list[str], list[str]]:
    """Session formats: (slugs, as written: the contract's slugs, now and then "Telehealth")."""
    if remote:
        slugs = ["video"] + (["phone"] if rng.random() < 0.3 else [])
    else:
        extra = (("video", 0.66), ("phone", 0.2))
        slugs = ["in_person"] + [s for s, p in extra if rng.random() < p]
    variants = {
        "in_person": ("In-person", "In office"),
        "video": ("Telehealth", "Online", "Video"),
        "phone": ("Telephone", "Phone"),
    }
    return slugs, [one(rng, variants[s]) if rng.random() < 0.1 else s for s in slugs]


def make_profile(seed: int, k: int) -> dict:
    """Profile k of a seed; depends on nothing but (seed, k) and the bundled data."""
    rng = random.Random(f"{seed}:{k}")
    places, vocab = zip_places(), vocabulary()
    tax = vocab.taxonomy
    couples, remote = rng.random() < 0.55, rng.random() < 0.12
    home = places.zips[rng.choices(range(len(places.zips)), cum_weights=places.cum_weights)[0]]
    locations = [] if remote else _offices(rng, places, home)
    first, name, pronouns = _person(rng)
    office_states = [loc["state"] for loc in locations] or [home.state]
    licenses, credentials, role = _licenses(rng, places, couples, office_states, remote)
    specs = choose_specialties(rng, vocab, couples)
    implied = any(s in vocab.couples_terms for s in specs)
    client_types = _client_types(rng, tax, couples, specs, implied)
    mods = choose_modalities(rng, vocab, couples, specs, "children" in client_types)
    # "couples" stays literal; other types are sometimes written as a label or synonym.
    client_types = [
        s
        if s == "couples" or rng.random() > 0.12
        else render_term(rng, tax.terms["client_type"][s])
        for s in client_types
    ]
    if "sex-therapy" in specs and rng.random() < 0.3:
        credentials += ", CST"  # AASECT-certified sex therapist
    if credentials.startswith(("PhD", "PsyD", "MD")) and rng.random() < 0.5:
        name = "Dr. " + name
    states = sorted({lic["state"] for lic in licenses})
    format_slugs, formats = _formats(rng, remote)
    p: dict = {"id": f"sample-{seed}-{k + 1:06d}", "name": name, "credentials": credentials}
    if pronouns:
        p["pronouns"] = pronouns
    if rng.random() < 0.8:
        p["photo_url"] = f"https://images.example.org/headshots/{rng.getrandbits(40):010x}.jpg"
    p["licenses"] = licenses
    p["specialties"] = _terms(rng, tax, "specialty", specs)
    p["modalities"] = _terms(rng, tax, "modality", mods)
    if rng.random() < 0.1:  # one term the taxonomy doesn't know, kept as a tag by the ingest
        field, kind = (
            ("specialties", "specialty") if rng.random() < 0.75 else ("modalities", "modality")
        )
        p[field].append(one(rng, UNKNOWN[kind]))
    p["client_types"], p["session_formats"] = client_types, formats
    if rng.random() < 0.25:
        p["video_url"] = _video_url(rng)
    p["telehealth_states"] = states if "video" in format_slugs else []
    _practical_fit(rng, p, couples, home.state)
    p["locations"] = locations
    _contact(rng, p, first, name, home, couples)
    write_bio(
        rng,
        p,
        first=first,
        role=role,
        home=home,
        couples=couples,
        specs=specs,
        mod_slugs=mods,
        remote=remote,
        states=states,
    )
    p["updated_at"] = (date(2024, 1, 1) + timedelta(days=rng.randrange(1035))).isoformat()
    return p


def _practical_fit(rng: random.Random, p: dict, couples: bool, state: str) -> None:
    """Languages, insurance, fees (USD; couples sessions cost a little more) and availability."""
    p["languages"], p["insurance"] = _languages(rng), _insurance(rng, state)
    fee_min = rng.randrange(90, 205, 5) + (20 if couples else 0)
    p["fee_min"], p["fee_max"] = fee_min, fee_min + one(rng, (0, 20, 30, 50, 60, 80, 100))
    p["sliding_scale"] = rng.random() < 0.3
    p["accepting_new_clients"] = rng.random() < 0.75
    p["free_consultation"] = rng.random() < 0.55


def _contact(rng: random.Random, p: dict, first: str, name: str, home: Zip, couples: bool) -> None:
    """Email, phone and website on reserved example domains (RFC 2606)."""
    first_s, last_s = slugify(first), slugify(name.split()[-1])
    practice = one(
        rng,
        (
            f"{last_s}-therapy",
            f"{first_s}-{last_s}-counseling",
            f"{slugify(home.city)}-{'couples-therapy' if couples else 'counseling'}",
            f"{first_s}{last_s}",
        ),
    )
    domain = one(rng, ("example.com", "example.org", "example.net"))
    if rng.random() < 0.9:
        local = one(rng, (f"{first_s}.{last_s}", f"{first_s[0]}{last_s}", "hello", "info"))
        host = f"{practice}.{domain}" if local in ("hello", "info") else domain
        p["email"] = f"{local}@{host}"
    if rng.random() < 0.92:
        p["phone"] = _phone(rng, home.area_code)
    if rng.random() < 0.65:
        p["website"] = f"https://www.{practice}.{domain}/"
