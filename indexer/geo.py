"""Distances and geohash cells: the coarse grid that lets a radius search touch few documents."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

EARTH_RADIUS_KM = 6371.0088
KM_PER_MILE = 1.609344
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
INDEXED_PRECISIONS = (2, 3, 4)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_km_array(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """`haversine_km` from one point to many, with the same operations in the same order."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def geohash(lat: float, lon: float, precision: int) -> str:
    """The standard base-32 geohash of a point."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    bits, code, even = 0, 0, True
    out: list[str] = []
    while len(out) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            code = code * 2 + (lon >= mid)
            lon_lo, lon_hi = (mid, lon_hi) if lon >= mid else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            code = code * 2 + (lat >= mid)
            lat_lo, lat_hi = (mid, lat_hi) if lat >= mid else (lat_lo, mid)
        even = not even
        bits += 1
        if bits == 5:
            out.append(_BASE32[code])
            bits, code = 0, 0
    return "".join(out)


def geohash_codes(lats: np.ndarray, lons: np.ndarray, precision: int) -> np.ndarray:
    """`geohash` of many points at once, each as a number (its base-32 digits read as one
    number), by the same halvings and comparisons: the same cell for every point."""
    lat_lo, lat_hi = np.full(len(lats), -90.0), np.full(len(lats), 90.0)
    lon_lo, lon_hi = np.full(len(lons), -180.0), np.full(len(lons), 180.0)
    code = np.zeros(len(lats), dtype=np.int64)
    for bit in range(5 * precision):
        if bit % 2 == 0:
            mid = (lon_lo + lon_hi) / 2
            up = lons >= mid
            lon_lo, lon_hi = np.where(up, mid, lon_lo), np.where(up, lon_hi, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            up = lats >= mid
            lat_lo, lat_hi = np.where(up, mid, lat_lo), np.where(up, lat_hi, mid)
        code = code * 2 + up
    return code


def cell_terms(lat: float, lon: float) -> list[str]:
    """The index terms of a point: "p:hash" for each indexed precision."""
    full = geohash(lat, lon, max(INDEXED_PRECISIONS))
    return [f"{p}:{full[:p]}" for p in INDEXED_PRECISIONS]


def cell_size_deg(precision: int) -> tuple[float, float]:
    """(height, width) of a geohash cell in degrees: fixed in degrees at any latitude."""
    bits = 5 * precision
    return 180.0 / 2 ** (bits // 2), 360.0 / 2 ** ((bits + 1) // 2)


@lru_cache(maxsize=4096)
def covering_cells(
    lat: float, lon: float, radius_km: float, max_cells: int = 36
) -> tuple[str, ...]:
    """Cell terms that together cover a circle, at the finest precision that keeps them few.
    Cached: a search and its suggestions ask for the same few circles again and again.

    Samples the circle's bounding box at half a cell, so that every cell it touches is in.
    """
    # The circle's bounding box on the sphere: its widest longitude lies poleward of the
    # centre, so the plain radius / (km per degree * cos(lat)) falls short by tens of metres.
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle) * 1.001
    reach = math.sin(min(angle, math.pi / 2)) / max(1e-9, math.cos(math.radians(lat)))
    dlon = 180.0 if reach >= 1 else min(180.0, math.degrees(math.asin(reach)) * 1.001)
    precision = min(INDEXED_PRECISIONS)
    for candidate in sorted(INDEXED_PRECISIONS, reverse=True):
        cell_h, cell_w = cell_size_deg(candidate)
        if (2 * dlat / cell_h + 2) * (2 * dlon / cell_w + 2) <= max_cells:
            precision = candidate
            break
    cell_h, cell_w = cell_size_deg(precision)
    cells = set()
    y = lat - dlat
    while y < lat + dlat + cell_h / 2:
        x = lon - dlon
        while x < lon + dlon + cell_w / 2:
            yy = max(-90.0, min(90.0, min(y, lat + dlat)))
            xx = min(x, lon + dlon)
            cells.add(geohash(yy, ((xx + 180) % 360) - 180, precision))
            x += cell_w / 2
        y += cell_h / 2
    return tuple(sorted(f"{precision}:{c}" for c in cells))
