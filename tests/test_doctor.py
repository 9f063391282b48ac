"""`parallelos doctor` on the work: the queue's depth, the oldest unfinished event, the schema."""

from __future__ import annotations

from datetime import timedelta

from alembic.script import ScriptDirectory

from jobs.queue import RQJobQueue
from orchestrator.db import utcnow
from orchestrator.migrate import alembic_config, downgrade
from orchestrator.models import InboundEventRow
from parallelos.cli import main
from tests.conftest import TEST_REDIS_URL


def head() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def doctor(monkeypatch, capsys, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    assert main(["doctor"]) == 0
    return capsys.readouterr().out.splitlines()


def test_doctor_reports_queue_depth_oldest_unfinished_event_and_schema(
    db, redis_conn, monkeypatch, capsys
):
    with db.session() as s:
        s.add(InboundEventRow(platform="local", external_id="old", kind="message", payload={},
                              status="received", attempts=0,
                              created_at=utcnow() - timedelta(hours=2)))  # fmt: skip
        s.add(InboundEventRow(platform="local", external_id="done", kind="message", payload={},
                              status="done", attempts=1))  # fmt: skip
    RQJobQueue(redis_conn).enqueue("reconcile", job_id="reconcile-by-hand")
    lines = doctor(monkeypatch, capsys, db.engine.url.render_as_string(hide_password=False))
    assert "Queue depth: 1 queued, 0 scheduled, 0 started, 0 failed" in lines
    assert "Unfinished events: 1, the oldest waiting 2.0 h" in lines
    assert f"Schema: {head()} (up to date)" in lines


def test_doctor_names_a_schema_behind_the_code_and_one_never_migrated(
    sqlite_template, tmp_path, redis_conn, monkeypatch, capsys
):
    behind = tmp_path / "behind.db"
    behind.write_bytes(sqlite_template.read_bytes())
    downgrade(f"sqlite:///{behind}", "-1")
    lines = doctor(monkeypatch, capsys, f"sqlite:///{behind}")
    assert any(x.startswith("Schema: 0") and f"newest is {head()}" in x for x in lines), lines
    lines = doctor(monkeypatch, capsys, f"sqlite:///{tmp_path / 'new.db'}")
    assert f"Schema: not migrated (newest is {head()}; run `parallelos migrate`)" in lines
    assert "Unfinished events: 0" not in lines  # nothing to read before the tables exist
