"""Geocoding: place an office, or resolve what a user typed in the search box.

Offline by default: `indexer.gazetteer` gives ZIP and city centroids with no network. An online
geopy geocoder (e.g. Nominatim) can be plugged in for street-level precision; any failure of it
falls back to the offline answer, so ingest never stops because a web service is down.
"""

from __future__ import annotations

import functools
import logging
import math
import queue
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geopy.adapters import URLLibAdapter
from geopy.distance import great_circle
from geopy.exc import GeocoderNotFound, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import SERVICE_TO_GEOCODER, get_geocoder_for_service
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from indexer import gazetteer
from indexer.lru import BoundedCache
from indexer.textnorm import clean_text

log = logging.getLogger(__name__)

PRECISIONS = ("exact", "address", "zip", "city", "state")  # "exact" = coordinates in the input

# Seconds an online geocoder may take to answer one query, and how long a failure is
# remembered (the service is not asked again for that query meanwhile).
DEFAULT_TIMEOUT = 5.0
FAILURE_TTL = 600.0
# Addresses waiting to be looked up in the background for visitors' searches.
PREFETCH_QUEUE = 1000

# An online answer further than this from the office's own ZIP/city centroid is taken to be a
# same-named street elsewhere, and the offline centroid is used instead.
MAX_ONLINE_DRIFT_KM = 50.0
# A reverse lookup further than this from every ZIP centroid is not in the US.
MAX_REVERSE_KM = 50.0

_ZIP_AT_END = re.compile(r"(?:^|[\s,])(\d{5})(?:-\d{4})?$")
_COUNTRY_AT_END = re.compile(
    r"[\s,]+(?:usa|u\.s\.a\.?|u\.s\.|us|united states(?: of america)?)$", re.IGNORECASE
)
_COORDINATES = re.compile(r"(-?\d{1,2}\.\d+)\s*[,\s]\s*(-?\d{1,3}\.\d+)")
_HOUSE_NUMBER = re.compile(r"^\d+[A-Za-z]?(?:-\d+)?\s+\S")


@dataclass(frozen=True)
class Placement:
    """A point and how precisely it is known (one of PRECISIONS), with a human label."""

    lat: float
    lon: float
    precision: str
    label: str  # e.g. "New York, NY 10001"
    state: str | None = None
    zip: str | None = None
    city: str | None = None


class OfflineGeocoder(Geocoder):
    """geopy Geocoder over the bundled gazetteer; no network."""

    def __init__(self, *, user_agent: str | None = None) -> None:
        super().__init__(user_agent=user_agent)

    def geocode(
        self, query: str | dict[str, Any], *, exactly_one: bool = True, timeout: Any = None
    ) -> Location | list[Location] | None:
        """A ZIP, "City, ST" (typo tolerant), a state, or an address (by its ZIP, else city).

        Each Location's .raw holds precision, state, zip, city and label. With
        exactly_one=False all candidates are returned (ambiguous "Springfield" gives several).
        """
        if isinstance(query, dict):  # geopy's structured query form
            query = ", ".join(str(v) for v in query.values() if v)
        locations = [_to_location(p) for p in _resolve_offline(query)]
        if not locations:
            return None
        return locations[0] if exactly_one else locations

    def reverse(
        self, query: Any, *, exactly_one: bool = True, timeout: Any = None
    ) -> Location | list[Location] | None:
        """The nearest ZIP centroid to a point ("lat, lon", (lat, lon) or Point); None off-US."""
        point = Point(query)
        info = gazetteer.get_gazetteer().nearest_zip(point.latitude, point.longitude)
        if great_circle((info.lat, info.lon), point).km > MAX_REVERSE_KM:
            return None
        location = _to_location(_zip_placement(info))
        return location if exactly_one else [location]


class CachedRateLimitedGeocoder:
    """An online geopy geocoder behind a rate limit, a hard timeout and a cache of its answers,
    failures included (for FAILURE_TTL seconds: a service that is down is not asked again for
    each office of an ingest).

    Two ways to ask: `geocode` waits (the ingest: rate limit and timeout included), and
    `cached` + `prefetch` never wait (a visitor's search: the answer is used when it is
    cached; otherwise a background thread asks for it, within the rate limit, so that the next
    search has it, and the search goes on with the offline answer).
    """

    def __init__(
        self,
        geocoder: Geocoder,
        *,
        min_delay_seconds: float,
        cache_size: int,
        timeout: float = DEFAULT_TIMEOUT,
        failure_ttl: float = FAILURE_TTL,
    ) -> None:
        self.geocoder, self.timeout, self.failure_ttl = geocoder, timeout, failure_ttl
        limit = functools.partial(
            RateLimiter,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            swallow_exceptions=False,
        )
        self._geocode = limit(geocoder.geocode)
        reverse = getattr(geocoder, "reverse", None)  # not every geopy service has one
        self._reverse = limit(reverse) if reverse else None
        # query -> (answer or None, when it stops counting: inf for answers)
        self._answers: BoundedCache[str, tuple[Any, float]] = BoundedCache(cache_size)
        self._pending: queue.Queue[str] = queue.Queue(maxsize=PREFETCH_QUEUE)
        self._queued: set[str] = set()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def geocode(self, query: Any, *, exactly_one: bool = True, timeout: Any = None) -> Any:
        """Like geopy's geocode, waiting for the rate limit and at most `timeout` seconds for
        the service. A failure is None (and remembered for a while), never an exception."""
        if not isinstance(query, str):
            return self._ask(query, exactly_one, timeout)
        key = clean_text(query)
        found, answer = self.cached(key)
        if not found:
            answer = self._ask(key, exactly_one, timeout)
        return answer if exactly_one or answer is None or isinstance(answer, list) else [answer]

    def cached(self, query: str) -> tuple[bool, Any]:
        """(True, answer) when the answer to `query` is known, else (False, None); never
        waits."""
        item = self._answers.get(clean_text(query))
        if item is None or item[1] < time.monotonic():
            return False, None
        return True, item[0]

    def prefetch(self, query: str) -> None:
        """Ask for `query` in the background (once; dropped when too many are waiting)."""
        key = clean_text(query)
        with self._lock:
            if key in self._queued:
                return
            try:
                self._pending.put_nowait(key)
            except queue.Full:
                return
            self._queued.add(key)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, daemon=True, name="geocoder-prefetch"
                )
                self._worker.start()

    def reverse(self, query: Any, *, exactly_one: bool = True, timeout: Any = None) -> Any:
        """Like geopy's reverse (rate-limited, not cached)."""
        if self._reverse is None:
            raise NotImplementedError(f"{type(self.geocoder).__name__} cannot reverse-geocode")
        return self._reverse(query, exactly_one=exactly_one, timeout=timeout or self.timeout)

    def _ask(self, query: Any, exactly_one: bool, timeout: Any) -> Any:
        try:
            answer = self._geocode(query, exactly_one=exactly_one, timeout=timeout or self.timeout)
        except (GeopyError, OSError) as exc:
            log.warning("online geocoding failed, using the offline gazetteer: %s", exc)
            if isinstance(query, str):
                self._answers.put(query, (None, time.monotonic() + self.failure_ttl))
            return None
        if isinstance(query, str):
            self._answers.put(query, (answer, math.inf))
        return answer

    def _work(self) -> None:
        while True:
            key = self._pending.get()
            try:
                if not self.cached(key)[0]:
                    self._ask(key, True, None)
            finally:
                with self._lock:
                    self._queued.discard(key)


def make_geocoder(
    spec: str = "offline",
    *,
    user_agent: str = "therapist-directory",
    min_delay_seconds: float = 1.0,
    cache_size: int = 10000,
    timeout: float = DEFAULT_TIMEOUT,
) -> Any:
    """A geocoder from a config string. No network calls are made here.

    "offline" -> OfflineGeocoder; "nominatim" or "nominatim:https://host/path" (own server);
    any other geopy service name ("photon", "pelias:https://host") likewise. Online ones are
    rate-limited and cached. Unknown names, bad URLs or services needing an API key raise
    ValueError.
    """
    name, _, url = spec.strip().partition(":")
    name = name.lower()
    if name == "offline":
        return OfflineGeocoder(user_agent=user_agent)
    try:
        cls = get_geocoder_for_service(name)
    except GeocoderNotFound:
        known = ", ".join(sorted(SERVICE_TO_GEOCODER))
        raise ValueError(
            f"Unknown geocoder {spec!r}: use 'offline', 'nominatim', "
            f"'nominatim:https://host/path' or a geopy service ({known})."
        ) from None
    # geopy's urllib adapter: one request per query. Its requests adapter retries a timed-out
    # request twice, which made a service that does not answer cost three timeouts.
    kwargs: dict[str, Any] = {"user_agent": user_agent, "adapter_factory": URLLibAdapter}
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"Geocoder URL in {spec!r} must look like https://host/path.")
        kwargs.update(scheme=parts.scheme, domain=(parts.netloc + parts.path).rstrip("/"))
    try:
        geocoder = cls(**kwargs)
    except (TypeError, GeopyError) as exc:
        raise ValueError(
            f"Geocoder {name!r} cannot be built from {spec!r} alone (it may need an API key): {exc}"
        ) from exc
    return CachedRateLimitedGeocoder(
        geocoder, min_delay_seconds=min_delay_seconds, cache_size=cache_size, timeout=timeout
    )


def place_office(office: dict, geocoder: Any = None) -> Placement | None:
    """Coordinates for an office: given ones ("exact"), else an online street match
    ("address", only with an online geocoder), else its ZIP ("zip"), else its city ("city").

    Returns None rather than a state centroid: a therapist put 200 miles off is worse than one
    flagged as not geolocated.
    """
    lat, lon = office.get("lat"), office.get("lon")
    city, zip_code = office.get("city"), office.get("zip")
    state = gazetteer.state_code(office.get("state")) or office.get("state")
    if lat is not None and lon is not None and _valid_point(lat, lon):
        return Placement(
            float(lat),
            float(lon),
            "exact",
            _label(city, state, zip_code) or f"{lat:.5f}, {lon:.5f}",
            state=state,
            zip=zip_code,
            city=city,
        )
    offline = _place_offline(office.get("address"), city, state, zip_code)
    if office.get("address") and _is_online(geocoder):
        query = ", ".join(p for p in (office["address"], city, _label(None, state, zip_code)) if p)
        online = _ask_online(geocoder, query, near=offline)
        if online:
            return Placement(
                online.latitude,
                online.longitude,
                "address",
                online.address or query,
                state=state,
                zip=zip_code,
                city=city,
            )
    return offline


def resolve_place(query: str, geocoder: Any = None, wait: bool = False) -> list[Placement]:
    """Candidates for what a user typed: ZIP, "City, ST", address, bare state, or "lat, lon".

    [] means an unknown place; more than one means ambiguous, best first. A bare state
    ("Vermont", "VT") gives one Placement of precision "state". An online geocoder, if given,
    is asked only for street addresses, falling back to the offline answer; unless `wait`,
    only its cached answers are used (the address is then looked up in the background for
    next time), so a visitor's search never waits for a web service.
    """
    offline = _resolve_offline(query)
    text = clean_text(query or "")
    if _is_online(geocoder) and _HOUSE_NUMBER.match(text):
        near = offline[0] if len(offline) == 1 else None
        online = _ask_online(geocoder, text, near=near, wait=wait)
        if online:
            return [
                Placement(
                    online.latitude,
                    online.longitude,
                    "address",
                    online.address or text,
                    state=getattr(near, "state", None),
                    zip=getattr(near, "zip", None),
                    city=getattr(near, "city", None),
                )
            ]
    return offline


# --- offline resolution ---------------------------------------------------------------------


def _resolve_offline(query: str) -> list[Placement]:
    """Everything the gazetteer can say about free text, best first."""
    text = _COUNTRY_AT_END.sub("", clean_text(query or "")).strip(" ,")
    if not text:
        return []
    if point := _COORDINATES.fullmatch(text):
        lat, lon = float(point.group(1)), float(point.group(2))
        valid = _valid_point(lat, lon)
        return [Placement(lat, lon, "exact", f"{lat:.5f}, {lon:.5f}")] if valid else []
    gaz = gazetteer.get_gazetteer()
    zip_match = _ZIP_AT_END.search(text)
    rest = (text[: zip_match.start()] if zip_match else text).strip(" ,")
    info = gaz.lookup_zip(zip_match.group(1)) if zip_match else None
    if info and info.lat is None:
        info = None  # a military/unlocated ZIP says nothing about where; try the city
    if not rest:
        return [_zip_placement(info)] if info else []
    if info is None and (code := gazetteer.state_code(rest)) and (st := gaz.state(code)):
        return [Placement(st.lat, st.lon, "state", st.name, state=code)]
    places = gaz.match_place(rest)
    # A ZIP beats a city name, unless the text names one city in another state than the ZIP's
    # (a typo in the ZIP is likelier than one in both the city and the state).
    if info and not (len(places) == 1 and places[0].state != info.state):
        return [_zip_placement(info)]
    return [_city_placement(p) for p in places]


def _place_offline(
    address: str | None, city: str | None, state: str | None, zip_code: str | None
) -> Placement | None:
    """ZIP, else unambiguous city (+ state), else whatever a full address line says."""
    gaz = gazetteer.get_gazetteer()
    info = gaz.lookup_zip(zip_code)
    if info and info.lat is not None and (state is None or info.state == state):
        return _zip_placement(info)
    places = gaz.find_places(city, state) if city else []
    if info and info.lat is not None and not places:
        return _zip_placement(info)  # ZIP and state disagree, and the city settles nothing
    if len(places) == 1:
        return _city_placement(places[0])
    if address:  # feeds that put "City, ST ZIP" in the address line
        found = [p for p in _resolve_offline(address) if p.precision in ("zip", "city")]
        if len(found) == 1:
            return found[0]
    return None


# --- helpers --------------------------------------------------------------------------------


def _zip_placement(info: gazetteer.ZipInfo) -> Placement:
    """A located ZIP (callers check that `info.lat` is known) as a placement."""
    assert info.lat is not None and info.lon is not None
    return Placement(
        info.lat,
        info.lon,
        "zip",
        _label(info.city, info.state, info.zip),
        state=info.state,
        zip=info.zip,
        city=info.city,
    )


def _city_placement(place: gazetteer.Place) -> Placement:
    return Placement(
        place.lat,
        place.lon,
        "city",
        _label(place.city, place.state, None),
        state=place.state,
        city=place.city,
    )


def _label(city: str | None, state: str | None, zip_code: str | None) -> str:
    """ "New York, NY 10001", "New York, NY", "NY 10001" ... from whichever parts exist."""
    tail = " ".join(p for p in (state, zip_code) if p)
    return ", ".join(p for p in (city, tail) if p)


def _to_location(p: Placement) -> Location:
    raw = {
        "precision": p.precision,
        "state": p.state,
        "zip": p.zip,
        "city": p.city,
        "label": p.label,
    }
    return Location(p.label, Point(p.lat, p.lon), raw)


def _valid_point(lat: Any, lon: Any) -> bool:
    # (0, 0) is the usual placeholder of a missing point, never a US office.
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0)


def _is_online(geocoder: Any) -> bool:
    return geocoder is not None and not isinstance(geocoder, OfflineGeocoder)


def _ask_online(
    geocoder: Any, query: str, near: Placement | None, wait: bool = True
) -> Location | None:
    """The online geocoder's answer, or None on no answer, any failure, or an answer far
    from `near` (the offline centroid: a far answer is a same-named street elsewhere).
    Without `wait`, only a cached answer (see CachedRateLimitedGeocoder)."""
    if not wait:
        if not isinstance(geocoder, CachedRateLimitedGeocoder):
            return None  # nothing cached to look at, and no waiting
        found, answer = geocoder.cached(query)
        if not found:
            geocoder.prefetch(query)
            return None
    else:
        try:
            answer = geocoder.geocode(query, exactly_one=True)
        except (GeopyError, OSError) as exc:
            log.warning("online geocoding failed, using the offline gazetteer: %s", exc)
            return None
    if isinstance(answer, list):
        answer = answer[0] if answer else None
    if answer is None or not _valid_point(answer.latitude, answer.longitude):
        return None
    if near and great_circle(answer.point, (near.lat, near.lon)).km > MAX_ONLINE_DRIFT_KM:
        log.info("online answer for %r is far from its ZIP/city; using the centroid", query)
        return None
    return answer
