"""Reminders in the core: a `Remind` line sets one, the scheduler posts it once when due (two
schedulers, a restart, downtime), Done and Snooze answer it, and `reminders`, `status` and the
briefs show what is open."""

from __future__ import annotations

import threading
from datetime import timedelta

import time_machine

from bot.web import create_app
from domains import store
from jobs import reminder_tick as reminder_clock
from jobs.scheduler import run_loop
from orchestrator.canonical import Platform
from orchestrator.export import export_all
from orchestrator.statuses import ReminderStatus
from tests.dialogue import LocalDialogue, verify_dialog
from tests.helpers import LocalClient, make_services
from tests.inbox_support import TRAVEL, Chat
from tests.recording_sender import RecordingSender
from tests.reminder_support import (
    MONDAY_10,
    cards,
    lisbon_chat,
    now_shown,
    reminder_posts,
    reminders,
    tick_at,
)

TOMORROW_9 = MONDAY_10 + timedelta(hours=23)  # Tue 1 Dec 09:00 in Lisbon


def set_one(c: Chat, line: str = "Remind tomorrow: renew passport") -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        verify_dialog(
            c, [(line, "Reminder set for Tue 1 Dec 09:00 (Europe/Lisbon): renew passport")]
        )


def test_a_line_sets_a_reminder_and_confirms_it_in_the_thread(db):
    c = lisbon_chat(db)
    set_one(c)
    (row,) = reminders(db)
    assert (row.domain, row.text, row.status) == ("travel", "renew passport", "open")
    assert row.due_at == TOMORROW_9.replace(tzinfo=None) and row.created_by == "slack:U1"
    assert row.source_event_id is not None


def test_several_lines_in_one_message_all_apply(db):
    c = lisbon_chat(db)
    with time_machine.travel(MONDAY_10, tick=False):
        said = c.say("Phase: renewals\nRemind in 2 hours: call the consulate\nRemind friday: pay")
    (reply,) = c.replies(said)
    assert "phase → renewals" in reply
    assert "Reminder set for Mon 30 Nov 12:00 (Europe/Lisbon): call the consulate" in reply
    assert "Reminder set for Fri 4 Dec 09:00 (Europe/Lisbon): pay" in reply
    assert [r.text for r in reminders(db)] == ["call the consulate", "pay"]


def test_a_reminder_that_cannot_be_parsed_changes_nothing(db):
    """Not the reminder, not the message's other lines; the reply says why."""
    c = lisbon_chat(db)
    with time_machine.travel(MONDAY_10, tick=False):
        said = c.say("Phase: renewals\nRemind 2026-11-29: renew passport\nRemind soon: call")
    (reply,) = c.replies(said)
    assert reply.startswith("Nothing was changed")
    assert "Sun 29 Nov 09:00 (Europe/Lisbon) is in the past" in reply
    assert '"soon" is not a time I understand' in reply
    assert reminders(db) == []
    with db.session() as s:
        assert store.load_doc(s, "travel").updated_at is None


def test_posted_once_when_due_with_done_and_snooze(db):
    c = lisbon_chat(db)
    set_one(c)
    assert tick_at(c.svc, TOMORROW_9 - timedelta(seconds=1)).posted == []
    assert cards(c, TRAVEL) == []
    assert len(tick_at(c.svc, TOMORROW_9).posted) == 1
    assert tick_at(c.svc, TOMORROW_9 + timedelta(seconds=30)).posted == []
    (card,) = cards(c, TRAVEL)
    assert card.dest.thread is None  # in the domain's channel, not the thread it was set in
    assert card.post.text == "renew passport" and "late" not in card.post.text
    assert [b.label for b in card.post.buttons] == ["Done", "Snooze"]
    assert reminders(db)[0].status == ReminderStatus.POSTED


def test_two_schedulers_racing_post_it_once(db, monkeypatch):
    """Both list the reminder as due before either posts it; one conditional move wins."""
    c = lisbon_chat(db)
    set_one(c)
    barrier = threading.Barrier(2, timeout=20)
    listed = reminder_clock.due_ids

    def racing(session, now, limit=100):  # type: ignore[no-untyped-def]
        found = listed(session, now, limit)
        barrier.wait()
        return found

    monkeypatch.setattr(reminder_clock, "due_ids", racing)
    results: list[list[int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(tick_at(c.svc, TOMORROW_9).posted))
        for _ in "ab"
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(len, results)) == [0, 1]
    assert len(cards(c, TRAVEL)) == 1 and reminder_posts(db) == 1


def test_a_restarted_scheduler_does_not_post_it_again(db):
    c = lisbon_chat(db)
    set_one(c)
    tick_at(c.svc, TOMORROW_9)
    restarted = make_services(
        db, senders={Platform.SLACK: RecordingSender()}, PARALLELOS_TIMEZONE="Europe/Lisbon"
    )
    assert tick_at(restarted, TOMORROW_9 + timedelta(minutes=1)).posted == []
    assert tick_at(restarted, TOMORROW_9 + timedelta(days=3)).posted == []
    assert reminder_posts(db) == 1


def test_due_while_the_scheduler_was_down_is_posted_once_late(db):
    c = lisbon_chat(db)
    set_one(c)
    back = TOMORROW_9 + timedelta(hours=5, minutes=12)
    assert len(tick_at(c.svc, back).posted) == 1
    assert tick_at(c.svc, back + timedelta(seconds=30)).posted == []
    (card,) = cards(c, TRAVEL)
    assert card.post.text == "renew passport (late: was due 09:00)"
    assert reminders(db)[0].late


def test_late_by_days_names_the_day_it_was_due(db):
    c = lisbon_chat(db)
    set_one(c)
    tick_at(c.svc, TOMORROW_9 + timedelta(days=2))
    (card,) = cards(c, TRAVEL)
    assert card.post.text == "renew passport (late: was due Tue 1 Dec 09:00)"


def test_done_edits_the_card_and_a_second_click_changes_nothing(db):
    c = lisbon_chat(db)
    set_one(c)
    tick_at(c.svc, TOMORROW_9)
    (card,) = cards(c, TRAVEL)
    (done,) = [b for b in card.post.buttons if b.label == "Done"]
    with time_machine.travel(TOMORROW_9 + timedelta(minutes=7), tick=False):
        c.click(done.action, done.value, channel=TRAVEL)
        c.click(done.action, done.value, channel=TRAVEL, user="U3")
    shown = now_shown(c, card)
    assert shown.buttons == [] and "Done by slack:U1, Tue 1 Dec 09:07" in str(shown.fields)
    assert c.answers_to("U3") == ["This reminder is already done (by slack:U1)."]
    assert reminders(db)[0].status == ReminderStatus.DONE
    assert len(c.events("reminder.done")) == 1


def test_a_redelivered_click_is_a_no_op(db):
    c = lisbon_chat(db)
    set_one(c)
    tick_at(c.svc, TOMORROW_9)
    (card,) = cards(c, TRAVEL)
    snooze = card.post.buttons[1]
    with time_machine.travel(TOMORROW_9 + timedelta(minutes=1), tick=False):
        c.click(snooze.action, snooze.value, external_id="act:same")
        c.click(snooze.action, snooze.value, external_id="act:same")
    assert len(c.edits_of(card)) == 1 and c.answers_to("U1") == []
    assert len(c.events("reminder.snoozed")) == 1


def test_snooze_posts_it_again_a_day_later_once(db):
    c = lisbon_chat(db)
    set_one(c)
    tick_at(c.svc, TOMORROW_9)
    (card,) = cards(c, TRAVEL)
    snooze = card.post.buttons[1]
    with time_machine.travel(TOMORROW_9 + timedelta(minutes=20), tick=False):
        c.click(snooze.action, snooze.value)
    shown = now_shown(c, card)
    assert "Snoozed until Wed 2 Dec 09:20 by slack:U1" in str(shown.fields)
    assert [b.label for b in shown.buttons] == ["Done"]
    (row,) = reminders(db)
    assert row.status == ReminderStatus.SNOOZED and row.due_at == (
        TOMORROW_9 + timedelta(days=1, minutes=20)
    ).replace(tzinfo=None)
    assert tick_at(c.svc, TOMORROW_9 + timedelta(hours=12)).posted == []
    assert len(tick_at(c.svc, TOMORROW_9 + timedelta(days=1, minutes=20)).posted) == 1
    assert tick_at(c.svc, TOMORROW_9 + timedelta(days=1, minutes=21)).posted == []
    first, again = cards(c, TRAVEL)
    assert again.post.text == "renew passport" and [b.label for b in again.post.buttons] == [
        "Done",
        "Snooze",
    ]
    with time_machine.travel(TOMORROW_9 + timedelta(days=1, minutes=30), tick=False):
        c.click(again.post.buttons[0].action, again.post.buttons[0].value)
    assert now_shown(c, first).buttons == [] and now_shown(c, again).buttons == []
    assert reminder_posts(db) == 2


def test_reminders_lists_what_is_open_in_the_operators_zone(db):
    c = lisbon_chat(db)
    with time_machine.travel(MONDAY_10, tick=False):
        c.say("Remind tomorrow 18:30: renew passport")
        c.say("Remind in 3 days: pay the invoice", channel="CPOS-FINANCE")
        everything = c.command("reminders")
        travel = c.command("reminders", "travel")
        empty = c.command("reminders", "legal")
        unknown = c.command("reminders", "nowhere")
    assert everything.text.splitlines() == [
        "• #1 *travel* Tue 1 Dec 18:30: renew passport",
        "• #2 *finance* Thu 3 Dec 10:00: pay the invoice",
    ]
    assert everything.context == "Times in Europe/Lisbon."
    assert travel.title == "Reminders · travel" and "pay the invoice" not in travel.text
    assert empty.text == "No open reminders."
    assert "nowhere" in unknown.text
    with time_machine.travel(MONDAY_10 + timedelta(days=2), tick=False):
        assert "(overdue 15h)" in c.command("reminders", "travel").text


def test_status_shows_the_domains_open_follow_ups(db):
    c = lisbon_chat(db)
    with time_machine.travel(MONDAY_10, tick=False):
        before = c.command("status", "travel")
        c.say("Remind tomorrow: renew passport")
        after = c.command("status", "travel")
    assert [s.label for s in after.sections] == [s.label for s in before.sections] + [
        "Open follow-ups (Europe/Lisbon)"
    ]
    assert "renew passport" in after.sections[-1].value


def test_the_next_hub_brief_shows_one_open_a_day_after_it_was_due(db):
    c = lisbon_chat(db)
    set_one(c)
    tick_at(c.svc, TOMORROW_9)
    with time_machine.travel(TOMORROW_9 + timedelta(hours=23), tick=False):
        early = str(c.command("brief", "daily"))
    assert "renew passport" not in early and "overdue follow-up" not in early
    with time_machine.travel(TOMORROW_9 + timedelta(hours=25), tick=False):
        daily = str(c.command("brief", "daily"))
    assert "Follow-ups still open a day after they were due (1)" in daily
    assert "#1 · due Tue 01 Dec 09:00 · overdue 1d: renew passport" in daily
    assert "1 overdue follow-up(s)" in daily


def test_the_weekly_brief_lists_open_follow_ups(db):
    c = lisbon_chat(db)
    with time_machine.travel(MONDAY_10, tick=False):
        c.say("Remind tomorrow: renew passport")
        c.say("Remind friday 17:00: pay the invoice", channel="CPOS-FINANCE")
        weekly = str(c.command("brief", "weekly"))
    assert "Open follow-ups (2)" in weekly
    assert "• *travel* #1 · due Tue 01 Dec 09:00: renew passport" in weekly
    assert "• *finance* #2 · due Fri 04 Dec 17:00: pay the invoice" in weekly


def test_local_chat_dashboard_and_export(db, tmp_path):
    """The local chat sets one; the dashboard lists it and, once posted, clicks Done on it;
    `reminders.md` is in the export."""
    svc = make_services(db, senders=None, PARALLELOS_TIMEZONE="Europe/Lisbon")
    with LocalClient(create_app(svc)) as client:
        d = LocalDialogue(client)
        with time_machine.travel(MONDAY_10, tick=False):
            verify_dialog(d, [("Remind tomorrow: renew passport", "Reminder set for Tue 1 Dec")],
                          channel="local-travel")  # fmt: skip
        (item,) = client.get("/api/dashboard").json()["reminders"]
        assert item["due"] == "Tue 1 Dec 09:00" and item["buttons"] == []
        tick_at(svc, TOMORROW_9)
        (item,) = client.get("/api/dashboard").json()["reminders"]
        assert [b["label"] for b in item["buttons"]] == ["Done", "Snooze"]
        (card,) = [m for m in d.posts("local-travel") if m["post"].get("buttons")]
        d.click(card, "Done")
        assert client.get("/api/dashboard").json()["reminders"] == []
    export_all(db, svc.features, tmp_path / "out")
    table = (tmp_path / "out/reminders.md").read_text()
    assert "| 1 | travel | 2026-12-01 09:00 UTC | done | renew passport |" in table


def test_the_scheduler_loop_posts_due_reminders(db):
    """One pass of `parallelos scheduler`'s loop runs the reminder clock too."""
    c = lisbon_chat(db)
    set_one(c)
    with time_machine.travel(TOMORROW_9 + timedelta(seconds=5), tick=False):
        run_loop(c.svc, once=True)
    assert len(cards(c, TRAVEL)) == 1 and reminders(db)[0].status == ReminderStatus.POSTED
