"""Reading credentials: the table's one-pass reading agrees with checking each credential."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.nucc import load_nucc, states_credential

TABLE = load_nucc()
KNOWN = sorted({c for p in TABLE.professions.values() for c in p.credentials})
# Credential texts as listings write them: known credentials, near misses and noise, joined
# by the separators people use, in any case, with dots.
ITEM = st.one_of(
    st.sampled_from(KNOWN),
    st.sampled_from(["MSW", "PhD", "LICSW", "NCAC II", "L.C.S.W.", "lmft", "C", "RN", "Psy.D."]),
    st.text(alphabet="ABCDLMPSTW.-", min_size=1, max_size=5),
)
TEXT = st.lists(ITEM, max_size=6).flatmap(
    lambda items: st.lists(
        st.sampled_from([", ", " ", "/", ";", ","]), min_size=len(items), max_size=len(items)
    ).map(lambda seps: "".join(i + s for i, s in zip(items, seps, strict=True)))
)


def stated_one_by_one(text: str) -> list[str]:
    return [
        p.slug
        for p in TABLE.professions.values()
        if any(states_credential(text, c) for c in p.credentials)
    ]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_professions_stated_in_a_credential_text_match_checking_each_credential(text):
    assert TABLE.professions_stating(text) == stated_one_by_one(text)


def test_a_social_worker_and_a_psychologist_are_read_from_one_text():
    assert TABLE.professions_stating("L.C.S.W., Ph.D") == stated_one_by_one("L.C.S.W., Ph.D")
    assert "social-worker" in TABLE.professions_stating("MSW, LCSW")
    assert TABLE.professions_stating("MSW LICSW") == stated_one_by_one("MSW LICSW")
