"""Term resolution against the judged list of real directory phrasings.

    .venv/bin/python bench/judged_terms.py

tests/data/real_phrasings.csv holds phrases as real listings word them, each judged (before any
resolver existed) with the set of taxonomy terms it names; an empty set means the taxonomy
lacks it and it must stay unmapped. For every row this resolves (field, phrase) the way ingest
does (`Taxonomy.resolve_phrase` with the field's kind as home) and prints, by field and
category: rows, recalled (the set of terms equals the judged set), recall, partial (a row of
several terms that got some of them and nothing else), wrong mappings (a row that got a term
not in its judged set) and false mappings (an absent row that got anything).

Then the misspelling table that justifies `MISSPELLING_CUTOFF` in indexer/taxonomy.py: for
candidate rapidfuzz ratio cutoffs, how many judged misspellings `correct_phrase` corrects, and
how many phrases it would correct wrongly: the judged absent rows, real non-taxonomy words
(the synthetic generator's English words and names of 5 letters or more, and a list of real
directory terms the taxonomy lacks; each in every kind where no exact reading resolves it) and
every other judged phrase (corrected to a term outside its judged set). "any" consonants is
the same step without its same-consonants check, to show what that check prevents.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's indexer, not an installed one

from indexer.synthetic import words as synthetic_words  # noqa: E402
from indexer.taxonomy import KINDS, MISSPELLING_CUTOFF, Taxonomy  # noqa: E402

JUDGED = ROOT / "tests" / "data" / "real_phrasings.csv"
HOME = {
    "specialties": "specialty",
    "modalities": "modality",
    "client_types": "client_type",
    "session_formats": "session_format",
}
CUTOFFS = (70, 75, 80, 82, 85, 88, 90, 92, 95)
# Real directory terms the taxonomy has no term for (beyond the judged absent rows), several
# spelt one letter away from a taxonomy word: "mediation" is not meditation, "pyromania" is
# not mania, "caregivers" groups are not caregiver stress, "hearing loss" is not grief.
REAL_NON_TAXONOMY = (
    "Mediation", "Divorce Mediation", "Medication", "Pyromania", "Kleptomania", "Caregivers",
    "Hearing Loss", "Vision Loss", "Dementia", "Stroke", "Epilepsy", "Diabetes", "Obesity",
    "Bariatric", "Tinnitus", "Dyslexia", "Stuttering", "Selective Mutism", "Enuresis",
    "Ecotherapy", "Enneagram", "Reiki", "Yoga", "Nutrition", "Wellness", "Coaching",
    "Mentoring", "Supervision", "Consultation", "Assessment", "Neuropsychology", "Psychiatry",
    "Doula", "Lactation", "Bullying", "Loneliness", "Procrastination", "Motivation",
    "Relaxation", "Resilience", "Creativity", "Artists", "Musicians", "Athletes", "Students",
    "College Students", "Physicians", "Nurses", "Lawyers", "Clergy", "Police", "Firefighters",
    "Teachers", "Entrepreneurs", "Executives", "Refugees", "Homelessness", "Poverty",
    "Incarceration", "Legal Issues", "Custody Evaluation", "Debt", "Money", "Polarity",
    "Qigong", "Tapping", "Ketamine", "Psilocybin", "Sensory Processing", "Social Skills",
    "Anger Issues in Children", "Personality Testing", "Neurofeedback Training",
    "Relational Therapy", "Emotion Coaching", "Family Mediation", "Play Dates",
    "Sexual Orientation Change", "Gender Studies", "Mind-Body Medicine", "Art History",
)  # fmt: skip


def judged_rows(path: Path = JUDGED) -> list[dict[str, str]]:
    """The judged list, one dict per row (field, phrase, expected, category, note)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def expected(row: dict[str, str]) -> set[str]:
    """The judged set of kind:slug for a row (empty for absent rows)."""
    return {t for t in row["expected"].split("|") if t}


def resolved(taxonomy: Taxonomy, row: dict[str, str]) -> set[str]:
    """The kind:slug set the resolver gives for the row's (field, phrase)."""
    found = taxonomy.resolve_phrase(HOME[row["field"]], row["phrase"])
    return {f"{r.term.kind}:{r.term.slug}" for r in found}


def score(taxonomy: Taxonomy, rows: list[dict[str, str]]) -> list[dict]:
    """Each row with what the resolver gave and how it compares with the judgement."""
    out = []
    for row in rows:
        want, got = expected(row), resolved(taxonomy, row)
        out.append(
            {
                **row,
                "got": got,
                "recalled": got == want,
                "partial": len(want) > 1 and bool(got) and got < want,
                "wrong": bool(want) and bool(got - want),
                "false": not want and bool(got),
            }
        )
    return out


def table(scored: list[dict], keys: Iterable[str]) -> list[str]:
    """Lines of the figures grouped by the given columns (and a total line)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    keys = list(keys)
    for row in scored:
        groups[tuple(row[k] for k in keys)].append(row)
        groups[("total",) + ("",) * (len(keys) - 1)].append(row)
    head = f"{' / '.join(keys):34} {'rows':>5} {'recalled':>8} {'recall':>7} {'partial':>7}"
    lines = [head + f" {'wrong':>5} {'false':>5}"]
    for group, items in sorted(groups.items(), key=lambda kv: (kv[0][0] == "total", kv[0])):
        n = len(items)
        recalled = sum(r["recalled"] for r in items)
        name = " / ".join(g for g in group if g)
        lines.append(
            f"{name:34} {n:5} {recalled:8} {100 * recalled / n:6.1f}%"
            f" {sum(r['partial'] for r in items):7} {sum(r['wrong'] for r in items):5}"
            f" {sum(r['false'] for r in items):5}"
        )
    return lines


def english_words() -> list[str]:
    """Words of 5 letters or more from the synthetic generator's English."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.update(w.lower() for w in re.findall(r"[A-Za-z]{5,}", value))
        elif isinstance(value, dict):
            for item in value.items():
                walk(item)
        elif isinstance(value, tuple | list | set | frozenset):
            for item in value:
                walk(item)

    for name in dir(synthetic_words):
        if name.isupper():
            walk(getattr(synthetic_words, name))
    return sorted(found)


def misspelling_table(taxonomy: Taxonomy, rows: list[dict[str, str]]) -> list[str]:
    """Lines of the cutoff table: corrections right and wrong at each candidate cutoff."""
    misspelt = [r for r in rows if r["note"].startswith("misspelling")]
    absent = [r for r in rows if not expected(r)]
    others = [r for r in rows if expected(r) and r not in misspelt]
    # Real words: every kind, and only those no exact reading already resolves.
    words = [
        (kind, w)
        for w in (*english_words(), *REAL_NON_TAXONOMY)
        for kind in KINDS
        if taxonomy.resolve(kind, w) is None
    ]
    n_words = len({w for _, w in words})
    lines = [
        "consonants  cutoff  misspellings corrected  absent wrongly  real words wrongly"
        "  other judged wrongly"
    ]
    wrong_at_cutoff: list[str] = []
    for same_sound, cutoff in [(s, c) for s in (False, True) for c in CUTOFFS]:

        def term_of(
            kind: str, text: str, cutoff: float = cutoff, s: bool = same_sound
        ) -> str | None:
            term = taxonomy.correct_phrase(kind, text, cutoff, same_sound=s)
            return f"{term.kind}:{term.slug}" if term else None

        fixed = sum(term_of(HOME[r["field"]], r["phrase"]) in expected(r) for r in misspelt)
        bad_absent = [r["phrase"] for r in absent if term_of(HOME[r["field"]], r["phrase"])]
        bad_words = sorted({f"{w} -> {t}" for k, w in words if (t := term_of(k, w))})
        bad_others = [
            f"{r['phrase']} -> {t}"
            for r in others
            if (t := term_of(HOME[r["field"]], r["phrase"])) and t not in expected(r)
        ]
        check = "same" if same_sound else "any"
        lines.append(
            f"{check:>10}  {cutoff:6}  {fixed:>12} of {len(misspelt):<7}"
            f"{len(bad_absent):>6} of {len(absent):<5}{len(bad_words):>10} of {n_words:<5}"
            f"{len(bad_others):>12} of {len(others)}"
        )
        if bad_absent or bad_words or bad_others:
            wrong = "; ".join([*bad_absent, *bad_words, *bad_others][:12])
            wrong_at_cutoff.append(f"  {check} consonants, {cutoff}: {wrong}")
    return lines + ["wrong corrections (first 12 per cutoff):", *wrong_at_cutoff]


def main() -> None:
    taxonomy = Taxonomy.load()
    rows = judged_rows()
    scored = score(taxonomy, rows)
    print(f"judged phrasings: {JUDGED.relative_to(ROOT)} ({len(rows)} rows)\n")
    print("\n".join(table(scored, ["field", "category"])))
    print()
    print("\n".join(table(scored, ["field"])))
    print()
    print("\n".join(table(scored, ["category"])))
    print("\nrows not recalled:")
    for r in scored:
        if not r["recalled"]:
            flag = "WRONG" if r["wrong"] or r["false"] else "partial" if r["partial"] else "miss"
            print(
                f"  {flag:7} {r['field']}: {r['phrase']!r} judged {r['expected'] or '(absent)'}"
                f" got {'|'.join(sorted(r['got'])) or '(nothing)'}"
            )
    print(f"\nmisspellings (correct_phrase; resolve_phrase uses cutoff {MISSPELLING_CUTOFF:g}):")
    print("\n".join(misspelling_table(taxonomy, rows)))


if __name__ == "__main__":
    main()
