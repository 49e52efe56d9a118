"""Files that look like a format the ingest does not read as CSV profiles, and what to do instead.

Read as contract CSV, the CMS NPPES file, one table of an Open Referral HSDS tabular package or
of an Ohana API CSV export would be rejected row by row ("no office"), or worse, accepted as
nonsense profiles (an Ohana location has an id, a name and coordinates). Their headers are
recognisable, so the whole file gets one ReaderError that names the format and the way in.

A header with any column only the contract has (credentials, specialties, zip, ...) is never
given a hint: it is a profile CSV with a few extra columns.
"""

from __future__ import annotations

import os

from .nppes import is_nppes_header

README = 'README.md, "Ingesting profiles"'
# Columns of the input format that no Open Referral table has.
CONTRACT_ONLY = frozenset(
    {
        "credentials",
        "pronouns",
        "photo_url",
        "bio",
        "approach",
        "specialties",
        "modalities",
        "client_types",
        "session_formats",
        "video_url",
        "telehealth_states",
        "insurance",
        "fee_min",
        "fee_max",
        "sliding_scale",
        "accepting_new_clients",
        "free_consultation",
        "address",
        "state",
        "zip",
        "lat",
        "lon",
        "phone",
        "updated_at",
    }
)
# Columns that link one Open Referral table to another (HSDS 3 and Ohana alike), and the
# columns of their organization tables; a therapist profile has none of them.
LINK_COLUMNS = frozenset(
    {
        "organization_id",
        "location_id",
        "service_id",
        "contact_id",
        "program_id",
        "phone_id",
        "service_at_location_id",
        "taxonomy_id",
        "taxonomy_ids",
        "taxonomy_term_id",
        "parent_organization_id",
        "link_id",
        "resource_id",
        "tax_status",
        "tax_id",
        "legal_status",
    }
)
# Columns only Ohana's export has (HSDS 3 renamed or dropped them).
OHANA_COLUMNS = frozenset(
    {
        "short_desc",
        "admin_emails",
        "virtual",
        "audience",
        "keywords",
        "accepted_payments",
        "service_areas",
        "country_prefix",
        "vanity_number",
        "number_type",
        "parent_name",
        "date_incorporated",
        "weekday",
    }
)
OHANA_TABLES = frozenset({"mail_addresses", "holiday_schedules", "regular_schedules"})
# Columns only HSDS 3 has.
HSDS_COLUMNS = frozenset(
    {
        "location_type",
        "external_identifier",
        "service_at_location_id",
        "year_incorporated",
        "attending_type",
        "fees_description",
        "last_modified",
        "address_type",
        "link_id",
        "link_type",
        "taxonomy_term_id",
        "assured_date",
        "schedule_link",
        "term_uri",
        "identifier_scheme",
        "last_action_date",
    }
)
_MAPPING = (
    "one profile per row (or per run of rows with the same id): id, name, and an office per "
    "row, where latitude, longitude, address_1, city, state_province and postal_code are read "
    "as lat, lon, address, city, state and zip"
)


def csv_hint(path: str | os.PathLike, header: list[str]) -> str | None:
    """What to do instead, when a CSV header is NPPES, HSDS tabular or Ohana; else None."""
    columns = {c.strip().lower() for c in header}
    name = os.path.basename(os.fspath(path))
    if is_nppes_header(header):
        return (
            "this is the CMS NPPES downloadable file (NPI, Entity Type Code, Provider ... "
            "columns): use --format nppes, which lists individual behavioural-health providers"
        )
    if columns & CONTRACT_ONLY:
        return None
    beside_package = os.path.exists(os.path.join(os.path.dirname(path), "datapackage.json"))
    if not (columns & LINK_COLUMNS or beside_package):
        return None
    table = os.path.splitext(name.lower().removesuffix(".gz"))[0]
    if columns & OHANA_COLUMNS or table in OHANA_TABLES:
        return ohana_hint(name)
    if beside_package or columns & HSDS_COLUMNS:
        return hsds_tabular_hint(name)
    return (
        f"{name} looks like one table of an Open Referral tabular export (HSDS CSV package or "
        "Ohana API CSV: organizations, locations, addresses, phones, services ..., linked by "
        f"*_id columns). The ingest does not join tables; it reads the input format's CSV - "
        f"{_MAPPING} - or HSDS JSON with --format hsds. See {README}."
    )


def hsds_tabular_hint(name: str) -> str:
    """The hint for a file of an HSDS tabular package (its CSV tables or datapackage.json)."""
    return (
        f"{name} is part of an Open Referral HSDS tabular package (datapackage.json with one CSV "
        "per table: organizations.csv, services.csv, locations.csv, service_at_location.csv, "
        "addresses.csv, phones.csv ..., linked by *_id columns). The ingest does not join "
        "tables: give it the same data as HSDS JSON (services with their organization and "
        f"locations) with --format hsds, or as the input format's CSV - {_MAPPING}. "
        f"See {README}."
    )


def ohana_hint(name: str) -> str:
    """The hint for a file of an Ohana API CSV export."""
    return (
        f"{name} is one table of an Ohana API CSV export (Code for America; organizations.csv, "
        "locations.csv, addresses.csv, services.csv, phones.csv, contacts.csv ..., linked by "
        "organization_id and location_id). The ingest does not join tables: it reads the input "
        f"format's CSV - {_MAPPING} - or HSDS JSON with --format hsds. Join each location with "
        f"its address (addresses.csv) and services into one of those. See {README}."
    )
