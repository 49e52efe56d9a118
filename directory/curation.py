"""`flask taxonomy unknown | apply`: the operator's loop for words the taxonomy does not know
(indexer/remap.py does the work)."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from indexer.index import IndexLocked
from indexer.remap import apply_taxonomy, unknown_terms

from . import db
from .commands import command_store
from .parts import taxonomy


def init_app(app: Flask) -> None:
    app.cli.add_command(taxonomy_cli)


@click.group(cls=AppGroup, name="taxonomy")
def taxonomy_cli() -> None:
    """The taxonomy: the words it does not know yet, and applying an edited one."""


@taxonomy_cli.command("unknown")
@click.option("--source", default=None, help="Only profiles of this source.")
@click.option("--limit", default=50, show_default=True, help="Words to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def unknown_command(source: str | None, limit: int, as_json: bool) -> None:
    """Words profiles use that the taxonomy maps to nothing, by how many profiles carry them,
    with the closest taxonomy terms."""
    with db.sessions()() as session:
        found = unknown_terms(session, taxonomy(), source=source, limit=limit)
    if as_json:
        click.echo(json.dumps([u.as_dict() for u in found], indent=1))
        return
    if not found:
        click.echo("Every word of every profile maps to a taxonomy term.")
        return
    for entry in found:
        near = ", ".join(f"{c['label']} ({c['kind']}:{c['value']})" for c in entry.candidates)
        click.echo(
            f"{entry.profiles:6d}  {entry.text}  [{', '.join(sorted(entry.fields))}]"
            + (f"  near: {near}" if near else "")
        )


@taxonomy_cli.command("apply")
def apply_command() -> None:
    """After editing the taxonomy: map the stored words of every profile again, and index
    again only the profiles whose terms changed (no input file is read)."""
    result = apply_taxonomy(db.sessions(), taxonomy())
    click.echo(f"checked {result.checked} profiles; {result.remapped} mapped differently")
    try:
        synced = command_store().sync(db.sessions())
    except IndexLocked as err:
        raise click.ClickException(f"{err} The changes wait in the change log.") from err
    click.echo(f"index {synced.generation}: {synced.applied} changes applied")
