"""How directory listings word a term, as pure text rules: no taxonomy in here.

Real listings decorate a term ("EMDR certified", "Gottman Method - Level 2 trained"), explain it
in parentheses ("Cognitive Behavioral (CBT)", "Children (6 to 10)"), join several with "/", "&"
or "and" ("Marital and Premarital"), write age bands as numbers ("Ages 13-18") and misspell
("Anxeity"). These functions turn such a phrase into the candidate keys and parts that
`indexer.taxonomy` looks up, most literal first, so that the safest reading always wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from .textnorm import fold, term_key

# Words that decorate a term without changing it, as they trail it: "EMDR certified", "Gay
# Allied", "Online only", "Phone sessions", "Asperger's Syndrome". Never "focused", "aware",
# "assisted" or "skills": those words are part of method names ("trauma focused" is TF-CBT).
TRAILING = frozenset(
    {
        "certified", "certification", "trained", "training", "informed", "oriented", "based",
        "practitioner", "practitioners", "allied", "ally", "affirming", "friendly",
        "session", "sessions", "visits", "appointments", "services",
        "therapy", "therapies", "counseling", "psychotherapy", "therapist", "therapists",
        "counselor", "counselors", "treatment", "support", "issues", "approach", "approaches",
        "only", "disorder", "disorders", "syndrome",
    }
)  # fmt: skip
# Words that decorate a term as they lead it: a credential and the bodies that grant one.
LEADING = frozenset({"certified", "iceeft", "emdria", "aasect"})
# The old trailing-word rule, kept as the most literal reading: a key with one of these words
# dropped is still "the same words" ("anxiety therapy" is anxiety).
DECORATIONS = ("therapy", "counseling", "issues", "treatment", "support")
# Words that say nothing about which term is meant, when checking that the words outside a
# parenthesis explain an acronym inside it.
GENERIC = TRAILING | LEADING | {"of", "to", "and", "the", "for", "with", "in", "a", "s"}
# British spellings read as American ones, so that "relationship counselling" finds the key of
# "relationship counseling" (couples) instead of losing a word and meaning relationship issues.
_SPELLINGS = {"counselling": "counseling", "behavioural": "behavioral", "behaviour": "behavior"}
_LEVEL = re.compile(r"\blevel (?:\d+|i{1,3}|iv)\b")  # "Level 2", "Level II": a training step
_PAREN = re.compile(r"^(.*?)\(([^()]*)\)(.*)$")
# A compound is split on these only; "-" is not one ("Bi-Polar", "Self-Harm", "13-17"), nor is
# the "+" that ends "LGBTQ+".
_SEPARATORS = re.compile(r"\s*(?:/|,|&|(?<=\s)\+(?=\s)|(?<=\w)\+(?=\w)|\band\b|\bor\b)\s*", re.I)
_BAND = (
    r"(?:ages?\s*)?(\d{1,2})\s*(?:(?:-|–|to)\s*(\d{1,3})|(\+|and (?:up|over|older)))"
    r"(?:\s*(?:years?|yrs?)(?: old)?)?"
)
_AGE = re.compile(f"^{_BAND}$")
_DIGIT = re.compile(r"\d")
_AGE_AFTER = re.compile(rf"^(.*?[^\d\s])\s+({_BAND})$")  # "Kids 6-12", "Seniors 65+"
# Age bands as most directories draw them; a band is named when it holds more than a third of
# the years asked ("11 to 13" is children, "14 to 19" teens, "18-25" adults, "5-18" both).
AGE_BANDS = (
    ("children", 0, 12),
    ("teens", 13, 17),
    ("individuals", 18, 64),
    ("older-adults", 65, 120),
)
_VOWELS = frozenset("aeiouy")
_SILENT_C = re.compile(r"sc(?=[eiy])")


@lru_cache(maxsize=65536)
def lookup_key(text: str) -> str:
    """`term_key` with British spellings made American: the key both sides are compared by."""
    key = term_key(text)
    if any(word in key for word in _SPELLINGS):
        key = " ".join(_SPELLINGS.get(word, word) for word in key.split())
    return key


def compact(key: str) -> str:
    """A key without spaces: "bi polar" and "bipolar" are one word written two ways."""
    return key.replace(" ", "")


def undecorated(key: str) -> Iterator[str]:
    """The key with a trailing decoration word dropped (the old rule), if it has one."""
    for word in DECORATIONS:
        if key.endswith(" " + word):
            yield key[: -len(word) - 1]


def number_variants(key: str) -> list[str]:
    """The key with its last word made singular or plural: "adolescent" <-> "adolescents"."""
    head, _, last = key.rpartition(" ")
    prefix = head + " " if head else ""
    if len(last) < 4 or not last.isalpha():
        return []
    if last.endswith("ies"):
        return [prefix + last[:-3] + "y"]
    if last.endswith(("ches", "shes", "sses", "xes")):
        return [prefix + last[:-2]]
    if last.endswith("s") and not last.endswith(("ss", "us", "is")):
        return [prefix + last[:-1]]
    if last.endswith("y") and last[-2] not in "aeiou":
        return [prefix + last[:-1] + "ies"]
    return [prefix + last + "s"]


def stripped(key: str) -> list[str]:
    """The key with its qualifiers dropped, fewest first; never the key, never a lone qualifier.

    "iceeft certified eft therapist" -> "iceeft certified eft", "certified eft therapist",
    "certified eft", "eft therapist", "eft"; "pact level 2" -> "pact".
    """
    words = _LEVEL.sub(" ", key).split()
    lead_max = 0
    while lead_max < len(words) - 1 and words[lead_max] in LEADING:
        lead_max += 1
    out: list[str] = []
    for lead in range(lead_max + 1):
        end = len(words)
        while end > lead:
            out.append(" ".join(words[lead:end]))
            if end - lead == 1 or words[end - 1] not in TRAILING:
                break
            end -= 1
    return [c for c in dict.fromkeys(out) if c != key and c not in TRAILING]


def parenthetical(text: str) -> tuple[str, str] | None:
    """(the part outside, the part inside) of a phrase with one pair of parentheses, or of a
    phrase that ends in an age band, which reads the same: "Kids 6-12" is "Kids (6-12)"."""
    match = _PAREN.match(text) if "(" in text else None
    if match is None:
        after = _AGE_AFTER.match(fold(text).strip()) if _DIGIT.search(text) else None
        return (after.group(1), after.group(2)) if after else None
    outside = " ".join(f"{match.group(1)} {match.group(3)}".split())
    return outside, match.group(2).strip()


def split_compound(text: str) -> list[str]:
    """The parts of "A/B", "A, B & C", "A and B", "A or B"; one part when there is nothing to
    split. Empty parts are dropped."""
    return [part for part in _SEPARATORS.split(text) if term_key(part)]


def distributed(parts: list[str]) -> list[list[str]]:
    """Each part's readings, the one that shares words with its neighbours first.

    "Sex/Porn Addiction" is "Sex Addiction" + "Porn Addiction" before it is "Sex" + "Porn
    Addiction"; "Sexual Abuse/Assault" is "Sexual Abuse" + "Sexual Assault". The caller takes,
    for each part, the first reading that resolves.
    """
    words = [p.split() for p in parts]
    readings: list[list[str]] = [[p] for p in parts]
    if len(parts) < 2:
        return readings
    # Single words before a last part of several words share its tail.
    if len(words[-1]) > 1 and all(len(w) == 1 for w in words[:-1]):
        tail = " ".join(words[-1][1:])
        for i in range(len(parts) - 1):
            readings[i].insert(0, f"{parts[i]} {tail}")
    # A single last word after parts of several words shares the first part's head.
    if len(words[-1]) == 1 and all(len(w) > 1 for w in words[:-1]):
        head = " ".join(words[0][:-1])
        readings[-1].insert(0, f"{head} {parts[-1]}")
    return readings


def age_band(text: str) -> list[str]:
    """Client-type slugs of a numeric age band: "Ages 13-18" -> teens, "65+" -> older adults."""
    match = _AGE.match(fold(text).strip()) if _DIGIT.search(text) else None
    if match is None:
        return []
    low = int(match.group(1))
    if match.group(3):  # "18+" is the band that 18 is in
        return [slug for slug, lo, hi in AGE_BANDS if lo <= low <= hi]
    high = int(match.group(2))
    if high < low:
        return []
    years = high - low + 1
    return [slug for slug, lo, hi in AGE_BANDS if (min(hi, high) - max(lo, low) + 1) * 3 > years]


def sound(word: str) -> str:
    """The consonants of a word in order, a doubled letter once and the silent c of "sce",
    "sci" dropped: what stays when only vowels, doubling and letter order slip.
    "adolesents" and "adolescents" -> "dlsnts"; "mediation" (mdtn) is not "meditation"
    (mdttn)."""
    word = _SILENT_C.sub("s", word)
    return "".join(
        ch for i, ch in enumerate(word) if ch not in _VOWELS and (i == 0 or ch != word[i - 1])
    )
