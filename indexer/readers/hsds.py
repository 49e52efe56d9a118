"""Open Referral HSDS 3.0 JSON -> therapist profiles in the input format of CONTRACT.md.

HSDS describes organisations that deliver services at locations. A profile here is one service:
its id, its name (else the organisation's), its description as the bio, its contacts, the physical
locations it is delivered at, its languages. The mapping only moves values across; it never
validates them (the validator rejects, for instance, the official example's latitude 100).
Pure functions over parsed JSON, so they are testable without files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

#: Keys of an HSDS API list page besides "contents" (one is enough to call it a page).
PAGING_KEYS = frozenset(
    {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty"}
)


def is_page_shape(kinds: Mapping[str, str]) -> bool:
    """True for a paginated list page. `kinds` maps top-level keys to their value's first char."""
    return kinds.get("contents") == "[" and not PAGING_KEYS.isdisjoint(kinds)


def is_hsds_shape(kinds: Mapping[str, str]) -> bool:
    """True when an object's keys say HSDS: an organization with "services", a service with an
    embedded "organization", a service_at_location, or a list page.

    Value kinds are checked too, because a therapist profile may well carry an unknown
    "organization" text field, and profiles have "locations" of their own.
    """
    return (
        kinds.get("services") == "["
        or kinds.get("organization") == "{"
        or (kinds.get("service") == "{" and kinds.get("location") == "{")
        or is_page_shape(kinds)
    )


def hsds_items(value: Any) -> Iterator[tuple[dict | None, Any, str | None]]:
    """Expand one HSDS JSON value into (profile, original, error) triples.

    A page yields its contents; an organization yields one profile per service (or itself when it
    lists none); a service or service_at_location yields one. `original` is the HSDS object the
    profile came from, unchanged; `error` (then profile is None) says why it is not a profile.
    """
    if not isinstance(value, dict):
        yield None, value, f"not a JSON object (got {type_name(value)})"
    elif isinstance(value.get("contents"), list):
        for item in value["contents"]:
            yield from hsds_items(item)
    elif isinstance(value.get("services"), list) and value["services"]:
        organization = {k: v for k, v in value.items() if k != "services"}
        for service in value["services"]:
            if isinstance(service, dict):
                yield hsds_to_profile(service, organization=organization), service, None
            else:
                yield None, service, f"HSDS service is not an object (got {type_name(service)})"
    elif "service" not in value and ("location_type" in value or "addresses" in value):
        yield None, value, "an HSDS location on its own, not a service or organization"
    else:
        yield hsds_to_profile(value), value, None


def hsds_to_profile(obj: dict, organization: dict | None = None) -> dict:
    """Map an HSDS service, service_at_location or organization to a profile dict.

    `organization` is the enclosing organization when the service was nested in one. Offices come
    from the service's service_at_locations (or the service_at_location's location), else from the
    organization's own locations. Name, bio (description), email, website and phone fall back
    to the organization's. Empty values are left out, as in the input format.
    """
    if isinstance(obj.get("service"), dict):  # service_at_location: a service at one location
        service, locations = obj["service"], [obj.get("location")]
    else:
        service = obj
        locations = [sal.get("location") for sal in _dicts(obj.get("service_at_locations"))]
    org = organization or _dict(service.get("organization"))
    if not any(isinstance(loc, dict) for loc in locations):
        locations = list(_dicts(org.get("locations")))
    offices = [o for o in map(_office, locations) if o]
    profile = {
        "id": service.get("id") or obj.get("id"),
        "name": service.get("name") or org.get("name"),
        "bio": service.get("description") or obj.get("description") or org.get("description"),
        "email": service.get("email") or org.get("email"),
        "website": service.get("url") or service.get("website") or org.get("website"),
        "phone": _first_phone(service, obj, org),
        "languages": _languages(service, locations),
        "specialties": _unique(
            _dict(a.get("taxonomy_term")).get("name") for a in _dicts(service.get("attributes"))
        ),
        "session_formats": _formats(locations),
        "locations": offices,
        "updated_at": service.get("last_modified"),
        **_fees(service),
    }
    return {k: v for k, v in profile.items() if v not in (None, "", [])}


def type_name(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _office(location: Any) -> dict | None:
    """One office from a physical HSDS location: its physical address (else its first one)."""
    if not isinstance(location, dict) or location.get("location_type") not in (None, "physical"):
        return None
    addresses = list(_dicts(location.get("addresses")))
    # HSDS addresses are typed; a postal-only address still beats no address at all.
    physical = [a for a in addresses if a.get("address_type") == "physical"]
    address = (physical or addresses or [{}])[0]
    street = ", ".join(str(p) for p in (address.get("address_1"), address.get("address_2")) if p)
    office = {
        "address": street,
        "city": address.get("city"),
        "state": address.get("state_province"),
        "zip": address.get("postal_code"),
        "lat": location.get("latitude"),
        "lon": location.get("longitude"),
    }
    return {k: v for k, v in office.items() if v not in (None, "")} or None


def _first_phone(*owners: dict) -> str | None:
    for owner in owners:
        for phone in _dicts(owner.get("phones")):
            if phone.get("number"):
                return phone["number"]
    return None


def _languages(service: dict, locations: list[Any]) -> list[str]:
    langs = list(_dicts(service.get("languages")))
    if not langs:  # fall back to what is spoken where the service is delivered
        langs = [lang for loc in _dicts(locations) for lang in _dicts(loc.get("languages"))]
    return _unique(lang.get("name") or lang.get("code") for lang in langs)


def _formats(locations: list[Any]) -> list[str]:
    kinds = {loc.get("location_type") or "physical" for loc in _dicts(locations)}
    # HSDS "virtual" locations are online delivery; a physical one means clients can come in.
    return [fmt for kind, fmt in (("physical", "in_person"), ("virtual", "video")) if kind in kinds]


def _fees(service: dict) -> dict:
    """fee_min / fee_max from cost options, only when they are in dollars (or say no currency)."""
    amounts = [
        c["amount"]
        for c in _dicts(service.get("cost_options"))
        if c.get("amount") is not None and str(c.get("currency") or "usd").lower() == "usd"
    ]
    try:
        return {"fee_min": min(amounts), "fee_max": max(amounts)} if amounts else {}
    except TypeError:  # mixed numbers and text: leave it to the validator to reject
        return {"fee_min": amounts[0]}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> Iterator[dict]:
    return (v for v in value if isinstance(v, dict)) if isinstance(value, list) else iter(())


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and v.strip()))
