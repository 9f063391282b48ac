"""Structured logs: JSON lines with LOG_FORMAT=json, one correlation id from the inbound event
through the worker's jobs to each post, and never what a person wrote."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from jobs.queue import RQJobQueue
from orchestrator import logs
from orchestrator.models import InboundEventRow
from tests.dialogue import SlackDialogue
from tests.slack_support import FakeSlackHooks, running, slack_services
from tests.test_resilience import start_worker, worker_env

SECRET = "Phase: my landlord Mr Quentin Oddball sent the lease renewal to sign"  # a message whose words must stay out of logs


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """This process logs JSON lines, as the web process does with LOG_FORMAT=json, into what
    the fixture yields; the logging set-up is put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("json", stream=stream)
    yield stream
    root.handlers, root.level = saved[0], saved[1]


def json_lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        assert line.startswith("{"), f"not a JSON line: {line[:200]}"
        found.append(json.loads(line))
    return found


def test_one_correlation_id_from_the_web_through_the_worker_to_each_post(
    db, slack, redis_conn, json_logs
):
    """The web process logs the stored event under `ev-<id>`; the worker, another process
    with LOG_FORMAT=json, logs every post that event caused under the same id. Neither says
    what was written."""
    svc = slack_services(db, slack, queue=RQJobQueue(redis_conn))
    with running(svc) as client:
        said = SlackDialogue(client, slack).say(SECRET)
        assert said.response.status_code == 200
    web = json_lines(json_logs.getvalue())
    worker = start_worker(worker_env(db, slack) | {"LOG_FORMAT": "json"}, "--burst")
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err.decode()[-2000:]
    jobs = json_lines(err.decode())

    (stored,) = [r for r in web if r["message"].startswith("stored slack message")]
    correlation = stored["correlation_id"]
    assert correlation.startswith("ev-") and stored["level"] == "INFO"
    delivered = [r for r in jobs if r["message"].startswith("post ")]
    assert len(delivered) == len(slack.calls("chat.postMessage")) >= 2
    assert {r["correlation_id"] for r in delivered} == {correlation}
    for words in ("Quentin", "Oddball", "landlord"):
        assert words not in json.dumps(web) + err.decode()


def test_text_logs_carry_the_correlation_id_too(caplog):
    logs.configure("text")
    try:
        with logs.correlation("ev-42"):
            logging.getLogger("tests").warning("something about event 42")
        handler = next(h for h in logging.getLogger().handlers if h.name == "parallelos")
        line = handler.format(caplog.records[-1])
    finally:
        logging.getLogger().handlers.remove(handler)
    assert "[ev-42]" in line and line.endswith("something about event 42")


def test_a_database_error_names_the_statement_never_the_message_text(db):
    """A refused row's error (what a traceback in a log shows) hides the bound values."""
    row = dict(platform="slack", external_id="Ev1", kind="message", payload={"text": SECRET},
               status="received", attempts=0)  # fmt: skip
    with db.session() as s:
        s.add(InboundEventRow(**row))
    with pytest.raises(IntegrityError) as refused, db.session() as s:
        s.add(InboundEventRow(**row))
    assert "INSERT INTO inbound_events" in str(refused.value)
    assert "Oddball" not in str(refused.value) and "hide_parameters" in str(refused.value)


def test_a_malformed_log_format_stops_the_command_naming_the_setting(monkeypatch, capsys):
    from parallelos.cli import main

    monkeypatch.setenv("LOG_FORMAT", "xml")
    assert main(["doctor"]) == 2
    assert "LOG_FORMAT" in capsys.readouterr().err
