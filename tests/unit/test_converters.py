"""The field converters of the pipeline: what real exports contain, in one canonical form."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from indexer.converters import (
    normalise_bool,
    normalise_credentials,
    normalise_money,
    normalise_phone,
    normalise_state,
    normalise_url,
    normalise_video_url,
    normalise_zip,
    split_list,
)


@pytest.mark.parametrize(
    ("given_zip", "expected"),
    [
        ("10001", "10001"),
        ("10001-1234", "10001"),
        ("100011234", "10001"),
        ("13069.0", "13069"),  # a spreadsheet's float
        ("2134.0", "02134"),  # ...that also dropped the leading zero
        ("560072919.0", "56007"),  # ZIP+4 as a float
        ("2134", "02134"),
        (" 07030 ", "07030"),
    ],
)
def test_zips_are_repaired_to_five_digits(given_zip, expected):
    assert normalise_zip(given_zip) == expected


@pytest.mark.parametrize("bad", ["", "1000", "ABCDE", "10001-12", "123456", "1e4"])
def test_impossible_zips_say_why(bad):
    if bad == "1000":
        assert normalise_zip(bad) == "01000"  # four digits: a dropped leading zero
        return
    with pytest.raises(ValueError, match="Not a valid ZIP code"):
        normalise_zip(bad)


@pytest.mark.parametrize(
    ("given_phone", "expected"),
    [
        ("(212) 555-0147", "+12125550147"),
        ("212.555.0147", "+12125550147"),
        ("+1 212 555 0147", "+12125550147"),
        ("5073770107.0", "+15073770107"),  # a spreadsheet's float
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_become_e164(given_phone, expected):
    assert normalise_phone(given_phone) == expected


@pytest.mark.parametrize(
    ("given_credentials", "expected"),
    [("LMFT,PhD", "LMFT, PhD"), ("LCSW;  CST", "LCSW, CST"), ("MA / LPC", "MA, LPC")],
)
def test_credentials_get_one_separator_style(given_credentials, expected):
    assert normalise_credentials(given_credentials) == expected


@pytest.mark.parametrize(
    ("given_state", "expected"), [("NY", "NY"), ("ny", "NY"), ("New York", "NY"), ("N.Y.", "NY")]
)
def test_states_become_two_letters(given_state, expected):
    assert normalise_state(given_state) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(120, 120), ("$120", 120), ("120.00", 120), (99.6, 100)]
)
def test_fees_are_whole_dollars(value, expected):
    assert normalise_money(value) == expected


@pytest.mark.parametrize(
    ("word", "expected"), [("Yes", True), ("n", False), (1, True), ("off", False)]
)
def test_yes_and_no_words_are_booleans(word, expected):
    assert normalise_bool(word) is expected


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", "/relative", "ftp://x.example"]
)
def test_only_absolute_http_urls_are_kept(url):
    with pytest.raises(ValueError):
        normalise_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://youtube.com/watch?v=x", "https://example.org/intro.html", "https://evil.example/"],
)
def test_an_intro_video_must_be_https_on_a_known_player_or_a_video_file(url):
    with pytest.raises(ValueError):
        normalise_video_url(url)


def test_lists_come_from_json_lists_or_semicolon_joined_cells():
    assert split_list(" anxiety ; ENM;; ") == ["anxiety", "ENM"]
    assert split_list(["a", " b "]) == ["a", "b"]


# -- properties --------------------------------------------------------------------------------


# US ZIP codes run from 00501 up.
@given(st.integers(501, 99999), st.one_of(st.none(), st.integers(0, 9999)))
def test_zip_repair_is_idempotent_and_keeps_the_zip(five, plus4):
    text = f"{five:05d}" + (f"-{plus4:04d}" if plus4 is not None else "")
    once = normalise_zip(text)
    assert once == f"{five:05d}" and normalise_zip(once) == once
    # A spreadsheet's float of the same ZIP gives the same answer.
    assert normalise_zip(f"{five}.0") == once


@given(st.integers(200, 999), st.integers(200, 999), st.integers(0, 9999))
def test_e164_is_idempotent(area, exchange, line):
    try:
        once = normalise_phone(f"({area}) {exchange}-{line:04d}")
    except ValueError:
        assume(False)
    assert normalise_phone(once) == once


@given(
    st.lists(
        st.sampled_from(["LMFT", "PhD", "LCSW-R", "MA", "NCC", "CST"]), min_size=1, max_size=4
    ),
    st.sampled_from([",", ", ", ";", " / ", "/"]),
)
def test_credentials_are_idempotent(parts, separator):
    once = normalise_credentials(separator.join(parts))
    assert once == ", ".join(parts)
    assert normalise_credentials(once) == once
