"""`charter <domain>` in chat, and the shadow report card in the hub: posted once a day while a
shadow runs, its **Activate** and **Stop** buttons for operators only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from domains.versions.models import CharterHeadRow
from jobs.brief_tick import shadow_reports
from orchestrator.canonical import Platform
from tests.charter_support import RECEIPT, charter, charter_dir, receipts_candidate, use
from tests.dialogue import CoreDialogue
from tests.helpers import make_services
from tests.recording_sender import RecordingSender


def core(db, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    domains = charter_dir(tmp_path)
    use(monkeypatch, db, domains)
    d = CoreDialogue(db=db, channel="CFIN", cards="CHUB")
    svc = make_services(db, senders={Platform.SLACK: d.sender}, SLACK_BOT_TOKEN="xoxb-test",
                        SLACK_SIGNING_SECRET="s", PARALLELOS_OPERATORS="slack:UOP",
                        PARALLELOS_DOMAINS_DIR=str(domains))  # fmt: skip
    svc.directory.remember(Platform.SLACK, "finance", "CFIN", None, "pos-finance")
    svc.directory.remember(Platform.SLACK, "hub", "CHUB", None, "pos-hub")
    charter(capsys, "shadow", "finance", str(receipts_candidate(tmp_path)))
    return d, svc


def head(db) -> CharterHeadRow:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalars(select(CharterHeadRow).where(CharterHeadRow.domain == "finance")).one()


def test_charter_command_shows_active_and_shadow(db, tmp_path, monkeypatch, capsys):
    """The active version with its changelog, and the running shadow with its agreement."""
    d, _ = core(db, tmp_path, monkeypatch, capsys)
    d.say(RECEIPT, channel="DOP", user="UOP")
    answer = d.command("charter", "finance")
    assert "*finance* runs version 1 (1.0.0" in answer.text
    assert "Shadow: version 2 (1.1.0" in answer.text and "1 messages, 0 agreed" in answer.text
    assert "Usage: `charter <domain>`" in d.command("charter", "").text


def test_daily_card_once_and_operators_only(db, tmp_path, monkeypatch, capsys):
    """The report goes to the hub once a day; a non-operator's Activate changes nothing; an
    operator's Activate cuts over and the card goes stale."""
    d, svc = core(db, tmp_path, monkeypatch, capsys)
    d.say(RECEIPT, channel="DOP", user="UOP")
    day = datetime(2026, 12, 2, 9, 0)
    assert shadow_reports(svc, now=day)
    assert not shadow_reports(svc, now=day.replace(hour=18))
    (card,) = [s for s in d.sender.sent if s.post.title and "Shadow report" in s.post.title]
    assert [b.label for b in card.post.buttons] == ["Activate", "Stop"]
    assert "1 differed" in card.post.text
    value = card.post.buttons[0].value
    d.click("charter_activate", value, user="USTRANGER")
    assert head(db).active == 1 and "Only an operator" in d.answers_to("USTRANGER")[-1]
    d.click("charter_activate", value, user="UOP")
    assert (head(db).active, head(db).shadow) == (2, None)
    d.click("charter_stop", value, user="UOP")
    assert "out of date" in d.answers_to("UOP")[-1]
    assert not shadow_reports(svc, now=day.replace(day=3))  # no shadow runs: no report


def test_stop_ends_the_shadow(db, tmp_path, monkeypatch, capsys):
    """Stop keeps the active version and ends the shadow; nothing is recorded after it."""
    d, svc = core(db, tmp_path, monkeypatch, capsys)
    shadow_reports(svc, now=datetime(2026, 12, 2, 9, 0))
    d.click("charter_stop", "finance:2", user="UOP")
    assert (head(db).active, head(db).shadow) == (1, None)
    assert isinstance(d.sender, RecordingSender)
