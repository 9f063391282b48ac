"""What a turn may see: only its own domain's thread, secrets redacted, and the time now."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from orchestrator.models import InboundEventRow
from orchestrator.redact import redact
from tests.agent_support import DM, FINANCE, agent_chat, events, notes, turns

FINANCE_TEXT = "my salary is 95k and the joint account balance is 12,345"
SECRETS = (
    "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, account number 12345678, "
    "the bank code is 482913 and password: hunter2 please file the statement"
)


def test_a_career_turn_never_sees_the_finance_message_of_the_same_dm_thread(db, api):
    """The leak of issue 12: one Slack DM thread, a finance message, then a career turn."""
    c = agent_chat(db)
    api.text("Recorded the balance.")
    first = c.say(f"finance: {FINANCE_TEXT}", channel=DM)
    api.text("Here is a draft for your manager.")
    c.say("career: draft a note to my manager about my review", channel=DM, thread=first.ref)
    finance_call, career_call = api.requests()
    assert FINANCE_TEXT in json.dumps(finance_call)
    seen = json.dumps(career_call)
    for secret in ("95k", "12,345", "joint account", "Recorded the balance"):
        assert secret not in seen
    assert [t.domain for t in turns(db)] == ["finance", "career"]


def test_the_same_domain_still_sees_its_own_earlier_turn_in_a_dm_thread(db, api):
    c = agent_chat(db)
    api.text("Recorded the balance.")
    first = c.say(f"finance: {FINANCE_TEXT}", channel=DM)
    c.say("finance: and what is due this week?", channel=DM, thread=first.ref)
    thread = api.requests()[-1]["messages"][0]["content"][0]["text"]
    assert "user: finance: my salary is 95k" in thread


def test_secrets_are_redacted_before_storage_and_before_the_model(db, api):
    """Card (Luhn), IBAN (mod 97), account number, one-time code, password: never kept."""
    c = agent_chat(db)
    c.say(SECRETS, channel=FINANCE)
    stored = [
        json.dumps([r.payload for r in _rows(db)]),
        json.dumps([e.data for e in events(db, "domain.note")]),
        json.dumps([n.text for n in notes(db, "finance")]),
        json.dumps(api.requests()),
    ]
    for text in stored:
        for secret in ("4111 1111 1111 1111", "GB82", "12345678", "482913", "hunter2"):
            assert secret not in text
        assert "[card ending 1111]" in text and "[IBAN redacted]" in text
        assert "please file the statement" not in text or "[password redacted]" in text


def test_redaction_keeps_what_is_not_a_secret():
    """A non-Luhn long number, a phone number, amounts and dates stay as written."""
    kept = "order 1234 5678 9012 3456, call +44 20 7946 0958, £1,250 due 2026-03-01"
    assert redact(kept) == kept
    assert redact("PIN: 1234") == "PIN: [code redacted]"
    assert redact("acct # 99-1234-5678") == "acct # [account number redacted]"


def test_every_turn_says_the_date_weekday_time_and_timezone(db, api):
    """PARALLELOS_TIMEZONE, DST included: 15:30 UTC on 8 March 2026 is 11:30 in New York."""
    c = agent_chat(db, PARALLELOS_TIMEZONE="America/New_York")
    with time_machine.travel(datetime(2026, 3, 8, 15, 30, tzinfo=UTC), tick=True):
        c.say("what's due today?", channel=FINANCE)
    ask = api.requests()[0]["messages"][0]["content"][1]["text"]
    assert "Now: Sunday 2026-03-08 11:30" in ask
    assert "(America/New_York, UTC-04:00)" in ask


def _rows(db) -> list[InboundEventRow]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.scalars(select(InboundEventRow)))
