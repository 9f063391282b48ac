"""Reminders on Slack and Telegram, end to end: the line in the domain's channel or topic, the
card posted once by the scheduler, Done and Snooze as real clicks, `/pos reminders` and
`/reminders`; and a follow-up set by the agent's `follow_up` tool through the Messages API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from orchestrator.canonical import Platform, Target
from orchestrator.services import Services
from tests.agent_support import KEY
from tests.dialogue import SlackDialogue, TelegramDialogue, actions, verify_dialog
from tests.fakes import slack_payloads as payloads
from tests.helpers import make_services
from tests.reminder_support import reminder_posts, reminders, tick_at
from tests.slack_support import OPERATOR, post_form, running, slack_services
from tests.telegram_support import FORUM, telegram_services
from tests.telegram_support import running as telegram_running

ZONE = {"PARALLELOS_TIMEZONE": "America/New_York"}
FRIDAY_NOON = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # Fri 6 Mar 2026, 12:00 EST
MONDAY_9 = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # Mon 9 Mar, 09:00 EDT (after the change)
SET = "Reminder set for Mon 9 Mar 09:00 (America/New_York): renew passport"


def slack_labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in actions(message)]


def tg_labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def where(svc: Services, platform: Platform, domain: str) -> Target:
    return svc.directory.resolve(Target(platform=platform, domain=domain))


def test_slack_line_card_done_and_the_reminders_command(db, slack):
    """Set across the spring-forward weekend: due Monday 09:00 EDT; posted once; Done edits
    the card with chat.update and takes its buttons away."""
    svc = slack_services(db, slack, **ZONE)
    with running(svc) as client:
        d, travel = SlackDialogue(client, slack), where(svc, Platform.SLACK, "travel").channel
        with time_machine.travel(FRIDAY_NOON, tick=False):
            verify_dialog(d, [("Remind monday: renew passport", SET)], channel=travel)
            command = payloads.slash_command("reminders", user_id=OPERATOR, channel_id=travel,
                                             response_url=slack.hook_url("cmd"))  # fmt: skip
            post_form(client, command)
        assert "Mon 9 Mar 09:00: renew passport" in d.private_answers()[-1]
        assert tick_at(svc, MONDAY_9 - timedelta(seconds=1)).posted == []
        assert len(tick_at(svc, MONDAY_9).posted) == 1
        assert tick_at(svc, MONDAY_9 + timedelta(seconds=30)).posted == []
        card = d.posts(travel)[-1]
        assert "renew passport" in card["text"] and slack_labels(card) == ["Done", "Snooze"]
        with time_machine.travel(MONDAY_9 + timedelta(minutes=3), tick=False):
            click = d.click(card, "Done")
            d.deliver(click)  # redelivered: a no-op
        card = d.posts(travel)[-1]
        assert slack_labels(card) == [] and "Done by" in str(card["blocks"])
        assert len(slack.calls("chat.update")) == 1
    assert reminders(db)[0].status == "done"


def test_telegram_line_card_snooze_and_posted_again(db, tg):
    svc = telegram_services(db, tg, **ZONE)
    with telegram_running(svc) as client:
        d = TelegramDialogue(client, tg)
        topic = int(where(svc, Platform.TELEGRAM, "travel").thread or 0)
        with time_machine.travel(FRIDAY_NOON, tick=False):
            verify_dialog(d, [("Remind monday: renew passport", SET)], topic=topic)
        tick_at(svc, MONDAY_9)
        (card,) = [m for m in tg.messages(FORUM, topic) if tg_labels(m)]
        assert tg_labels(card) == ["Done", "Snooze"] and "renew passport" in card["text"]
        with time_machine.travel(MONDAY_9 + timedelta(minutes=5), tick=False):
            d.click(card, "Snooze")
        edited = next(m for m in tg.messages(FORUM, topic) if m["message_id"] == card["message_id"])
        assert tg_labels(edited) == ["Done"] and "Snoozed until Tue 10 Mar 09:05" in edited["text"]
        assert tick_at(svc, MONDAY_9 + timedelta(hours=2)).posted == []
        assert len(tick_at(svc, MONDAY_9 + timedelta(days=1, minutes=5)).posted) == 1
        again = [m for m in tg.messages(FORUM, topic) if tg_labels(m) == ["Done", "Snooze"]]
        assert len(again) == 1 and again[0]["message_id"] != card["message_id"]
        with time_machine.travel(FRIDAY_NOON, tick=False):
            d.say("/reminders", topic=topic)
        assert any("Tue 10 Mar 09:05: renew passport" in m["text"]
                   for m in tg.messages(FORUM, topic))  # fmt: skip
    assert reminder_posts(db) == 2


def test_the_agents_follow_up_is_posted_once_across_schedulers_and_a_restart(db, slack, api):
    """`follow_up` through the real SDK makes the same row; posted once by two schedulers
    (one after the other) and not again after a restart."""
    api.tools(("follow_up", {"when": "monday", "what": "renew passport"}))
    api.tools(("reply", {"text": "I'll remind you on Monday."}))
    svc = slack_services(db, slack, ANTHROPIC_API_KEY=KEY, **ZONE)
    with running(svc) as client:
        d, travel = SlackDialogue(client, slack), where(svc, Platform.SLACK, "travel").channel
        with time_machine.travel(FRIDAY_NOON, tick=False):
            said = d.say("please remind me to renew my passport on monday", channel=travel)
        (answer,) = d.replies(said)
        assert "I'll remind you on Monday." in answer and SET in answer
        (row,) = reminders(db)
        assert row.due_at == MONDAY_9.replace(tzinfo=None) and row.created_name == "travel agent"
        other = make_services(db, senders=dict(svc.senders), **ZONE)
        assert len(tick_at(svc, MONDAY_9).posted) == 1
        assert tick_at(other, MONDAY_9).posted == []
        restarted = make_services(db, senders=dict(svc.senders), **ZONE)
        assert tick_at(restarted, MONDAY_9 + timedelta(minutes=1)).posted == []
    assert reminder_posts(db) == 1
    assert [m["text"] for m in d.posts(travel)].count("⏰ Reminder · travel\nrenew passport") == 1


def test_the_agents_follow_up_in_the_past_is_an_error_the_model_hears(db, slack, api):
    api.tools(("follow_up", {"when": "2026-03-01", "what": "renew passport"}))
    api.tools(("reply", {"text": "That date has passed; when instead?"}))
    svc = slack_services(db, slack, ANTHROPIC_API_KEY=KEY, **ZONE)
    with running(svc) as client:
        d, travel = SlackDialogue(client, slack), where(svc, Platform.SLACK, "travel").channel
        with time_machine.travel(FRIDAY_NOON, tick=False):
            d.say("remind me on 1 March to renew my passport", channel=travel)
    result = api.requests()[-1]["messages"][-1]["content"][0]
    assert result["is_error"] and "is in the past" in result["content"]
    assert reminders(db) == []
