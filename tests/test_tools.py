"""MCP tools behind approvals (issue 13): a real MCP server process (stdio, the SDK's server
side), the Messages API stand-in calling its tools through the real anthropic SDK."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import update

from domains.approvals import cards
from domains.tools import client
from domains.tools.models import ToolCallRow
from domains.tools.service import run_effect
from jobs.queue import SyncJobQueue
from jobs.reconcile import reconcile
from orchestrator.db import utcnow
from orchestrator.statuses import ApprovalStatus, ToolCallStatus
from parallelos.cli import main
from tests.agent_support import FINANCE, TRAVEL, agent_chat, events, turns
from tests.charter_support import use
from tests.conftest import TEST_REDIS_URL
from tests.inbox_support import MEMBER
from tests.test_slack_e2e import HeldQueue
from tests.tool_support import calls, tool_charters


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The notes folder the server keeps (NOTES_DIR); every server stopped afterwards."""
    folder = tmp_path / "notes"
    folder.mkdir()
    monkeypatch.setenv("NOTES_DIR", str(folder))
    yield folder
    client.shared().close()


def tool_results(request: dict) -> list[dict]:
    return [b for m in request["messages"] if m["role"] == "user" for b in m["content"]
            if isinstance(b, dict) and b.get("type") == "tool_result"]  # fmt: skip


def chat_with_tools(db, tmp_path, **env):  # type: ignore[no-untyped-def]
    return agent_chat(db, PARALLELOS_DOMAINS_DIR=str(tool_charters(tmp_path)), **env)


def test_a_read_tool_runs_at_once_and_its_result_reaches_the_model(db, api, notes, tmp_path):
    (notes / "trip.md").write_text("Lisbon, 12-15 March\n")
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__read_note", {"name": "trip"}))
    api.tools(("reply", {"text": "Your trip note says Lisbon."}))
    c.say("what does my trip note say?")
    first, second = api.requests()
    offered = {t["name"] for t in first["tools"]}
    assert {"notes__read_note", "notes__list_notes", "notes__add_note"} <= offered
    assert "notes__pid" not in offered  # served, but not listed in the charter
    (result,) = tool_results(second)
    assert "Lisbon, 12-15 March" in result["content"] and not result["is_error"]
    assert result["content"].startswith('<data kind="tool_result" server="notes"')
    (call,) = calls(db)
    assert (call.tool, call.kind, call.status) == ("read_note", "read", ToolCallStatus.OK)
    (logged,) = events(db, "tool.result")
    assert logged.charter_version == "1" and logged.data["chars"] == len(call.result or "")
    assert "duration_ms" in logged.data


def test_an_effect_waits_for_an_operator_and_runs_once_on_approve(db, api, notes, tmp_path):
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__add_note", {"name": "trip", "text": "book the 9:40"}))
    api.tools(("reply", {"text": "The note waits for your approval."}))
    said = c.say("add 'book the 9:40' to my trip note")
    assert not (notes / "trip.md").exists()  # nothing ran inside the turn
    approval = c.approval()
    assert approval.kind == "tool" and approval.status == ApprovalStatus.PENDING
    assert approval.action == 'notes.add_note({"name": "trip", "text": "book the 9:40"})'
    card = c.card_with(TRAVEL, cards.APPROVE, approval.public_id)
    assert card is not None

    c.click(cards.APPROVE, approval.public_id, user=MEMBER, channel=TRAVEL)  # a stranger
    assert not (notes / "trip.md").exists() and c.approval().status == ApprovalStatus.PENDING

    c.click(cards.APPROVE, approval.public_id, channel=TRAVEL, external_id="act-1")
    c.click(cards.APPROVE, approval.public_id, channel=TRAVEL, external_id="act-1")  # redelivered
    c.click(cards.APPROVE, approval.public_id, channel=TRAVEL)  # a second click
    assert (notes / "trip.md").read_text() == "book the 9:40\n"
    (call,) = calls(db)
    assert call.status == ToolCallStatus.OK and "added 13 characters" in (call.result or "")
    replies = c.replies(said)
    assert any(r.startswith("Tool done: notes.add_note") for r in replies)
    final = c.edits_of(next(s for s in c.posts_in(TRAVEL) if s.ref.message_id == card))[-1]
    result = f"ok ({len(call.result or '')} characters)"
    assert ("Result", result) in [(f.label, f.value) for f in final.fields]
    assert not final.buttons
    assert [e.kind for e in c.events("tool.")] == ["tool.held", "tool.call", "tool.result"]


def test_reject_runs_nothing(db, api, notes, tmp_path):
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__add_note", {"name": "trip", "text": "x"}))
    api.tools(("reply", {"text": "Waiting."}))
    c.say("add x to my trip note")
    c.click(cards.REJECT, c.approval().public_id, channel=TRAVEL)
    c.click(cards.APPROVE, c.approval().public_id, channel=TRAVEL)  # too late
    assert not (notes / "trip.md").exists()
    assert c.approval().status == ApprovalStatus.REJECTED
    assert [x.status for x in calls(db)] == [ToolCallStatus.HELD]


def test_two_workers_racing_on_the_approved_job_run_it_once(db, api, notes, tmp_path):
    queue = HeldQueue()
    c = chat_with_tools(db, tmp_path, queue=queue)
    api.tools(("notes__add_note", {"name": "race", "text": "once"}))
    api.tools(("reply", {"text": "Waiting."}))
    c.say("add once to the race note")
    queue.release()  # the turn
    c.click(cards.APPROVE, c.approval().public_id, channel=TRAVEL)
    queue.held = [job for job in queue.held if job[0] != "tool_effect"]  # run it by hand, twice
    approval_id = c.approval().id
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        run_effect(c.svc, approval_id)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (notes / "race.md").read_text() == "once\n"
    assert len(events(db, "tool.call")) == 1


def test_a_server_killed_mid_call_gives_a_clear_reply_and_a_later_turn_works(
    db, api, notes, tmp_path
):
    (notes / "a.md").write_text("alpha\n")
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__crash", {}))
    api.text("The notes server failed; try again later.")
    c.say("crash the notes server")
    (result,) = tool_results(api.requests()[1])
    assert result["is_error"]
    assert "tool server notes failed during the call" in result["content"]
    api.tools(("notes__list_notes", {}))
    api.tools(("reply", {"text": "You have one note: a."}))
    c.say("which notes do I have?")
    (again,) = tool_results(api.requests()[3])
    assert not again["is_error"] and "a" in again["content"]


def test_a_slow_server_times_out_with_a_clear_result(db, api, notes, tmp_path):
    c = agent_chat(db, PARALLELOS_DOMAINS_DIR=str(tool_charters(tmp_path, timeout=1)))
    api.tools(("notes__wait", {"seconds": 30}))
    api.text("The notes server is slow.")
    c.say("wait on the notes server")
    (result,) = tool_results(api.requests()[1])
    assert result["is_error"] and "did not answer within 1 s" in result["content"]


def test_another_domain_cannot_see_or_call_the_tool(db, api, notes, tmp_path):
    (notes / "secret.md").write_text("travel only\n")
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__read_note", {"name": "secret"}))
    api.text("I can't.")
    c.say("read the secret note", channel=FINANCE)
    first, second = api.requests()
    assert not [t for t in first["tools"] if t["name"].startswith("notes__")]
    (result,) = tool_results(second)
    assert result["is_error"] and "unknown tool" in result["content"]
    assert "travel only" not in str(second)
    assert calls(db) == []


def test_a_retried_turn_does_not_call_a_read_again(db, api, notes, tmp_path):
    """The checkpoint's tool calls are replayed from their stored results, never re-sent."""
    (notes / "a.md").write_text("alpha\n")
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__read_note", {"name": "a"}))
    api.overloaded(times=3)  # the second model call fails past the SDK's retries: job retry
    api.tools(("reply", {"text": "It says alpha."}))
    c.say("what does note a say?")
    (turn,) = turns(db)
    assert turn.attempts >= 2 and turn.stop == "reply"  # it was retried, and finished
    assert len(calls(db)) == 1 and len(events(db, "tool.call")) == 1
    assert calls(db)[0].status == ToolCallStatus.OK


class LosesToolJobs(HeldQueue):
    """The `tool_effect` job is lost (Redis went away); every other job runs at once."""

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        if name == "tool_effect":
            self.held.append((name, kwargs))
            return
        self._run(name, kwargs)


def held_effect(c, api) -> None:  # type: ignore[no-untyped-def]
    api.tools(("notes__add_note", {"name": "lost", "text": "once"}))
    api.tools(("reply", {"text": "Waiting."}))
    c.say("add once to the lost note")
    c.click(cards.APPROVE, c.approval().public_id, channel=TRAVEL)


def test_the_reconciler_runs_an_approved_effect_whose_job_was_lost_once(db, api, notes, tmp_path):
    queue = LosesToolJobs()
    c = chat_with_tools(db, tmp_path, queue=queue)
    held_effect(c, api)
    assert not (notes / "lost.md").exists() and calls(db)[0].status == ToolCallStatus.HELD
    queue.held.clear()
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        c.svc.queue = SyncJobQueue()
        assert reconcile(c.svc).tool_effects == 1
        assert reconcile(c.svc).tool_effects == 0
    assert (notes / "lost.md").read_text() == "once\n"


def test_an_effect_left_running_by_a_dead_worker_is_never_run_again(db, api, notes, tmp_path):
    queue = LosesToolJobs()
    c = chat_with_tools(db, tmp_path, queue=queue)
    held_effect(c, api)
    with db.session() as s:  # the worker claimed it, then died before the call returned
        s.execute(update(ToolCallRow).values(status="running", started_at=utcnow()))
    c.svc.queue = SyncJobQueue()
    run_effect(c.svc, c.approval().id)
    assert not (notes / "lost.md").exists()
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
        reconcile(c.svc)
    assert calls(db)[0].status == ToolCallStatus.UNKNOWN
    assert not (notes / "lost.md").exists()
    assert any("Tool outcome unknown" in p.post.text for p in c.posts_in(TRAVEL))


def tools_cli(capsys, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def test_parallelos_tools_and_doctor_list_servers_tools_and_whether_they_answer(
    db, notes, tmp_path, monkeypatch, capsys
):
    folder = tool_charters(tmp_path)
    use(monkeypatch, db, folder)
    code, out = tools_cli(capsys, "tools", "travel")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "travel:"
    assert lines[1].startswith("  notes (stdio: ") and lines[1].endswith("): answers")
    assert "    read_note: read" in lines and "    add_note: effect" in lines
    code, out = tools_cli(capsys, "tools")
    assert code == 0 and "finance: no tool servers" in out.splitlines()
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    code, out = tools_cli(capsys, "doctor")
    assert "Tools travel/notes: answers (4 read, 1 effect)" in out.splitlines()

    travel = folder / "travel.md"
    travel.write_text(travel.read_text().replace(sys.executable, "/nonexistent/python", 1)
                      .replace('version: "1.0.0"\nchangelog:\n', 'version: "1.0.1"\nchangelog:\n'
                               '  - {version: "1.0.1", date: 2026-12-01, summary: broken}\n', 1))  # fmt: skip
    code, out = tools_cli(capsys, "tools", "travel")
    assert code == 1
    assert "not answering — tool server notes could not start" in out
    assert tools_cli(capsys, "tools", "nowhere")[0] == 2


def test_a_read_result_is_redacted_and_capped_before_the_model_sees_it(db, api, notes, tmp_path):
    (notes / "card.md").write_text("pay with 4111 1111 1111 1111\n" + "x" * 2000)
    c = chat_with_tools(db, tmp_path)
    api.tools(("notes__read_note", {"name": "card"}))
    api.text("Done.")
    c.say("read my card note")
    (result,) = tool_results(api.requests()[1])
    assert "4111 1111 1111 1111" not in result["content"]
    assert "[… cut: " in result["content"] and len(result["content"]) < 800
    assert "4111 1111 1111 1111" not in (calls(db)[0].result or "")
