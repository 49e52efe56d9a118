"""Every setting, declared once with its default and help text.

Values come, in order of precedence, from the test mapping, `DIRECTORY_*` environment variables
(Flask's `from_prefixed_env`, which parses JSON values), `instance/config.py`, and the defaults
below. The README's settings table is checked against this list by the tests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = (
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL. Default: an SQLite file `directory.sqlite3` in the instance folder; "
        "production: `postgresql+psycopg://user@host/db`.",
    ),
    Setting(
        "INDEX_DIR",
        None,
        "Directory of this node's Whoosh index generations. Default: `index/` in the "
        "instance folder.",
    ),
    Setting(
        "GEOCODER",
        "offline",
        "`offline` (bundled gazetteer, no network) or a geopy geocoder such as "
        "`nominatim:https://nominatim.example.org` (rate-limited and cached).",
    ),
    Setting("GEOCODER_MIN_DELAY", 1.0, "Seconds between requests to an online geocoder."),
    Setting(
        "GEOCODER_TIMEOUT",
        5.0,
        "Seconds an online geocoder may take to answer; a failure is remembered for 10 "
        "minutes. Visitors' searches never wait for it (see README: Geocoding).",
    ),
    Setting(
        "ADMIN_TOKEN",
        None,
        "Bearer token for the admin API. Unset: the admin API refuses every request.",
    ),
    Setting(
        "REDIS_URL", None, "Optional Redis URL for rate limits and caches shared across nodes."
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Flask secret key. Unset: a random key per process (the app keeps no sessions).",
    ),
    Setting(
        "TAXONOMY_PATH", None, "Taxonomy TOML file. Default: the bundled `data/taxonomy.toml`."
    ),
    Setting(
        "RATE_LIMIT",
        "120/minute",
        "Requests per client address to the JSON API (flask-limiter syntax, e.g. "
        '"120/minute;10/second"); empty switches limits off.',
    ),
    Setting(
        "PARTNER_RATE_LIMIT",
        "60/minute",
        "Requests per partner key for partners added without their own limit "
        "(flask-limiter syntax); on top of RATE_LIMIT per client address.",
    ),
    Setting(
        "SEARCH_CACHE_SIZE",
        2000,
        "Search responses kept per process, keyed by the index state and the query; 0 "
        "switches the cache off.",
    ),
    Setting(
        "MAP_TILE_URL",
        None,
        "Map tiles for the results map, e.g. `https://tiles.example.org/{z}/{x}/{y}.png`. "
        "Unset: markers on a plain background, nothing fetched from another host.",
    ),
    Setting(
        "MAP_ATTRIBUTION",
        "",
        "Attribution shown on the map for the configured tiles (HTML allowed).",
    ),
    Setting(
        "PHOTO_ORIGINS",
        [],
        "Origins allowed to serve profile photos to visitors, e.g. "
        '`["https://img.example.org"]`. Other photos are replaced by initials, so '
        "pages load nothing from hosts you did not choose.",
    ),
    Setting(
        "TRUSTED_HOSTS",
        None,
        'Host names this service answers for, e.g. `["directory.example.org"]` (a leading '
        "dot allows subdomains). Unset: any Host. Set it in production: a request for another "
        "host is a 400, so a forged Host header never reaches links, cards or caches.",
    ),
    Setting(
        "BULK_INGEST_BYTES",
        8 * 1024 * 1024,
        "Inputs at least this large (in bytes, about 4,000 profiles for the default) are "
        "indexed by two writer processes while they are stored; smaller ones are applied "
        "from the change log when the run ends.",
    ),
    Setting(
        "INDEX_LOCK_TIMEOUT",
        600,
        "Seconds a command (ingest, index sync or rebuild) waits for another writer holding "
        "this node's index lock before it gives up, naming the holder. Web requests that "
        "write (the admin API) wait 3 seconds at most; their changes wait in the change log.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Number of reverse proxies in front of the service whose `X-Forwarded-For` and "
        "`X-Forwarded-Proto` are trusted (Werkzeug's ProxyFix). 0: the connecting address is "
        "the client's, and a forged `X-Forwarded-For` changes nothing. Behind one nginx: 1.",
    ),
    Setting(
        "READY_MAX_LAG_CHANGES",
        None,
        "`/readyz` answers 503 when this node's index is more than this many change-log rows "
        "behind the database. Unset: no limit.",
    ),
    Setting(
        "READY_MAX_LAG_SECONDS",
        None,
        "`/readyz` answers 503 when the oldest change this node's index has not applied is "
        "older than this many seconds. Unset: no limit.",
    ),
    Setting("SOURCE", "default", "Default `--source` name for `ingest`."),
)


def defaults() -> dict[str, Any]:
    """The default value of every setting."""
    return {s.name: s.default for s in SETTINGS}


def configure(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Defaults, then instance/config.py, then DIRECTORY_* variables, then `test_config`,
    which wins; then the paths that default to the instance folder, created if missing."""
    app.config.from_mapping(defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DIRECTORY")
    if test_config is not None:
        app.config.from_mapping(test_config)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'directory.sqlite3'}"
    app.config["DATABASE_URL"] = str(app.config["DATABASE_URL"])
    app.config["INDEX_DIR"] = str(app.config["INDEX_DIR"] or instance / "index")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if app.config["ADMIN_TOKEN"] is not None:
        app.config["ADMIN_TOKEN"] = str(app.config["ADMIN_TOKEN"])
    app.config["TRUSTED_PROXIES"] = int(app.config["TRUSTED_PROXIES"] or 0)
    for name in ("READY_MAX_LAG_CHANGES", "READY_MAX_LAG_SECONDS"):
        if app.config[name] not in (None, ""):
            app.config[name] = float(app.config[name])
        else:
            app.config[name] = None
    if app.config["TRUSTED_PROXIES"] < 0:
        raise ValueError("DIRECTORY_TRUSTED_PROXIES is a number of proxies: 0 or more")
    os.makedirs(app.config["INDEX_DIR"], exist_ok=True)
