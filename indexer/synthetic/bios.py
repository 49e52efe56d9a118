"""First-person bios and approach statements that mention a profile's terms and place."""

from __future__ import annotations

import random

from .draws import between, one, some
from .places import Zip
from .vocab import as_prose, as_spoken, join_words, vocabulary
from .words import (
    APPROACH,
    CAREERS,
    CLOSINGS,
    COUPLES_LINES,
    FILLERS,
    FLAG_LINES,
    HOBBIES,
    MAX_WORDS,
    MODALITY_LINES,
    OPENINGS,
    REMOTE_OPENINGS,
    SCHOOLS,
    SPECIALTY_LINES,
    TRAPS,
)


def _bio(rng: random.Random, f: dict, trap: bool) -> str:
    """80-200 words of first-person prose that mentions the profile's terms and place."""
    fill = {
        "career": one(rng, CAREERS),
        "hobby": one(rng, HOBBIES),
        "school": one(rng, SCHOOLS),
        **f,
    }
    core = [one(rng, REMOTE_OPENINGS if f["remote"] else OPENINGS)]
    core.append(_specialty_line(rng, f["spec_texts"]))
    if trap:
        core.append(one(rng, TRAPS))
    if f["couples"]:
        core += some(rng, COUPLES_LINES, 2 if len(f["flags"]) < 2 else 1)
    core += [one(rng, FLAG_LINES[flag]) for flag in f["flags"]]
    if f["mod_texts"]:
        core.append(one(rng, MODALITY_LINES).replace("{mods}", join_words(f["mod_texts"][:3])))
    tail = [s.format_map(fill) for s in _practical(f) + [one(rng, CLOSINGS)]]
    core = [s.format_map(fill) for s in core]
    count = sum(len(s.split()) for s in core + tail)
    target = between(rng, 85, 185)
    pool = list(FILLERS)
    while count < target and pool:  # draw fillers one at a time: usually only a few are needed
        filler = pool.pop(int(rng.random() * len(pool))).format_map(fill)
        n = len(filler.split())
        if count + n <= MAX_WORDS:
            core.append(filler)
            count += n
    while count > MAX_WORDS and len(tail) > 1:
        count -= len(tail.pop(0).split())
    return " ".join(core + tail)


def _specialty_line(rng: random.Random, texts: list[str]) -> str:
    words = texts[:4]
    line = one(rng, SPECIALTY_LINES if len(words) > 1 else SPECIALTY_LINES[:3])
    # Braces inside a therapist's own term must not reach str.format_map.
    words = [w.replace("{", "(").replace("}", ")") for w in words]
    return (
        line.replace("{specs}", join_words(words))
        .replace("{spec1}", words[0])
        .replace("{rest}", join_words(words[1:]) if len(words) > 1 else "")
    )


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
    return (
        f'<p>{first}</p>\n<p><em>{second}</em></p>\n<p>More on <a href="{url}">my website</a>.</p>'
    )


def write_bio(
    rng: random.Random,
    p: dict,
    *,
    first: str,
    role: str,
    home: Zip,
    couples: bool,
    specs: list[str],
    mod_slugs: list[str],
    remote: bool,
    states: list[str],
) -> None:
    """Set `bio` (plain prose, sometimes HTML) and `approach` (1-3 sentences)."""
    tax = vocabulary().taxonomy
    # strict=False: an unknown term may follow the known ones; it stays out of the prose.
    written = zip(mod_slugs, p["modalities"], strict=False)
    mods = [as_spoken(tax.terms["modality"][s], t) for s, t in written]
    safe = [t.replace("{", "(").replace("}", ")") for t in mods]
    spec_labels = [as_prose(tax.terms["specialty"][s].label) for s in specs]
    facts = {
        "first": first,
        "role": role,
        "city": home.city,
        "state": home.state,
        "remote": remote,
        "years": between(rng, 3, 30),
        "states": join_words(states),
        "couples": couples,
        "flags": [s for s in ("polyamory", "kink", "lgbtq") if s in specs],
        "spec_texts": spec_labels,
        "mod_texts": safe,
        "accepting": p["accepting_new_clients"],
        "formats": ["video"] if p["telehealth_states"] else [],
        "free_consultation": p["free_consultation"],
        "sliding_scale": p["sliding_scale"],
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
    lines = [f"I draw on {join_words(safe[:2])} in a warm, collaborative way."] if safe else []
    lines += some(rng, APPROACH, between(rng, 1, 3 - len(lines)))
    if couples and rng.random() < 0.5:
        lines[-1] = "With couples, we focus on breaking negative cycles and building connection."
    p["approach"] = " ".join(lines)
