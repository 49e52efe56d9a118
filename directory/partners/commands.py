"""`flask partners add | list | disable | enable`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
from flask.cli import AppGroup

from .. import db
from .model import Partner
from .storage import create_partner, get_partner, list_partners, partner_json
from .validation import LAYOUTS, PartnerInvalid, parse_default_options


@click.group(cls=AppGroup, name="partners")
def partners_cli() -> None:
    """Partner sites that embed the directory."""


@partners_cli.command("add")
@click.argument("name")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    required=True,
    metavar="URL",
    help="An origin the key is used on, e.g. https://clinic.example (repeatable).",
)
@click.option(
    "--default",
    "defaults",
    multiple=True,
    metavar="KEY=VALUE",
    help="A default search parameter, e.g. couples=true or near=10001 "
    "(repeatable; repeat a key for several specialties).",
)
@click.option("--accent", default=None, help="Accent colour, #rrggbb or #rgb.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="full", show_default=True)
@click.option(
    "--rate-limit",
    default=None,
    help="Requests per key, e.g. 60/minute (default: the PARTNER_RATE_LIMIT setting).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the partner as JSON.")
def add_command(name, origins, defaults, accent, layout, rate_limit, as_json) -> None:
    """Register a partner site and print its key."""
    try:
        data: dict[str, Any] = {
            "name": name,
            "origins": list(origins),
            "layout": layout,
            "defaults": parse_default_options(defaults),
        }
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--default") from err
    if accent is not None:
        data["accent"] = accent
    if rate_limit is not None:
        data["rate_limit"] = rate_limit
    session = db.session()
    try:
        partner = create_partner(session, data)
    except PartnerInvalid as err:
        session.rollback()
        raise click.ClickException(_reasons(err)) from err
    session.commit()
    if as_json:
        click.echo(json.dumps(partner_json(partner), indent=1))
        return
    click.echo(f"Added partner {partner.name!r}. Its key:\n{partner.key}")
    click.echo(_summary(partner))


@partners_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the partners as JSON.")
def list_command(as_json: bool) -> None:
    """List partners, enabled or not."""
    partners = list_partners(db.session())
    if as_json:
        click.echo(json.dumps([partner_json(p) for p in partners], indent=1))
        return
    if not partners:
        click.echo("No partners yet: add one with `flask partners add NAME --origin URL`.")
        return
    rows = [("NAME", "KEY", "STATUS", "LIMIT", "ORIGINS", "DEFAULTS")]
    rows += [
        (
            p.name,
            p.key,
            "enabled" if p.enabled else "disabled",
            p.rate_limit,
            " ".join(p.origins or []),
            _defaults_text(p.defaults),
        )
        for p in partners
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        click.echo(
            "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        )


@partners_cli.command("disable")
@click.argument("key_or_name")
def disable_command(key_or_name: str) -> None:
    """Disable a partner: its widget and its key stop working at once."""
    _set_enabled(key_or_name, False)


@partners_cli.command("enable")
@click.argument("key_or_name")
def enable_command(key_or_name: str) -> None:
    """Enable a disabled partner again, with the same key."""
    _set_enabled(key_or_name, True)


def _set_enabled(key_or_name: str, enabled: bool) -> None:
    session = db.session()
    partner = get_partner(session, key_or_name)
    if partner is None:
        raise click.ClickException(f"No partner with the key or name {key_or_name!r}.")
    partner.enabled = enabled
    session.commit()
    click.echo(f"{'Enabled' if enabled else 'Disabled'} partner {partner.name!r} ({partner.key}).")


def _summary(partner: Partner) -> str:
    return "\n".join(
        [
            f"  origins:    {' '.join(partner.origins)}",
            f"  defaults:   {_defaults_text(partner.defaults) or '(none)'}",
            f"  theme:      accent {partner.accent or '(site default)'}, layout {partner.layout}",
            f"  rate limit: {partner.rate_limit} per key",
        ]
    )


def _defaults_text(defaults: Mapping[str, Any] | None) -> str:
    return " ".join(
        f"{k}={v}"
        for k, value in (defaults or {}).items()
        for v in (value if isinstance(value, list) else [value])
    )


def _reasons(err: PartnerInvalid) -> str:
    lines = [f"  {name}: {reason}" for name, reasons in err.fields.items() for reason in reasons]
    return "The partner was not added:\n" + "\n".join(lines)
