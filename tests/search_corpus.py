"""A small hand-written corpus for search tests: each profile exists to prove one behaviour.

Places: 10001 is Chelsea, Manhattan (40.75, -74.00); 02108 is downtown Boston; 07030 is
Hoboken NJ (about 2 miles from Chelsea, across the state line); 10601 is White Plains NY
(about 25 miles north); 11201 is Brooklyn Heights (about 4 miles).
"""

from __future__ import annotations

from .factories import office, profile

CHELSEA = office("10001", "New York", "NY")
BROOKLYN = office("11201", "Brooklyn", "NY")
HOBOKEN = office("07030", "Hoboken", "NJ")
WHITE_PLAINS = office("10601", "White Plains", "NY")
BOSTON = office("02108", "Boston", "MA")

CORPUS = [
    # Couples, polyamory (written "ENM"), video, in Chelsea.
    profile(
        bare=True,
        id="ana",
        name="Ana López",
        specialties=["ENM", "communication"],
        client_types=["couples"],
        session_formats=["in_person", "video"],
        telehealth_states=["NY"],
        locations=[CHELSEA],
        languages=["English", "Spanish"],
        insurance=["Aetna"],
        fee_min=120,
        accepting_new_clients=True,
        bio="I help partners in open and consensual non-monogamous relationships.",
    ),
    # Couples, kink-affirming, Gottman, Brooklyn, in-person only.
    profile(
        bare=True,
        id="ben",
        name="Ben Okafor",
        specialties=["BDSM", "intimacy"],
        modalities=["Gottman Method"],
        client_types=["couples"],
        session_formats=["in_person"],
        telehealth_states=None,
        locations=[BROOKLYN],
        fee_min=200,
        bio="Kink-affirming couples work with attachment at its heart.",
    ),
    # Offices in Boston and Chelsea: 0 miles from Chelsea, not 190.
    profile(
        bare=True,
        id="cara",
        name="Cara Diaz",
        specialties=["polyamory", "attachment"],
        modalities=["EFT"],
        client_types=["couples", "individuals"],
        session_formats=["in_person"],
        telehealth_states=None,
        locations=[BOSTON, CHELSEA],
        bio="Emotionally focused work for couples.",
    ),
    # Across the state line in Hoboken, NJ; licensed only in NJ; offers video.
    profile(
        bare=True,
        id="dev",
        name="Dev Patel",
        specialties=["poly", "anxiety"],
        client_types=["couples"],
        session_formats=["in_person", "video"],
        telehealth_states=["NJ"],
        locations=[HOBOKEN],
        bio="Anxiety and relationships.",
    ),
    # Remote only, licensed in NY: included for video searches in NY, marked remote.
    profile(
        bare=True,
        id="eve",
        name="Eve Rahman",
        specialties=["open relationships"],
        client_types=["couples"],
        session_formats=["video"],
        telehealth_states=["NY"],
        locations=None,
        bio="Online sessions for polyamorous couples.",
    ),
    # Remote only, licensed in CA: never in a NY search.
    profile(
        bare=True,
        id="fay",
        name="Fay Chen",
        specialties=["polyamory"],
        client_types=["couples"],
        session_formats=["video"],
        telehealth_states=["CA"],
        locations=None,
        bio="Video sessions across California.",
    ),
    # Says it does not see couples: mentions couples, polyamory and Gottman only in the bio.
    profile(
        bare=True,
        id="gus",
        name="Gus Meyer",
        specialties=["depression", "grief"],
        modalities=["CBT"],
        client_types=["individuals"],
        session_formats=["in_person"],
        telehealth_states=None,
        locations=[CHELSEA],
        bio="I do not work with couples. I trained in the Gottman method years ago and "
        "many of my clients are polyamorous.",
    ),
    # Accented name; anxiety specialist; White Plains (about 25 mi from Chelsea).
    profile(
        bare=True,
        id="jose",
        name="José Núñez",
        specialties=["anxiety", "trauma"],
        modalities=["EMDR"],
        client_types=["individuals"],
        session_formats=["in_person", "video"],
        telehealth_states=["NY"],
        locations=[WHITE_PLAINS],
        bio="Trauma-informed anxiety treatment.",
    ),
    # Premarital implies couples; has an intro video.
    profile(
        bare=True,
        id="kim",
        name="Kim Sato",
        specialties=["premarital"],
        client_types=None,
        session_formats=["in_person"],
        telehealth_states=None,
        locations=[BROOKLYN],
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        bio="Preparing for marriage together.",
    ),
]
