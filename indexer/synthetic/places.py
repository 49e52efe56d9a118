"""Where synthetic offices are: real ZIP codes, weighted toward big metros."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import zipcodes

# ~45 big metros by their core counties ("ST:County,County"); a metro may cross a state line,
# which is how two-office therapists end up in NYC + north NJ or Boston + Providence.
METROS = """NY:New York,Kings,Queens,Bronx,Richmond,Westchester,Nassau;NJ:Hudson,Bergen,Essex
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
METRO_WEIGHT = 6  # a metro ZIP is this many times likelier than a small-town one

# Bordering states (one direction listed; made symmetric when parsed).
BORDERS = """AL:FL GA MS TN|AZ:CA CO NM NV UT|AR:LA MO MS OK TN TX|CA:NV OR|CO:KS NE NM OK UT WY
CT:MA NY RI|DE:MD NJ PA|DC:MD VA|FL:GA|GA:NC SC TN|ID:MT NV OR UT WA WY|IL:IA IN KY MO WI
IN:KY MI OH|IA:MN MO NE SD WI|KS:MO NE OK|KY:MO OH TN VA WV|LA:MS TX|ME:NH|MD:PA VA WV
MA:NH NY RI VT|MI:OH WI|MN:ND SD WI|MS:TN|MO:NE OK TN|MT:ND SD WY|NE:SD WY|NV:OR UT|NH:VT
NJ:NY PA|NM:OK TX UT|NY:PA VT|NC:SC TN VA|ND:SD|OH:PA WV|OK:TX|OR:WA|PA:WV|SD:WY|TN:VA
UT:WY|VA:WV"""

STATES = frozenset(
    (
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    )
)


class Zip(NamedTuple):
    """One ZIP code's place: what an office address and a phone area code need."""

    zip: str
    city: str
    state: str
    lat: float
    lon: float
    area_code: str
    group: tuple[str, str] | int  # metro index, else (state, county): where a 2nd office goes


@dataclass(frozen=True)
class Places:
    """The ZIPs to draw from (cumulative weights for bisect), by group, and state borders."""

    zips: list[Zip]
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
def zip_places() -> Places:
    """Active STANDARD ZIPs of the 50 states + DC, with metro weights; built once per process."""
    metro_of: dict[tuple[str, str], int] = {}
    for i, metro in enumerate(METROS.replace("\n", "|").split("|")):
        for part in metro.split(";"):
            state, counties = part.split(":")
            for county in counties.split(","):
                metro_of[(state, county.lower())] = i
    zips: list[Zip] = []
    cum: list[int] = []
    groups: dict[tuple[str, str] | int, list[int]] = {}
    total = 0
    for rec in sorted(zipcodes.list_all(), key=lambda r: r["zip_code"]):
        if rec["zip_code_type"] != "STANDARD" or not rec["active"] or rec["state"] not in STATES:
            continue
        key = _county_key(rec["state"], rec["county"])
        group = metro_of.get(key, key)
        groups.setdefault(group, []).append(len(zips))
        codes = rec["area_codes"]
        zips.append(
            Zip(
                rec["zip_code"],
                rec["city"],
                rec["state"],
                float(rec["lat"]),
                float(rec["long"]),
                codes[0] if codes else "",
                group,
            )
        )
        total += METRO_WEIGHT if isinstance(group, int) else 1
        cum.append(total)
    borders: dict[str, list[str]] = {s: [] for s in STATES}
    for line in BORDERS.replace("\n", "|").split("|"):
        state, others = line.split(":")
        for other in others.split():
            borders[state].append(other)
            borders[other].append(state)
    return Places(zips, cum, groups, {s: sorted(v) for s, v in borders.items()})
