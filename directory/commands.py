"""The `flask --app directory ...` commands: a thin layer over the `indexer` library."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from indexer.index import IndexLocked, IndexStore, IndexUnavailable
from indexer.index.locking import describe as describe_holder
from indexer.pipeline import run_ingest
from indexer.readers import FORMATS, ReaderError, file_size

from . import db
from .parts import geocoder, index_store, taxonomy


def init_app(app: Flask) -> None:
    app.cli.add_command(ingest_command)
    app.cli.add_command(index_cli)
    app.cli.add_command(sample_command)


@click.command("ingest")
@with_appcontext
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    default=None,
    help="Name of the source; with each record's id it "
    "identifies a profile across re-ingests (default: the SOURCE setting).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input format; auto detects it from the extension and the content.",
)
@click.option(
    "--rejects",
    "rejects",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON Lines file for rejected records (default: rejects/ in the instance "
    "folder, named after the run).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Validate and count; write nothing (rejects only to an explicit --rejects FILE).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest_command(paths, source, fmt, rejects, dry_run, as_json) -> None:
    """Read, normalise, validate, geocode and store profiles, and update the search index.

    Exits 0 when the run completed, even with rejects; 1 when nothing could be processed.
    """
    source = source or current_app.config["SOURCE"]
    if rejects is None and not dry_run:  # a dry run writes nothing unless told where
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        rejects = Path(current_app.instance_path) / "rejects" / f"{source}-{stamp}.jsonl"
    total = sum(file_size(p) for p in paths)
    bar = (
        click.progressbar(
            length=total, label="ingest", file=sys.stderr, show_pos=False, show_percent=True
        )
        if sys.stderr.isatty()
        else None
    )
    try:
        if bar is not None:
            bar.__enter__()
        with stop_on_sigterm():
            summary = run_ingest(
                paths,
                sessions=db.sessions(),
                taxonomy=taxonomy(),
                geocoder=geocoder(),
                source=source,
                fmt=fmt,
                rejects_path=rejects,
                dry_run=dry_run,
                index=command_store(),
                bulk_bytes=int(current_app.config["BULK_INGEST_BYTES"]),
                progress=bar.update if bar is not None else None,
            )
    except ReaderError as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        # The run is recorded as failed, with this error, before it gets here.
        raise click.ClickException(f"ingest failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo("\n".join(summary.lines()))
    if summary.read and not summary.accepted:
        sys.exit(1)
    if not summary.read:
        click.echo("nothing could be read from the input", err=True)
        sys.exit(1)


def command_store() -> IndexStore:
    """This node's index for a command: a writer that must wait for the node's lock says
    whom it waits for, on stderr, and gives up after INDEX_LOCK_TIMEOUT seconds."""
    store = index_store()

    def tell(holder: dict) -> None:
        wait = f"up to {store.lock_timeout:g} s" if store.lock_timeout is not None else "until"
        click.echo(
            f"waiting for the index lock, held by {describe_holder(holder)} ({wait} it "
            "is free; Ctrl-C to stop)",
            err=True,
        )

    store.on_wait = tell
    return store


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """While a command runs, SIGTERM (a service manager stopping it) ends it like Ctrl-C: an
    ingest is recorded as interrupted and its writer processes are stopped, instead of dying
    mid-write. The previous handler comes back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@click.group(cls=AppGroup, name="index")
def index_cli() -> None:
    """This node's Whoosh index."""


@index_cli.command("rebuild")
@click.option("--procs", default=2, show_default=True, help="Writer processes.")
def rebuild_command(procs: int) -> None:
    """Rebuild the index from the database into a new generation and switch to it atomically;
    searches keep answering from the old generation meanwhile."""
    try:
        result = command_store().rebuild(db.sessions(), procs=procs)
    except IndexLocked as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"built {result.generation}: {result.applied} therapists in "
        f"{result.seconds:.1f} s (change log at {result.change_id})"
    )


@index_cli.command("sync")
@click.option("--follow", is_flag=True, help="Keep following the change log until stopped.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
def sync_command(follow: bool, interval: float) -> None:
    """Bring this node's index up to date with changes made to the database elsewhere.

    With --follow it keeps doing so, as a long-running process beside the web workers: it
    writes a heartbeat (HEARTBEAT in the index directory: time, position, status) after each
    poll, survives a database that is briefly down, and stops cleanly on SIGTERM or Ctrl-C,
    after the sync under way."""
    if follow:
        follow_changes(index_store(), db.sessions(), interval)
        return
    try:
        result = command_store().sync(db.sessions())
    except IndexLocked as err:
        raise click.ClickException(str(err)) from err
    click.echo(
        f"{result.generation}: applied {result.applied} changes (change log at {result.change_id})"
    )


# A follower waits this long for the node's lock (held by an ingest or a rebuild's switch)
# before it beats "waiting" and tries again.
FOLLOW_LOCK_WAIT = 5.0


def follow_changes(store: IndexStore, sessions: sessionmaker[Session], interval: float) -> None:
    """`index sync --follow`: sync, beat, sleep, until SIGTERM or SIGINT."""
    stop = threading.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    click.echo(
        f"following the change log into {store.root} every {interval:g} s "
        f"(pid {os.getpid()}; SIGTERM stops)",
        err=True,
    )
    said = None  # the last trouble reported, so that a long one is said once
    try:
        while not stop.is_set():
            try:
                result = store.sync(sessions, lock_timeout=FOLLOW_LOCK_WAIT)
            except (IndexLocked, IndexUnavailable, SQLAlchemyError, OSError) as err:
                status = "waiting" if isinstance(err, IndexLocked) else "error"
                message = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                store.write_heartbeat(status=status, error=message, **_position(store))
                if message != said:
                    click.echo(f"{status}: {message} (trying again)", err=True)
                    said = message
            else:
                said = None
                store.write_heartbeat(
                    status="following",
                    generation=result.generation,
                    change_id=result.change_id,
                    applied=result.applied,
                )
                if result.applied:
                    click.echo(
                        f"{result.generation}: applied {result.applied} changes "
                        f"(change log at {result.change_id})"
                    )
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.write_heartbeat(status="stopped", **_position(store))
    click.echo("stopped", err=True)


def _position(store: IndexStore) -> dict[str, object]:
    name = store.current(strict=False)
    return {"generation": name, "change_id": store.state(name)["change_id"] if name else 0}


@index_cli.command("status")
def status_command() -> None:
    """The live generation, its document count and the changes not yet applied."""
    store = index_store()
    status = store.status()
    status["pending_changes"] = store.pending(db.sessions())
    status["follower"] = store.heartbeat()
    click.echo(json.dumps(status, indent=2))


@click.command("sample")
@with_appcontext
@click.option("--count", default=1000, show_default=True, help="Number of profiles.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same profiles.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output file (JSON Lines; gzipped when it ends in .gz).",
)
def sample_command(count: int, seed: int, output: str) -> None:
    """Write COUNT realistic synthetic profiles as JSON Lines, ready for `ingest`."""
    from indexer.synthetic import write_sample

    written = write_sample(output, count, seed)
    click.echo(f"wrote {written} profiles to {output}")
