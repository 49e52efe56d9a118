"""Realistic synthetic therapist profiles in the input format (`flask sample`).

Deterministic: profile k of seed s comes from its own `random.Random(f"{s}:{k}")`, so the same
(count, seed) gives byte-identical output and profile k is the same whatever the count. Offices
sit on real US ZIP codes (the `zipcodes` package), weighted toward big metros; specialties and
modalities are written the way therapists write them, synonyms and unknown terms included.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple, TypeVar

import zipcodes

from .taxonomy import Taxonomy, Term, load_taxonomy
from .textnorm import slugify as _slugify

T = TypeVar("T")
slugify = lru_cache(maxsize=4096)(_slugify)  # names and cities repeat a lot


# Faster than Random.choice/randint/sample (which draw bits in a loop) and just as deterministic.
def _one(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


def _int(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


def _some(rng: random.Random, seq: Sequence[T], k: int) -> list[T]:
    """k distinct items in random order."""
    pool, out = list(seq), []
    for _ in range(min(k, len(pool))):
        out.append(pool.pop(int(rng.random() * len(pool))))
    return out


# --- places ------------------------------------------------------------------------------------

# ~45 big metros by their core counties ("ST:County,County"); a metro may cross a state line,
# which is how two-office therapists end up in NYC + north NJ or Boston + Providence.
_METROS = """NY:New York,Kings,Queens,Bronx,Richmond,Westchester,Nassau;NJ:Hudson,Bergen,Essex
CA:Los Angeles,Orange|IL:Cook,DuPage,Lake;IN:Lake|TX:Dallas,Tarrant,Collin,Denton
TX:Harris,Fort Bend,Montgomery
DC:District of Columbia;MD:Montgomery,Prince George's;VA:Arlington,Fairfax,Alexandria
PA:Philadelphia,Montgomery,Delaware;NJ:Camden;DE:New Castle|FL:Miami-Dade,Broward,Palm Beach
GA:Fulton,DeKalb,Cobb,Gwinnett|MA:Suffolk,Middlesex,Norfolk;RI:Providence|AZ:Maricopa
CA:San Francisco,Alameda,San Mateo,Santa Clara,Contra Costa|CA:Riverside,San Bernardino
MI:Wayne,Oakland,Macomb,Washtenaw|WA:King,Snohomish,Pierce|MN:Hennepin,Ramsey|CA:San Diego
FL:Hillsborough,Pinellas|CO:Denver,Arapahoe,Jefferson,Boulder|MD:Baltimore,Howard,Anne Arundel
MO:St. Louis;IL:St. Clair,Madison|FL:Orange,Seminole|NC:Mecklenburg;SC:York|TX:Bexar
OR:Multnomah,Washington,Clackamas;WA:Clark|CA:Sacramento,Placer|PA:Allegheny|TX:Travis,Williamson
NV:Clark|OH:Hamilton;KY:Kenton,Boone|MO:Jackson,Clay;KS:Johnson,Wyandotte|OH:Franklin
IN:Marion,Hamilton|OH:Cuyahoga|TN:Davidson,Williamson|VA:Virginia Beach,Norfolk,Chesapeake
FL:Duval|WI:Milwaukee,Waukesha|NC:Wake,Durham,Orange|UT:Salt Lake,Utah|LA:Orleans,Jefferson
OK:Oklahoma|KY:Jefferson;IN:Clark,Floyd|NM:Bernalillo|HI:Honolulu"""
_METRO_WEIGHT = 6  # a metro ZIP is this many times likelier than a small-town one

# Bordering states (one direction listed; made symmetric when parsed).
_BORDERS = """AL:FL GA MS TN|AZ:CA CO NM NV UT|AR:LA MO MS OK TN TX|CA:NV OR|CO:KS NE NM OK UT WY
CT:MA NY RI|DE:MD NJ PA|DC:MD VA|FL:GA|GA:NC SC TN|ID:MT NV OR UT WA WY|IL:IA IN KY MO WI
IN:KY MI OH|IA:MN MO NE SD WI|KS:MO NE OK|KY:MO OH TN VA WV|LA:MS TX|ME:NH|MD:PA VA WV
MA:NH NY RI VT|MI:OH WI|MN:ND SD WI|MS:TN|MO:NE OK TN|MT:ND SD WY|NE:SD WY|NV:OR UT|NH:VT
NJ:NY PA|NM:OK TX UT|NY:PA VT|NC:SC TN VA|ND:SD|OH:PA WV|OK:TX|OR:WA|PA:WV|SD:WY|TN:VA
UT:WY|VA:WV"""

_STATES = frozenset((
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
))


class _Zip(NamedTuple):
    """One ZIP code's place: what an office address and a phone area code need."""

    zip: str
    city: str
    state: str
    lat: float
    lon: float
    area_code: str
    group: tuple[str, str] | int  # metro index, else (state, county): where a 2nd office goes


@dataclass(frozen=True)
class _Places:
    """The ZIPs to draw from (cumulative weights for bisect), by group, and state borders."""

    zips: list[_Zip]
    cum_weights: list[int]
    groups: dict[tuple[str, str] | int, list[int]]
    borders: dict[str, list[str]]


def _county_key(state: str, county: str) -> tuple[str, str]:
    # "Baltimore city" / "Baltimore County" / "Orleans Parish" all mean the same place here.
    name = county.lower()
    for suffix in (" county", " parish", " city"):
        name = name.removesuffix(suffix)
    return state, name


@lru_cache(maxsize=1)
def _places() -> _Places:
    """Active STANDARD ZIPs of the 50 states + DC, with metro weights; built once per process."""
    metro_of: dict[tuple[str, str], int] = {}
    for i, metro in enumerate(_METROS.replace("\n", "|").split("|")):
        for part in metro.split(";"):
            state, counties = part.split(":")
            for county in counties.split(","):
                metro_of[(state, county.lower())] = i
    zips: list[_Zip] = []
    cum: list[int] = []
    groups: dict[tuple[str, str] | int, list[int]] = {}
    total = 0
    for rec in sorted(zipcodes.list_all(), key=lambda r: r["zip_code"]):
        if rec["zip_code_type"] != "STANDARD" or not rec["active"] or rec["state"] not in _STATES:
            continue
        key = _county_key(rec["state"], rec["county"])
        group = metro_of.get(key, key)
        groups.setdefault(group, []).append(len(zips))
        codes = rec["area_codes"]
        zips.append(_Zip(rec["zip_code"], rec["city"], rec["state"], float(rec["lat"]),
                         float(rec["long"]), codes[0] if codes else "", group))
        total += _METRO_WEIGHT if isinstance(group, int) else 1
        cum.append(total)
    borders: dict[str, list[str]] = {s: [] for s in _STATES}
    for line in _BORDERS.replace("\n", "|").split("|"):
        state, others = line.split(":")
        for other in others.split():
            borders[state].append(other)
            borders[other].append(state)
    return _Places(zips, cum, groups, {s: sorted(v) for s, v in borders.items()})


# --- people and words --------------------------------------------------------------------------

_FIRST = {
    "she": "Maria María Sarah Emily Jessica Ashley Aisha Fatima Priya Mei Yuki Zoë Chloé Hannah "
    "Rachel Leah Grace Olivia Sofía Camila Guadalupe Lucía Ngozi Amara Keisha Tamika Nicole "
    "Lauren Megan Anna Ingrid Siobhán Aoife Noa Yasmin Linh Thảo Hye-jin Svetlana Renée Joëlle "
    "Beatriz Ana_María Mary_Beth Naomi Kateřina",
    "he": "José Juan Carlos Luis Michael David James Robert Daniel Matthew Andrew Jamal DeShawn "
    "Malik Ahmed Omar Raj Arjun Wei Hiroshi Minh Đức Sean Seán Liam Noah Ethan Benjamin Samuel "
    "Tomás Andrés François Jürgen Björn Kwame Chidi Ivan Dmitri Mohammed Eli Isaac Mateo",
    "they": "Alex Jordan Taylor Sam Riley Casey Morgan Quinn Avery Jamie Robin Rowan Skyler Kai "
    "Ash River Emerson Dakota Sasha Noor",
}
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "García", "Martinez", "Martínez",
    "Rodríguez", "Hernández", "López", "González", "Pérez", "Núñez", "Muñoz", "Peña", "Nguyễn",
    "Nguyen", "Trần", "Lê", "Phạm", "Kim", "Park", "Lee", "Chen", "Wang", "Li", "Zhang", "Liu",
    "Huang", "Patel", "Shah", "Singh", "Gupta", "Reddy", "Khan", "Ali", "Hassan", "O'Brien",
    "O'Connor", "McCarthy", "Murphy", "Sullivan", "Brontë-Smith", "Schröder", "Müller", "Weiß",
    "Søndergaard", "Johansson", "Kowalski", "Nowak", "Ivanova", "Petrov", "Cohen", "Levy",
    "Goldberg", "Friedman", "Rosenberg", "Okafor", "Adeyemi", "Mensah", "Diallo", "Washington",
    "Jackson", "Robinson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young",
    "Allen", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
    "Mitchell", "Roberts", "Carter", "Evans", "Turner", "Torres", "Rivera", "Flores", "Ramírez",
    "Sánchez", "Castillo", "Tanaka", "Sato", "Yamamoto", "Dubois", "Lefèvre", "Bergström",
    "da Silva", "Gonçalves", "D'Angelo", "St. James", "van der Berg", "MacLeod", "Ó Súilleabháin",
    "Begay", "Yazzie", "Kealoha",
)
_PRONOUNS = {"she": ("she/her", "she/they"), "he": ("he/him", "he/they"), "they": ("they/them",)}
_STREETS = (
    "Main St", "Oak Ave", "Maple St", "Park Ave", "Broadway", "Elm St", "Washington Blvd",
    "Lake Shore Dr", "Cedar Ln", "Pine St", "Market St", "Highland Ave", "Church St", "Mill Rd",
    "Sunset Blvd", "Peachtree St NE", "Commonwealth Ave", "Martin Luther King Jr Blvd",
    "El Camino Real", "Colfax Ave", "W 57th St", "E 14th St", "University Ave", "Grand Ave",
    "Central Ave", "N Michigan Ave", "S Lamar Blvd", "Wilshire Blvd", "Court St", "Franklin St",
    "2nd Ave", "3rd St", "Old Country Rd", "Riverside Dr", "College Ave",
)
_LANGUAGES = (
    "Mandarin", "Cantonese", "Vietnamese", "Korean", "Tagalog", "French", "Haitian Creole",
    "Portuguese", "Russian", "Arabic", "Hindi", "German", "Hebrew", "American Sign Language",
    "Polish", "Farsi", "Japanese", "Italian", "Urdu",
)
_CARRIERS = (
    "Aetna", "Cigna", "Blue Cross Blue Shield", "UnitedHealthcare", "Optum", "Anthem", "Humana",
    "Magellan", "Tricare", "Oscar", "Carelon", "Medicaid", "Medicare",
)
_KAISER_STATES = {"CA", "CO", "GA", "HI", "MD", "OR", "VA", "WA", "DC"}
_UNKNOWN = {
    "specialty": (
        "equine-assisted", "neurodivergent couples", "financial therapy", "climate anxiety",
        "highly sensitive people", "tech industry burnout", "psychedelic integration",
        "long-distance relationships", "sports performance", "expat life", "musicians and artists",
    ),
    "modality": (
        "ecotherapy", "ketamine-assisted", "walk and talk", "Enneagram", "equine-assisted",
    ),
}
# License type -> (how the credential is written, the role a bio names, weight).
_LICENSES = {
    "LMFT": ("LMFT", "licensed marriage and family therapist", 30),
    "LCSW": ("LCSW", "licensed clinical social worker", 25),
    "LPC": ("LPC", "licensed professional counselor", 25),
    "Psychologist": ("PhD", "psychologist", 15),
    "MD": ("MD", "psychiatrist", 3),
}
# What a counselor's license is called varies by state.
_COUNSELOR = {"CA": "LPCC", "IL": "LCPC", "MD": "LCPC", "NY": "LMHC", "MA": "LMHC", "WA": "LMHC",
              "FL": "LMHC"}


def _words(text: str) -> list[str]:
    return [w.replace("_", " ") for w in text.split()]


_FIRST_NAMES = {k: _words(v) for k, v in _FIRST.items()}


def _weights(spec: str) -> dict[str, float]:
    """ "a:2 b:0.5" -> {"a": 2.0, "b": 0.5} """
    return {slug: float(w) for slug, w in (item.split(":") for item in spec.split())}


def _pool(weights: dict[str, float], terms: dict[str, Term]) -> tuple[list[str], list[float]]:
    """The weighted slugs that exist in the taxonomy (the data may drop a term)."""
    slugs = [s for s in weights if s in terms]
    return slugs, [weights[s] for s in slugs]


# --- what therapists list ----------------------------------------------------------------------

# Relative weights when picking terms; a slug not listed gets the default.
_GENERAL_SPECIALTIES = _weights(
    "anxiety:10 depression:9 trauma:8 relationship-issues:5 self-esteem:5 stress:5 "
    "life-transitions:5 grief:4 attachment:3 adhd:3 addiction:3 parenting:2.5 communication:2 "
    "family-conflict:2 divorce:2 multicultural:2 womens-issues:2 career:2 codependency:2 "
    "mens-issues:1.5 ocd:1.5 eating-disorders:1.5 perinatal:1.5 spirituality:1.5 "
    "chronic-illness:1.5 anger-management:1.5 neurodiversity:1.2 sexual-abuse:1.2 "
    "domestic-violence:1.2 psychosis:0.3 bipolar:0.8 self-harm:0.8"
)
_COUPLES_SPECIALTIES = _weights(
    "communication:8 infidelity:6 intimacy:5 conflict-resolution:5 trust-issues:4 "
    "sex-therapy:4 attachment:4 divorce:3 blended-families:2 parenting:2 codependency:1.5"
)
_GENERAL_MODALITIES = _weights(
    "cbt:10 mindfulness:5 ifs:5 psychodynamic:5 person-centered:4 act:4 emdr:4 integrative:3 "
    "dbt:3 somatic:3 sfbt:3 attachment-based:3 narrative:2 motivational-interviewing:2 "
    "family-systems:2 compassion-focused:1 existential:1 psychoanalytic:1 art-therapy:1 "
    "play-therapy:4 exposure:1 tf-cbt:1 structural-family:0.7 bowen:0.7"
)
_COUPLES_MODALITIES = _weights(
    "eft:9 gottman:8 imago:2 pact:1.5 developmental-model:1.2 rlt:1.2 sex-therapy:0.5"
)
# Terms a profile sets by its own odds rather than by weighted picking.
_FLAGGED = {"polyamory", "kink", "lgbtq", "gender-identity"}
# Terms therapists write in a synonym as often as by the label ("ENM", "marriage counseling").
_SYNONYM_HEAVY = {
    "polyamory", "kink", "couples-counseling", "gottman", "eft", "cbt", "dbt", "lgbtq",
}


@dataclass(frozen=True)
class _Vocab:
    """The taxonomy's terms arranged for picking."""

    taxonomy: Taxonomy
    couples_terms: tuple[str, ...]  # specialties implying couples, e.g. premarital
    general_specialties: tuple[list[str], list[float]]
    couples_specialties: tuple[list[str], list[float]]
    general_modalities: tuple[list[str], list[float]]
    couples_modalities: tuple[list[str], list[float]]


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    """Pick pools from the bundled taxonomy, so new or renamed terms flow into the sample."""
    tax = load_taxonomy()
    specs = tax.terms["specialty"]
    couples_terms = tuple(s for s, t in specs.items() if "couples" in t.implies)
    skip = set(couples_terms) | _FLAGGED
    general = [s for s in specs if s not in skip]
    couples_mods = [s for s, t in tax.terms["modality"].items() if t.group == "couples"]
    other_mods = [s for s in tax.terms["modality"] if s not in couples_mods]
    return _Vocab(
        tax,
        couples_terms,
        (general, [_GENERAL_SPECIALTIES.get(s, 0.8) for s in general]),
        _pool(_COUPLES_SPECIALTIES, specs),
        (other_mods, [_GENERAL_MODALITIES.get(s, 0.5) for s in other_mods]),
        _pool(_COUPLES_MODALITIES, tax.terms["modality"]),
    )


def _pick(rng: random.Random, pool: tuple[list[str], list[float]], k: int,
          boost: dict[str, float] | None = None) -> list[str]:
    """Up to k distinct slugs drawn by weight (boost multiplies some weights)."""
    slugs, weights = pool
    if not slugs:
        return []
    if boost:
        weights = [w * boost.get(s, 1.0) for s, w in zip(slugs, weights, strict=True)]
    cum = list(accumulate(weights))
    total, last = cum[-1], len(slugs) - 1
    chosen: list[str] = []
    for _ in range(k * 4):
        slug = slugs[min(bisect(cum, rng.random() * total), last)]
        if slug not in chosen:
            chosen.append(slug)
            if len(chosen) == k:
                break
    return chosen


def _render(rng: random.Random, term: Term, heavy: bool = False) -> str:
    """A term as a therapist would type it: mostly the label, often a common synonym."""
    if not term.synonyms or rng.random() < (0.4 if heavy else 0.7):
        return term.label
    # The first synonyms are the common spellings; the tail holds rarer ones ("Stan Tatkin").
    return _one(rng, term.synonyms[:4])


@lru_cache(maxsize=512)
def _prose(text: str) -> str:
    """A label as it reads mid-sentence: "Self-Esteem" -> "self-esteem"; "LGBTQ+" stays."""
    def title(word: str) -> bool:
        return all(p[:1].isupper() and (p[1:].islower() or not p[1:]) for p in word.split("-"))
    return " ".join(w.lower() if title(w) else w for w in text.split())


def _spoken(term: Term, written: str) -> str:
    """How a bio names a term: the label, or the acronym ("CBT", "EFT") the therapist used.

    Other written variants ("EMDR-trained", "emotionally focused") don't fit "I use ..." lines.
    """
    return written if written.replace("-", "").isupper() else term.label


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _choose_specialties(rng: random.Random, v: _Vocab, couples: bool) -> list[str]:
    """Specialty slugs: couples work first for couples therapists, then the usual mix."""
    out: list[str] = []
    if couples:
        odds = {"couples-counseling": 0.9, "premarital": 0.25, "discernment-counseling": 0.1}
        out += [s for s in v.couples_terms if rng.random() < odds.get(s, 0.06)]
        out += _pick(rng, v.couples_specialties, _int(rng, 1, 3))
    poly = rng.random() < (0.15 if couples else 0.04)
    kink = rng.random() < (0.45 if poly else 0.03)
    lgbtq = rng.random() < (0.7 if poly or kink else 0.2)
    trans = rng.random() < (0.45 if lgbtq else 0.01)
    out += [s for s, on in (("polyamory", poly), ("kink", kink), ("lgbtq", lgbtq),
                            ("gender-identity", trans)) if on]
    extra = _pick(rng, v.general_specialties, _int(rng, 1, 4) if couples else _int(rng, 2, 7))
    return list(dict.fromkeys(out + extra))[:10]


def _choose_modalities(rng: random.Random, v: _Vocab, couples: bool, specs: list[str],
                       children: bool) -> list[str]:
    """Modality slugs, nudged by the specialties (EMDR with trauma, ERP with OCD, ...)."""
    out = _pick(rng, v.couples_modalities, _int(rng, 1, 2)) if couples else []
    trauma = "trauma" in specs
    boost = {"emdr": 3.0 if trauma else 1.0, "tf-cbt": 2.0 if trauma else 1.0,
             "exposure": 6.0 if "ocd" in specs else 1.0, "play-therapy": 1.0 if children else 0.0}
    return out + _pick(rng, v.general_modalities, _int(rng, 0 if couples else 1, 3), boost)


# --- bios --------------------------------------------------------------------------------------

_OPENINGS = (
    "I'm {first}, a {role} in {city}, {state}.",
    "Welcome! I am a {role} based in {city}, and I have been in practice for {years} years.",
    "As a {role} in {city}, I help people who feel stuck find their footing again.",
    "Hi, I'm {first}. I have worked as a {role} for more than {years} years, most of them here "
    "in {city}.",
)
_REMOTE_OPENINGS = (
    "I'm {first}, a {role} offering online therapy to clients in {states}.",
    "Welcome! I am a {role}, and I see clients by secure video across {states}.",
)
_SPECIALTY_LINES = (
    "Most of my work focuses on {specs}.",
    "People often come to me for help with {specs}.",
    "My areas of focus include {specs}.",
    "I have particular experience with {spec1}, and I also see many clients dealing with {rest}.",
)
_COUPLES_LINES = (
    "I work with couples who want to communicate better, rebuild trust, or decide what comes next.",
    "In couples sessions I help partners slow down painful cycles and understand what each of "
    "them needs.",
    "Whether you are newly together, engaged, or married for decades, couples therapy can help "
    "you reconnect.",
    "I welcome couples of all kinds: married, dating, blended, long-distance, straight and queer.",
)
_FLAG_LINES = {
    "polyamory": (
        "I am affirming of polyamory and other forms of ethical non-monogamy, and I see partners "
        "and polycules as well as individuals.",
        "Clients in open relationships or other consensually non-monogamous structures don't have "
        "to explain or defend them here.",
    ),
    "kink": (
        "I am a kink-aware professional: BDSM and other consensual kinks are not treated as "
        "problems in my office.",
        "As a kink-affirming therapist, I see consensual kink as a healthy part of many lives.",
    ),
    "lgbtq": (
        "I am an LGBTQ+ affirming therapist, and queer and trans clients are warmly welcome.",
        "My practice is a safe space for LGBTQ+ people and their relationships.",
    ),
}
_MODALITY_LINES = (
    "My approach draws on {mods}.",
    "I am trained in {mods}, and I adapt them to each client rather than following a script.",
    "I use {mods} to help clients notice patterns and try something new.",
)
# Bios of some therapists who do NOT see couples say so: a trap for naive text ranking.
_TRAPS = (
    "Please note that I do not work with couples; my practice is for individuals only.",
    "I do not work with couples or families at this time, but I am happy to refer you.",
)
_FILLERS = (
    "Therapy is a collaborative process, and I see my role as a steady, curious guide.",
    "I believe everyone deserves a space where they feel heard without judgment.",
    "Together we will look at the patterns that keep you stuck and practice new ways of "
    "responding.",
    "My style is warm, direct and sometimes humorous.",
    "Change is possible, even when it doesn't feel that way right now.",
    "I value honesty, cultural humility and respect for the expertise you bring about your life.",
    "Before becoming a therapist I worked in {career}, which shaped how I understand stress.",
    "Outside the office you will find me {hobby}.",
    "We will set goals together and check in regularly on whether therapy is helping.",
    "You don't need to have everything figured out before reaching out.",
    "I pay close attention to how identity, culture and family history shape the way we connect.",
    "Sessions are a place to slow down, get curious and be honest with yourself.",
    "I completed my clinical training at {school} and keep learning through advanced workshops.",
    "Many clients tell me they appreciate my calm, practical style.",
    "I have lived in {city} for many years and know the pressures of life here.",
    "I work from a trauma-informed, strengths-based perspective.",
    "Small, consistent changes often make the biggest difference.",
    "I tailor each session to your needs rather than following a one-size-fits-all plan.",
    "I often suggest simple exercises to try between sessions.",
    "Feeling understood is often the first step toward feeling better.",
)
_CLOSINGS = (
    "Reaching out is a brave first step, and I would be glad to hear from you.",
    "If this sounds like a fit, I invite you to get in touch.",
    "I look forward to hearing from you.",
    "Feel free to call or email with any questions.",
)
_CAREERS = ("teaching", "nursing", "the tech industry", "journalism", "the military", "law")
_HOBBIES = ("hiking with my dog", "in my garden", "at a climbing gym", "cooking for friends",
            "reading novels", "on my bike")
_SCHOOLS = ("Columbia University", "the University of Michigan", "Pepperdine University",
            "Smith College", "the University of Texas", "Northwestern University")
_MAX_WORDS = 195  # 80-200 words: leave room for the few words an HTML link adds


def _bio(rng: random.Random, f: dict, trap: bool) -> str:
    """80-200 words of first-person prose that mentions the profile's terms and place."""
    fill = {"career": _one(rng, _CAREERS), "hobby": _one(rng, _HOBBIES),
            "school": _one(rng, _SCHOOLS), **f}
    core = [_one(rng, _REMOTE_OPENINGS if f["remote"] else _OPENINGS)]
    core.append(_specialty_line(rng, f["spec_texts"]))
    if trap:
        core.append(_one(rng, _TRAPS))
    if f["couples"]:
        core += _some(rng, _COUPLES_LINES, 2 if len(f["flags"]) < 2 else 1)
    core += [_one(rng, _FLAG_LINES[flag]) for flag in f["flags"]]
    if f["mod_texts"]:
        core.append(_one(rng, _MODALITY_LINES).replace("{mods}", _join(f["mod_texts"][:3])))
    tail = [s.format_map(fill) for s in _practical(f) + [_one(rng, _CLOSINGS)]]
    core = [s.format_map(fill) for s in core]
    count = sum(len(s.split()) for s in core + tail)
    target = _int(rng, 85, 185)
    pool = list(_FILLERS)
    while count < target and pool:  # draw fillers one at a time: usually only a few are needed
        filler = pool.pop(int(rng.random() * len(pool))).format_map(fill)
        n = len(filler.split())
        if count + n <= _MAX_WORDS:
            core.append(filler)
            count += n
    while count > _MAX_WORDS and len(tail) > 1:
        count -= len(tail.pop(0).split())
    return " ".join(core + tail)


def _specialty_line(rng: random.Random, texts: list[str]) -> str:
    words = texts[:4]
    line = _one(rng, _SPECIALTY_LINES if len(words) > 1 else _SPECIALTY_LINES[:3])
    # Braces inside a therapist's own term must not reach str.format_map.
    words = [w.replace("{", "(").replace("}", ")") for w in words]
    return line.replace("{specs}", _join(words)).replace("{spec1}", words[0]).replace(
        "{rest}", _join(words[1:]) if len(words) > 1 else "")


def _practical(f: dict) -> list[str]:
    out = []
    if "video" in f["formats"] and not f["remote"]:
        out.append("I offer video sessions as well as in-person appointments in {city}.")
    if f["accepting"]:
        out.append("I am currently accepting new clients.")
    else:
        out.append("My practice is currently full, but you are welcome to join my waitlist.")
    if f["free_consultation"]:
        out.append("I offer a free 15-minute consultation so we can see whether we are a good fit.")
    if f["sliding_scale"]:
        out.append("A limited number of sliding-scale spots are available.")
    return out


def _htmlize(bio: str, strong: str, url: str) -> str:
    """Simple HTML as some sources export it: paragraphs, emphasis, a link."""
    sentences = bio.split(". ")
    half = max(1, len(sentences) // 2)
    first, second = ". ".join(sentences[:half]) + ".", ". ".join(sentences[half:])
    first = first.replace(strong, f"<strong>{strong}</strong>", 1)
    return (f"<p>{first}</p>\n<p><em>{second}</em></p>\n"
            f'<p>More on <a href="{url}">my website</a>.</p>')


# --- one profile -------------------------------------------------------------------------------


def _person(rng: random.Random) -> tuple[str, str, str | None]:
    """(first name, full name, pronouns or None)."""
    kind = rng.choices(("she", "he", "they"), (62, 32, 6))[0]
    first = _one(rng, _FIRST_NAMES[kind])
    last = _one(rng, _LAST)
    if rng.random() < 0.05:
        last = f"{last}-{_one(rng, _LAST)}"
    middle = f" {_one(rng, 'ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.1 else ""
    pronouns = _one(rng, _PRONOUNS[kind]) if rng.random() < 0.35 else None
    return first, f"{first}{middle} {last}", pronouns


def _licenses(rng: random.Random, places: _Places, couples: bool, states: list[str],
              remote: bool) -> tuple[list[dict], str, str]:
    """1-3 licenses: office states, sometimes neighbours. (licenses, credentials, role)"""
    kinds = list(_LICENSES)
    weights = [w * (1.6 if couples and k == "LMFT" else 1) for k, (_, _, w) in _LICENSES.items()]
    kind = rng.choices(kinds, weights)[0]
    states = list(dict.fromkeys(states))
    while len(states) < 3 and rng.random() < (0.45 if remote else 0.25):
        options = [s for s in places.borders[states[0]] if s not in states]
        if not options:
            break
        states.append(_one(rng, options))
    licenses = []
    for state in states[:3]:
        name = _COUNSELOR.get(state, "LPC") if kind == "LPC" else kind
        prefix = {"Psychologist": "PSY", "MD": "A"}.get(name, "")
        number = f"{prefix}{_int(rng, 1000, 999999)}" if rng.random() < 0.7 else (
            f"{name}-{_int(rng, 10, 99)}-{_int(rng, 1000, 99999)}")
        licenses.append({"type": name, "number": number, "state": state})
    return licenses, _credentials(rng, licenses[0]["type"], states[0]), _LICENSES[kind][1]


def _credentials(rng: random.Random, kind: str, state: str) -> str:
    """The credentials string, e.g. "LMFT", "PhD, LMFT", "LCSW-R", "MA, LPC, NCC"."""
    if kind == "Psychologist":
        return _one(rng, ("PhD", "PsyD", "PhD", "PhD, ABPP"))
    if kind == "MD":
        return "MD"
    if kind == "LCSW" and state == "NY" and rng.random() < 0.5:
        kind = "LCSW-R"
    degree = rng.choices(("", "MA, ", "MS, ", "PhD, ", "MSW, "), (55, 20, 10, 8, 7))[0]
    if degree == "MSW, " and not kind.startswith("LCSW"):
        degree = ""
    counselor = kind == "LPC" or kind in _COUNSELOR.values()
    extra = ", NCC" if counselor and rng.random() < 0.15 else ""
    return f"{degree}{kind}{extra}"


def _office(rng: random.Random, z: _Zip) -> dict:
    """An office at a real ZIP; coordinates only sometimes (the rest get geocoded)."""
    address = f"{_int(rng, 1, 9899)} {_one(rng, _STREETS)}"
    if rng.random() < 0.5:
        address += ", " + _one(rng, ("Suite ", "Ste ", "#", "Unit ")) + str(_int(rng, 2, 950))
    loc: dict = {"address": address, "city": z.city, "state": z.state, "zip": z.zip}
    if rng.random() < 0.3:
        # Offices are not at the ZIP centroid: jitter ~1 km.
        loc["lat"] = round(z.lat + rng.uniform(-0.01, 0.01), 5)
        loc["lon"] = round(z.lon + rng.uniform(-0.01, 0.01), 5)
    return loc


def _offices(rng: random.Random, places: _Places, home: _Zip) -> list[dict]:
    """One office, sometimes two in the same metro (which may be across a state line)."""
    zips = [home]
    if rng.random() < 0.18:
        group = places.groups[home.group]
        if rng.random() < 0.5:  # prefer the far side of a state line when the metro has one
            group = [i for i in group if places.zips[i].state != home.state] or group
        other = places.zips[_one(rng, group)]
        if other.zip != home.zip:
            zips.append(other)
    return [_office(rng, z) for z in zips]


def _phone(rng: random.Random, area: str) -> str:
    """A fictional 555-01xx number in one of the formats people type."""
    area = area or "202"
    line = f"01{_int(rng, 0, 99):02d}"
    fmt = _one(rng, ("({a}) 555-{n}", "{a}-555-{n}", "{a}.555.{n}", "+1 {a} 555 {n}",
                      "{a}555{n}", "+1 ({a}) 555-{n}", "({a}) 555-{n}"))
    return fmt.format(a=area, n=line)


def _video_url(rng: random.Random) -> str:
    token = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                                k=11))
    return _one(rng, (
        f"https://www.youtube.com/watch?v={token}", f"https://youtu.be/{token}",
        f"https://vimeo.com/{_int(rng, 10_000_000, 999_999_999)}",
        f"https://videos.example.org/intro/{token.lower().strip('-_')}.mp4",
    ))


def _insurance(rng: random.Random, state: str) -> list[str]:
    if rng.random() < 0.35:
        return _one(rng, ([], ["Out of network"]))
    carriers = [c for c in _CARRIERS if c not in ("Medicaid", "Medicare")]
    if state in _KAISER_STATES:
        carriers.append("Kaiser Permanente")
    out = _some(rng, carriers, _int(rng, 1, 5))
    out += [c for c, p in (("Medicaid", 0.2), ("Medicare", 0.12)) if rng.random() < p]
    return out


def _languages(rng: random.Random) -> list[str]:
    out = ["English"]
    if rng.random() < 0.15:
        out.append("Spanish")
    if rng.random() < 0.06:
        out.append(_one(rng, _LANGUAGES))
    return out


def _terms(rng: random.Random, tax: Taxonomy, kind: str, slugs: list[str]) -> list[str]:
    """Slugs written out as a therapist would."""
    return [_render(rng, tax.terms[kind][s], s in _SYNONYM_HEAVY) for s in slugs]


def _client_types(rng: random.Random, tax: Taxonomy, couples: bool, specs: list[str],
                  implied: bool) -> list[str]:
    """Client types; couples therapists list "couples" unless a specialty already implies it."""
    family_work = any(s in specs for s in ("parenting", "family-conflict", "blended-families"))
    odds = {"individuals": 0.85 if couples else 0.97,
            "couples": (0.92 if implied else 1.0) if couples else 0.0,
            "families": 0.35 if family_work else 0.1, "children": 0.08, "teens": 0.18,
            "groups": 0.06, "older-adults": 0.08}
    slugs = [s for s, p in odds.items() if rng.random() < p and s in tax.terms["client_type"]]
    return slugs or ["individuals"]


def _formats(rng: random.Random, remote: bool) -> tuple[list[str], list[str]]:
    """Session formats: (slugs, as written: the contract's slugs, now and then "Telehealth")."""
    if remote:
        slugs = ["video"] + (["phone"] if rng.random() < 0.3 else [])
    else:
        extra = (("video", 0.66), ("phone", 0.2))
        slugs = ["in_person"] + [s for s, p in extra if rng.random() < p]
    variants = {"in_person": ("In-person", "In office"), "video": ("Telehealth", "Online", "Video"),
                "phone": ("Telephone", "Phone")}
    return slugs, [_one(rng, variants[s]) if rng.random() < 0.1 else s for s in slugs]


def _profile(seed: int, k: int) -> dict:
    """Profile k of a seed; depends on nothing but (seed, k) and the bundled data."""
    rng = random.Random(f"{seed}:{k}")
    places, vocab = _places(), _vocab()
    tax = vocab.taxonomy
    couples, remote = rng.random() < 0.55, rng.random() < 0.12
    home = places.zips[rng.choices(range(len(places.zips)), cum_weights=places.cum_weights)[0]]
    locations = [] if remote else _offices(rng, places, home)
    first, name, pronouns = _person(rng)
    office_states = [loc["state"] for loc in locations] or [home.state]
    licenses, credentials, role = _licenses(rng, places, couples, office_states, remote)
    specs = _choose_specialties(rng, vocab, couples)
    implied = any(s in vocab.couples_terms for s in specs)
    client_types = _client_types(rng, tax, couples, specs, implied)
    mods = _choose_modalities(rng, vocab, couples, specs, "children" in client_types)
    # "couples" stays literal; other types are sometimes written as a label or synonym.
    client_types = [s if s == "couples" or rng.random() > 0.12
                    else _render(rng, tax.terms["client_type"][s]) for s in client_types]
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
        field, kind = ("specialties", "specialty") if rng.random() < 0.75 else (
            "modalities", "modality")
        p[field].append(_one(rng, _UNKNOWN[kind]))
    p["client_types"], p["session_formats"] = client_types, formats
    if rng.random() < 0.25:
        p["video_url"] = _video_url(rng)
    p["telehealth_states"] = states if "video" in format_slugs else []
    _practical_fit(rng, p, couples, home.state)
    p["locations"] = locations
    _contact(rng, p, first, name, home, couples)
    _write_bio(rng, p, first=first, role=role, home=home, couples=couples, specs=specs,
               mod_slugs=mods, remote=remote, states=states)
    p["updated_at"] = (date(2024, 1, 1) + timedelta(days=rng.randrange(1035))).isoformat()
    return p


def _practical_fit(rng: random.Random, p: dict, couples: bool, state: str) -> None:
    """Languages, insurance, fees (USD; couples sessions cost a little more) and availability."""
    p["languages"], p["insurance"] = _languages(rng), _insurance(rng, state)
    fee_min = rng.randrange(90, 205, 5) + (20 if couples else 0)
    p["fee_min"], p["fee_max"] = fee_min, fee_min + _one(rng, (0, 20, 30, 50, 60, 80, 100))
    p["sliding_scale"] = rng.random() < 0.3
    p["accepting_new_clients"] = rng.random() < 0.75
    p["free_consultation"] = rng.random() < 0.55


def _contact(rng: random.Random, p: dict, first: str, name: str, home: _Zip,
             couples: bool) -> None:
    """Email, phone and website on reserved example domains (RFC 2606)."""
    first_s, last_s = slugify(first), slugify(name.split()[-1])
    practice = _one(rng, (f"{last_s}-therapy", f"{first_s}-{last_s}-counseling",
                           f"{slugify(home.city)}-{'couples-therapy' if couples else 'counseling'}",
                           f"{first_s}{last_s}"))
    domain = _one(rng, ("example.com", "example.org", "example.net"))
    if rng.random() < 0.9:
        local = _one(rng, (f"{first_s}.{last_s}", f"{first_s[0]}{last_s}", "hello", "info"))
        host = f"{practice}.{domain}" if local in ("hello", "info") else domain
        p["email"] = f"{local}@{host}"
    if rng.random() < 0.92:
        p["phone"] = _phone(rng, home.area_code)
    if rng.random() < 0.65:
        p["website"] = f"https://www.{practice}.{domain}/"


def _write_bio(rng: random.Random, p: dict, *, first: str, role: str, home: _Zip,
               couples: bool, specs: list[str], mod_slugs: list[str], remote: bool,
               states: list[str]) -> None:
    """Set `bio` (plain prose, sometimes HTML) and `approach` (1-3 sentences)."""
    tax = _vocab().taxonomy
    # strict=False: an unknown term may follow the known ones; it stays out of the prose.
    written = zip(mod_slugs, p["modalities"], strict=False)
    mods = [_spoken(tax.terms["modality"][s], t) for s, t in written]
    safe = [t.replace("{", "(").replace("}", ")") for t in mods]
    spec_labels = [_prose(tax.terms["specialty"][s].label) for s in specs]
    facts = {
        "first": first, "role": role, "city": home.city, "state": home.state, "remote": remote,
        "years": _int(rng, 3, 30), "states": _join(states), "couples": couples,
        "flags": [s for s in ("polyamory", "kink", "lgbtq") if s in specs],
        "spec_texts": spec_labels, "mod_texts": safe, "accepting": p["accepting_new_clients"],
        "formats": ["video"] if p["telehealth_states"] else [],
        "free_consultation": p["free_consultation"], "sliding_scale": p["sliding_scale"],
    }
    bio = _bio(rng, facts, trap=not couples and rng.random() < 0.03)
    if rng.random() < 0.05:
        bio = _htmlize(bio, spec_labels[0], p.get("website", "https://www.example.com/"))
    elif rng.random() < 0.25:
        sentences = bio.split(". ")
        half = len(sentences) // 2
        bio = ". ".join(sentences[:half]) + ".\n\n" + ". ".join(sentences[half:])
    if rng.random() < 0.002:
        bio += '<script>alert("hello")</script>'  # harmless; the sanitiser must drop it
    p["bio"] = bio
    lines = [f"I draw on {_join(safe[:2])} in a warm, collaborative way."] if safe else []
    lines += _some(rng, _APPROACH, _int(rng, 1, 3 - len(lines)))
    if couples and rng.random() < 0.5:
        lines[-1] = "With couples, we focus on breaking negative cycles and building connection."
    p["approach"] = " ".join(lines)


_APPROACH = (
    "Sessions are structured but flexible, and we set goals together.",
    "Expect practical tools as well as space to reflect.",
    "I am direct, curious and nonjudgmental.",
    "I pay attention to the body as well as the story.",
    "Homework is optional but often helpful.",
)


# --- public API --------------------------------------------------------------------------------


def generate_profiles(count: int, seed: int = 1) -> Iterator[dict]:
    """Yield `count` synthetic profiles in the input format; profile k depends only on (seed, k)."""
    for k in range(count):
        yield _profile(seed, k)


def write_sample(path: str | os.PathLike[str], count: int, seed: int = 1) -> int:
    """Write `count` profiles as JSON Lines (UTF-8; gzip if `path` ends with .gz); return count."""
    path = os.fspath(path)
    with open(path, "wb") as raw:
        # mtime=0 and no file name in the gzip header keep the bytes identical run to run.
        stream = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
                  if path.endswith(".gz") else raw)
        with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as out:
            n = 0
            for profile in generate_profiles(count, seed):
                out.write(json.dumps(profile, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
    return n
