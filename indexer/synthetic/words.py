"""The word lists and weights synthetic profiles are drawn from (data tables)."""

from __future__ import annotations

FIRST = {
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
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "García",
    "Martinez",
    "Martínez",
    "Rodríguez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Núñez",
    "Muñoz",
    "Peña",
    "Nguyễn",
    "Nguyen",
    "Trần",
    "Lê",
    "Phạm",
    "Kim",
    "Park",
    "Lee",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Huang",
    "Patel",
    "Shah",
    "Singh",
    "Gupta",
    "Reddy",
    "Khan",
    "Ali",
    "Hassan",
    "O'Brien",
    "O'Connor",
    "McCarthy",
    "Murphy",
    "Sullivan",
    "Brontë-Smith",
    "Schröder",
    "Müller",
    "Weiß",
    "Søndergaard",
    "Johansson",
    "Kowalski",
    "Nowak",
    "Ivanova",
    "Petrov",
    "Cohen",
    "Levy",
    "Goldberg",
    "Friedman",
    "Rosenberg",
    "Okafor",
    "Adeyemi",
    "Mensah",
    "Diallo",
    "Washington",
    "Jackson",
    "Robinson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Evans",
    "Turner",
    "Torres",
    "Rivera",
    "Flores",
    "Ramírez",
    "Sánchez",
    "Castillo",
    "Tanaka",
    "Sato",
    "Yamamoto",
    "Dubois",
    "Lefèvre",
    "Bergström",
    "da Silva",
    "Gonçalves",
    "D'Angelo",
    "St. James",
    "van der Berg",
    "MacLeod",
    "Ó Súilleabháin",
    "Begay",
    "Yazzie",
    "Kealoha",
)
PRONOUNS = {"she": ("she/her", "she/they"), "he": ("he/him", "he/they"), "they": ("they/them",)}
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple St",
    "Park Ave",
    "Broadway",
    "Elm St",
    "Washington Blvd",
    "Lake Shore Dr",
    "Cedar Ln",
    "Pine St",
    "Market St",
    "Highland Ave",
    "Church St",
    "Mill Rd",
    "Sunset Blvd",
    "Peachtree St NE",
    "Commonwealth Ave",
    "Martin Luther King Jr Blvd",
    "El Camino Real",
    "Colfax Ave",
    "W 57th St",
    "E 14th St",
    "University Ave",
    "Grand Ave",
    "Central Ave",
    "N Michigan Ave",
    "S Lamar Blvd",
    "Wilshire Blvd",
    "Court St",
    "Franklin St",
    "2nd Ave",
    "3rd St",
    "Old Country Rd",
    "Riverside Dr",
    "College Ave",
)
LANGUAGES = (
    "Mandarin",
    "Cantonese",
    "Vietnamese",
    "Korean",
    "Tagalog",
    "French",
    "Haitian Creole",
    "Portuguese",
    "Russian",
    "Arabic",
    "Hindi",
    "German",
    "Hebrew",
    "American Sign Language",
    "Polish",
    "Farsi",
    "Japanese",
    "Italian",
    "Urdu",
)
CARRIERS = (
    "Aetna",
    "Cigna",
    "Blue Cross Blue Shield",
    "UnitedHealthcare",
    "Optum",
    "Anthem",
    "Humana",
    "Magellan",
    "Tricare",
    "Oscar",
    "Carelon",
    "Medicaid",
    "Medicare",
)
KAISER_STATES = {"CA", "CO", "GA", "HI", "MD", "OR", "VA", "WA", "DC"}
UNKNOWN = {
    "specialty": (
        "equine-assisted",
        "neurodivergent couples",
        "financial therapy",
        "climate anxiety",
        "highly sensitive people",
        "tech industry burnout",
        "psychedelic integration",
        "long-distance relationships",
        "sports performance",
        "expat life",
        "musicians and artists",
    ),
    "modality": (
        "ecotherapy",
        "ketamine-assisted",
        "walk and talk",
        "Enneagram",
        "equine-assisted",
    ),
}
# License type -> (how the credential is written, the role a bio names, weight).
LICENSES = {
    "LMFT": ("LMFT", "licensed marriage and family therapist", 30),
    "LCSW": ("LCSW", "licensed clinical social worker", 25),
    "LPC": ("LPC", "licensed professional counselor", 25),
    "Psychologist": ("PhD", "psychologist", 15),
    "MD": ("MD", "psychiatrist", 3),
}
# What a counselor's license is called varies by state.
COUNSELOR = {
    "CA": "LPCC",
    "IL": "LCPC",
    "MD": "LCPC",
    "NY": "LMHC",
    "MA": "LMHC",
    "WA": "LMHC",
    "FL": "LMHC",
}


def _words(text: str) -> list[str]:
    return [w.replace("_", " ") for w in text.split()]


FIRST_NAMES = {k: _words(v) for k, v in FIRST.items()}


def _weights(spec: str) -> dict[str, float]:
    """ "a:2 b:0.5" -> {"a": 2.0, "b": 0.5}"""
    return {slug: float(w) for slug, w in (item.split(":") for item in spec.split())}


# Relative weights when picking terms; a slug not listed gets the default.
GENERAL_SPECIALTIES = _weights(
    "anxiety:10 depression:9 trauma:8 relationship-issues:5 self-esteem:5 stress:5 "
    "life-transitions:5 grief:4 attachment:3 adhd:3 addiction:3 parenting:2.5 communication:2 "
    "family-conflict:2 divorce:2 multicultural:2 womens-issues:2 career:2 codependency:2 "
    "mens-issues:1.5 ocd:1.5 eating-disorders:1.5 perinatal:1.5 spirituality:1.5 "
    "chronic-illness:1.5 anger-management:1.5 neurodiversity:1.2 sexual-abuse:1.2 "
    "domestic-violence:1.2 psychosis:0.3 bipolar:0.8 self-harm:0.8"
)
COUPLES_SPECIALTIES = _weights(
    "communication:8 infidelity:6 intimacy:5 conflict-resolution:5 trust-issues:4 "
    "sex-therapy:4 attachment:4 divorce:3 blended-families:2 parenting:2 codependency:1.5"
)
GENERAL_MODALITIES = _weights(
    "cbt:10 mindfulness:5 ifs:5 psychodynamic:5 person-centered:4 act:4 emdr:4 integrative:3 "
    "dbt:3 somatic:3 sfbt:3 attachment-based:3 narrative:2 motivational-interviewing:2 "
    "family-systems:2 compassion-focused:1 existential:1 psychoanalytic:1 art-therapy:1 "
    "play-therapy:4 exposure:1 tf-cbt:1 structural-family:0.7 bowen:0.7"
)
COUPLES_MODALITIES = _weights(
    "eft:9 gottman:8 imago:2 pact:1.5 developmental-model:1.2 rlt:1.2 sex-therapy:0.5"
)
# Terms a profile sets by its own odds rather than by weighted picking.
FLAGGED = {"polyamory", "kink", "lgbtq", "gender-identity"}
# Terms therapists write in a synonym as often as by the label ("ENM", "marriage counseling").
SYNONYM_HEAVY = {
    "polyamory",
    "kink",
    "couples-counseling",
    "gottman",
    "eft",
    "cbt",
    "dbt",
    "lgbtq",
}


OPENINGS = (
    "I'm {first}, a {role} in {city}, {state}.",
    "Welcome! I am a {role} based in {city}, and I have been in practice for {years} years.",
    "As a {role} in {city}, I help people who feel stuck find their footing again.",
    "Hi, I'm {first}. I have worked as a {role} for more than {years} years, most of them here "
    "in {city}.",
)
REMOTE_OPENINGS = (
    "I'm {first}, a {role} offering online therapy to clients in {states}.",
    "Welcome! I am a {role}, and I see clients by secure video across {states}.",
)
SPECIALTY_LINES = (
    "Most of my work focuses on {specs}.",
    "People often come to me for help with {specs}.",
    "My areas of focus include {specs}.",
    "I have particular experience with {spec1}, and I also see many clients dealing with {rest}.",
)
COUPLES_LINES = (
    "I work with couples who want to communicate better, rebuild trust, or decide what comes next.",
    "In couples sessions I help partners slow down painful cycles and understand what each of "
    "them needs.",
    "Whether you are newly together, engaged, or married for decades, couples therapy can help "
    "you reconnect.",
    "I welcome couples of all kinds: married, dating, blended, long-distance, straight and queer.",
)
FLAG_LINES = {
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
MODALITY_LINES = (
    "My approach draws on {mods}.",
    "I am trained in {mods}, and I adapt them to each client rather than following a script.",
    "I use {mods} to help clients notice patterns and try something new.",
)
# Bios of some therapists who do NOT see couples say so: a trap for naive text ranking.
TRAPS = (
    "Please note that I do not work with couples; my practice is for individuals only.",
    "I do not work with couples or families at this time, but I am happy to refer you.",
)
FILLERS = (
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
CLOSINGS = (
    "Reaching out is a brave first step, and I would be glad to hear from you.",
    "If this sounds like a fit, I invite you to get in touch.",
    "I look forward to hearing from you.",
    "Feel free to call or email with any questions.",
)
CAREERS = ("teaching", "nursing", "the tech industry", "journalism", "the military", "law")
HOBBIES = (
    "hiking with my dog",
    "in my garden",
    "at a climbing gym",
    "cooking for friends",
    "reading novels",
    "on my bike",
)
SCHOOLS = (
    "Columbia University",
    "the University of Michigan",
    "Pepperdine University",
    "Smith College",
    "the University of Texas",
    "Northwestern University",
)
MAX_WORDS = 195  # 80-200 words: leave room for the few words an HTML link adds


APPROACH = (
    "Sessions are structured but flexible, and we set goals together.",
    "Expect practical tools as well as space to reflect.",
    "I am direct, curious and nonjudgmental.",
    "I pay attention to the body as well as the story.",
    "Homework is optional but often helpful.",
)
