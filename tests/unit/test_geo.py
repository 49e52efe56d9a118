"""The cells a radius search looks in cover its whole circle."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.geo import EARTH_RADIUS_KM, cell_size_deg, covering_cells, geohash, haversine_km


def destination(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    """The point `km` from (lat, lon) along a great circle at `bearing` (degrees)."""
    angle, theta = km / EARTH_RADIUS_KM, math.radians(bearing)
    phi, lam = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        math.sin(phi) * math.cos(angle) + math.cos(phi) * math.sin(angle) * math.cos(theta)
    )
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(angle) * math.cos(phi),
        math.cos(angle) - math.sin(phi) * math.sin(phi2),
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-60, 70),
    lon=st.floats(-179, 179),
    radius=st.floats(0.5, 160),
    bearing=st.floats(0, 360),
)
def test_every_point_inside_the_radius_lies_in_a_covering_cell(lat, lon, radius, bearing):
    cells = covering_cells(lat, lon, radius)
    precision = int(cells[0].split(":")[0])
    point = destination(lat, lon, radius * 0.9999, bearing)
    assert haversine_km(lat, lon, *point) <= radius
    assert f"{precision}:{geohash(*point, precision)}" in cells


def test_the_widest_point_of_a_northern_circle_is_covered():
    # 25 miles at 42 degrees north: the circle is widest poleward of its centre, about 46 m
    # beyond what radius / (111.32 km * cos(lat)) reaches. Put the centre so that a cell
    # edge falls in between.
    lat, radius = 42.0, 25 * 1.609344
    short = radius / (111.320 * math.cos(math.radians(lat)))
    precision = int(covering_cells(lat, -71.0, radius)[0].split(":")[0])
    width = cell_size_deg(precision)[1]
    edge = -180 + width * round((-71.0 + 180) / width)
    lon = edge - short - 1e-5  # the short box ends 1 m before the edge
    widest = max(
        (destination(lat, lon, radius * 0.9999, b / 100) for b in range(8000, 10000)),
        key=lambda p: p[1],
    )
    assert widest[1] > edge  # the circle reaches into the next cell
    cells = covering_cells(lat, lon, radius)
    assert f"{precision}:{geohash(*widest, precision)}" in cells
