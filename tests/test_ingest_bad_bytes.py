"""Bad bytes never cost a batch: lone surrogates and NULs are cleaned at the reader, a record
the database still refuses is rejected with its reason, and every run ends with a status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from directory.db import sessions
from indexer import pipeline
from indexer.models import IngestRun, Reject, Therapist

from .factories import profile


def rows(app, model):
    with app.app_context(), sessions()() as s:
        return list(s.scalars(select(model).order_by(model.id)))


def write_raw(tmp_path, lines: list[str]):
    path = tmp_path / "raw.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="ascii")  # escapes only, as JSON allows
    return path


def test_lone_surrogates_and_nuls_lose_nothing(app, ingest, tmp_path):
    good = json.dumps(profile(id="good"))
    surrogate = json.dumps(profile(id="s", name="Ana \ud800 López"), ensure_ascii=True)
    nul = json.dumps(profile(id="n", name="Nul\u0000 Name", bio="tab\u0000bed"))
    bad_zip = json.dumps(
        profile(id="r", name="\udfff", locations=[{"zip": "1"}]), ensure_ascii=True
    )
    result, summary, rejects = ingest(write_raw(tmp_path, [good, surrogate, nul, bad_zip, good]))
    assert result.exit_code == 0
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)
    names = {t.source_id: t.name for t in rows(app, Therapist)}
    assert names == {"good": "Ana López", "s": "Ana \ufffd López", "n": "Nul Name"}
    # The rejects file keeps the record whole and unchanged, the table a storable copy.
    [reject] = rejects
    assert reject["record"]["name"] == "\udfff"
    [row] = rows(app, Reject)
    assert row.record["name"] == "\ufffd"
    assert [r.status for r in rows(app, IngestRun)] == ["finished"]


def test_a_record_the_database_refuses_is_rejected_with_the_reason(
    app, ingest, write_jsonl, monkeypatch
):
    real = pipeline.upsert_batch

    def refuses_poison(session, source, items, **kwargs):
        if any(item.source_id == "poison" for item in items):
            raise IntegrityError("INSERT ...", {}, Exception("value too long for the column"))
        return real(session, source, items, **kwargs)

    monkeypatch.setattr(pipeline, "upsert_batch", refuses_poison)
    path = write_jsonl([profile(id="a"), profile(id="poison"), profile(id="b")])
    result, summary, rejects = ingest(path)
    assert result.exit_code == 0
    assert (summary["accepted"], summary["created"], summary["rejected"]) == (2, 2, 1)
    assert [t.source_id for t in rows(app, Therapist)] == ["a", "b"]
    assert rejects[0]["record"]["id"] == "poison"
    assert rejects[0]["reasons"] == {
        "_record": ["The database refused it: value too long for the column"]
    }


def test_a_failed_run_says_so_with_its_error(app, ingest, write_jsonl, monkeypatch):
    def breaks(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "upsert_batch", breaks)
    result, _, _ = ingest(write_jsonl([profile(id="a")]))
    assert result.exit_code == 1
    assert "ingest failed: RuntimeError: disk full" in result.output
    [run] = rows(app, IngestRun)
    assert (run.status, run.error) == ("failed", "RuntimeError: disk full")
    assert run.finished_at is not None


def test_a_run_whose_process_died_is_marked_interrupted_by_the_next(app, ingest, write_jsonl):
    with app.app_context(), sessions().begin() as s:
        # A run left `running` by a process that no longer exists on this host.
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        import socket

        s.add(
            IngestRun(
                source="x",
                files=[],
                host=socket.gethostname(),
                pid=int(dead.stdout),
                status="running",
            )
        )
    ingest(write_jsonl([profile(id="a")]))
    first, second = rows(app, IngestRun)
    assert first.status == "interrupted" and "stopped without finishing" in first.error
    assert second.status == "finished" and second.pid == os.getpid()


@pytest.mark.parametrize("url_length", [1999, 2001])
def test_urls_longer_than_the_column_are_rejected_on_every_database(
    app, ingest, write_jsonl, url_length
):
    url = "https://example.org/" + "a" * (url_length - len("https://example.org/"))
    _, summary, rejects = ingest(write_jsonl([profile(id="a", website=url)]))
    assert summary["accepted"] == (1 if url_length <= 2000 else 0)
    if rejects:
        assert rejects[0]["reasons"] == {"website": ["Longer than 2000 characters."]}
