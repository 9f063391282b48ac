"""Shadow runs cover the agent (issue 14, point 3): with a model key, a shadow candidate's agent
turn runs on the live message through a RECORDING executor — its reply and tool calls are
recorded, its effect tools never called, nothing posted — through the Slack and Telegram edges;
its model cost is charged to the budget and shown apart from the live cost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from domains import store
from domains.agent import stats
from domains.approvals.models import ApprovalRow
from domains.tools import client
from tests.agent_support import KEY, events
from tests.charter_support import charter, edited, shadow_rows, use
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.slack_support import FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import FORUM, fake_telegram, telegram_services
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import running as telegram_running
from tests.tool_support import tool_charters

ASK = "flights to lisbon in march? we're booking now"


@pytest.fixture
def shadowed(db, tmp_path: Path, monkeypatch, capsys) -> Iterator[tuple[Path, Path]]:  # type: ignore[no-untyped-def]
    """Travel (with the notes MCP server) at version 1, and a candidate running as version 2."""
    notes = tmp_path / "notes"
    notes.mkdir()
    monkeypatch.setenv("NOTES_DIR", str(notes))
    domains = tool_charters(tmp_path)
    use(monkeypatch, db, domains)
    candidate = tmp_path / "travel-candidate.md"
    candidate.write_text(edited((domains / "travel.md").read_text(), "1.1.0", "Notes first."))
    code, out, _ = charter(capsys, "shadow", "travel", str(candidate))
    assert code == 0, out
    yield domains, notes
    client.shared().close()


def script(api) -> None:  # type: ignore[no-untyped-def]
    api.tools(("update_status", {"phase": "Booking"}))  # the live turn
    api.tools(("reply", {"text": "LIVE: phase set to Booking."}))
    api.tools(("notes__add_note", {"name": "trip", "text": "shadow wrote this"}))  # the shadow
    api.tools(("reply", {"text": "SHADOW: noted the trip."}))


def check_recorded(db, notes: Path) -> None:  # type: ignore[no-untyped-def]
    (row,) = shadow_rows(db)
    assert (row.version, row.active_version) == (2, 1)
    live, shadow = row.active["agent"], row.shadow["agent"]
    assert live["tools"] == ["update_status"] and live["reply"].startswith("LIVE")
    assert shadow["tools"] == ["notes__add_note"] and shadow["reply"] == "SHADOW: noted the trip."
    assert shadow["calls"][0]["input"] == {"name": "trip", "text": "shadow wrote this"}
    assert "tools" in row.differences and not row.agrees
    assert not (notes / "trip.md").exists()  # the effect was recorded, never run
    with db.session() as s:
        assert s.scalars(select(ApprovalRow)).all() == []  # and no card asks for it
        assert store.load_doc(s, "travel").phase == "Booking"  # only the live turn applied
        used = stats.usage(s)["travel"]
    calls = events(db, "agent.call")
    shadow_calls = [e for e in calls if e.data["purpose"] == "shadow"]
    assert len(shadow_calls) == 2 and {e.charter_version for e in shadow_calls} == {"2"}
    live_cost = sum(e.cost_usd or 0 for e in calls if e.data["purpose"] != "shadow")
    assert used.shadow_usd == pytest.approx(sum(e.cost_usd or 0 for e in shadow_calls))
    assert used.cost_usd == pytest.approx(live_cost) and used.shadow_usd > 0


def test_a_shadow_agent_through_slack_records_its_tools_and_posts_nothing(
    db, api, shadowed, capsys
):
    domains, notes = shadowed
    env = {"ANTHROPIC_API_KEY": KEY, "PARALLELOS_DOMAINS_DIR": str(domains)}
    with FakeSlackHooks() as slack, slack_running(slack_services(db, slack, **env)) as web:
        script(api)
        said = SlackDialogue(web, slack).say(ASK)
        assert said.response.status_code == 200
        everything = str([slack.messages(c) for c in ("pos-travel",)]) + str(
            slack.calls("chat.postMessage") + slack.calls("chat.update")
        )
    assert api.pending == 0  # both turns asked the model
    assert "LIVE: phase set to Booking." in everything and "SHADOW" not in everything
    check_recorded(db, notes)
    code, out, _ = charter(capsys, "report", "travel")
    assert code == 0 and "Shadow model cost: $" in out
    assert "tools: notes__add_note" in out and "tools: update_status" in out


def test_a_shadow_agent_through_telegram_records_its_tools_and_posts_nothing(db, api, shadowed):
    domains, notes = shadowed
    env = {"ANTHROPIC_API_KEY": KEY, "PARALLELOS_DOMAINS_DIR": str(domains)}
    with fake_telegram() as tg, telegram_running(telegram_services(db, tg, **env)) as web:
        script(api)
        assert TelegramDialogue(web, tg).say(ASK).response.status_code == 200
        (topic,) = tg.topics(FORUM)
        seen = str(tg.messages(FORUM, topic)) + str(tg.messages(TG_OPERATOR))
        sent = str(tg.calls("sendMessage") + tg.calls("editMessageText"))
    assert api.pending == 0
    assert "LIVE: phase set to Booking." in seen and "SHADOW" not in seen + sent
    check_recorded(db, notes)
