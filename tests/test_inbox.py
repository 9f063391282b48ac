"""The cross-domain inbox in the core: asks become entries, buttons move them, privately."""

from __future__ import annotations

import pytest

from domains.inbox import service as inbox
from domains.status_lines import Ask
from orchestrator.statuses import ApprovalStatus, DeliveryStatus, InboxStatus, can_move, is_final
from tests.inbox_support import FINANCE, MEMBER, OPERATOR, TRAVEL, buttons, chat

ASK = "Ask finance high: approve the trip budget -- flights 420 EUR, hotel 300"


def test_an_ask_posts_one_card_in_the_receiving_channel(db):
    """`Ask finance high: …` in travel: one entry, its card in pos-finance, a confirmation."""
    c = chat(db)
    ts = c.say(ASK).ref
    (entry,) = c.entries()
    assert (entry.from_domain, entry.to_domain, entry.priority) == ("travel", "finance", "high")
    assert (entry.ask, entry.context) == ("approve the trip budget", "flights 420 EUR, hotel 300")
    assert (entry.title, entry.status) == ("approve the trip budget", InboxStatus.OPEN)
    (card,) = c.posts_in(FINANCE)
    assert card.post.text == "approve the trip budget"
    assert [s.value for s in card.post.sections] == ["flights 420 EUR, hotel 300"]
    assert buttons(card.post) == [f"inbox_accept:{entry.id}", f"inbox_done:{entry.id}",
                                  f"inbox_decline:{entry.id}"]  # fmt: skip
    (reply,) = c.posts_in(TRAVEL)
    assert reply.dest.thread == ts and f"inbox #{entry.id}" in reply.post.text
    assert [e.kind for e in c.events("inbox.")] == ["inbox.created"]


def test_two_asks_in_one_message_make_two_entries(db):
    """One entry per Ask line, each to its own domain's channel."""
    c = chat(db)
    c.say("Ask finance: approve the budget\nAsk legal low: check the visa rules")
    assert [(e.to_domain, e.priority) for e in c.entries()] == [
        ("finance", "normal"), ("legal", "low"),
    ]  # fmt: skip
    assert len(c.posts_in(FINANCE)) == 1 and len(c.posts_in("CPOS-LEGAL")) == 1


def test_the_entry_is_private_by_default(db):
    """Only the ask (and the context after `--`) travels; the note says what was withheld."""
    c = chat(db)
    c.say("Phase: booking\nBlocker: passport renewal\nAsk finance: approve the trip budget")
    (entry,) = c.entries()
    (card,) = c.posts_in(FINANCE)
    shown = " ".join([card.post.text, card.post.context or ""]
                     + [f.value for f in card.post.fields + card.post.sections])  # fmt: skip
    assert "passport" not in shown and "booking" not in shown and entry.context == ""
    assert "only the ask" in entry.privacy_note and "status doc" in entry.privacy_note
    assert "2 other lines" in entry.privacy_note and entry.privacy_note in shown


def test_asking_your_own_domain_is_refused_with_a_hint(db):
    """`Ask travel` from travel makes no entry; the reply says why and what to use instead."""
    c = chat(db)
    c.say("Ask travel: book the hotel")
    assert c.entries() == []
    (reply,) = c.posts_in(TRAVEL)
    assert "another domain" in reply.post.text and "Next:" in reply.post.text


def test_accept_then_done_edits_the_card_and_tells_the_sender(db):
    """open → accepted → done: each click edits the card; done is announced in travel."""
    c = chat(db)
    ts = c.say(ASK).ref
    (entry,) = c.entries()
    (card,) = c.posts_in(FINANCE)
    c.click("inbox_accept", str(entry.id))
    c.click("inbox_done", str(entry.id))
    accepted, done = c.edits_of(card)
    assert "Accepted by" in accepted.fields[1].value
    assert buttons(accepted) == [f"inbox_done:{entry.id}", f"inbox_decline:{entry.id}"]
    assert "Done by" in done.fields[1].value and done.buttons == []
    assert [e.status for e in c.entries()] == [InboxStatus.DONE]
    notice = c.posts_in(TRAVEL)[-1]
    assert notice.dest.thread == ts and "did your ask" in notice.post.text
    assert [e.kind for e in c.events("inbox.")] == ["inbox.created", "inbox.accepted",
                                                     "inbox.done"]  # fmt: skip


def test_decline_from_open_tells_the_sender(db):
    """Decline is allowed from open: the card loses its buttons, travel hears it."""
    c = chat(db)
    c.say(ASK)
    (entry,) = c.entries()
    c.click("inbox_decline", str(entry.id), user=MEMBER)
    (edit,) = c.edits_of(c.posts_in(FINANCE)[0])
    assert edit.buttons == [] and "Declined by" in edit.fields[1].value
    assert "declined your ask" in c.posts_in(TRAVEL)[-1].post.text


@pytest.mark.parametrize(
    ("clicks", "answer"),
    [
        (["inbox_done"], "Accept this ask first"),
        (["inbox_accept", "inbox_accept"], "already accepted"),
        (["inbox_decline", "inbox_accept"], "already declined"),
    ],
)
def test_an_impossible_move_is_answered_privately_and_changes_nothing(db, clicks, answer):
    """A click the status does not allow: a private answer, no edit, no event."""
    c = chat(db)
    c.say(ASK)
    (entry,) = c.entries()
    for action in clicks:
        c.click(action, str(entry.id))
    edits = len(clicks) - 1
    assert len(c.edits_of(c.posts_in(FINANCE)[0])) == edits
    assert answer in c.answers_to(OPERATOR)[-1]
    assert len(c.events("inbox.")) == 1 + edits


def test_a_click_on_an_unknown_entry_is_stale(db):
    c = chat(db)
    c.click("inbox_accept", "999")
    assert "no longer active" in c.answers_to(OPERATOR)[-1]


def test_inbox_lists_open_entries_high_priority_and_oldest_first(db):
    """`inbox` shows unfinished entries: high first, then oldest; done ones are gone."""
    c = chat(db)
    c.say("Ask finance low: file the receipts")
    c.say("Ask finance high: approve the budget")
    c.say("Ask legal: check the visa rules")
    c.say("Ask finance: pay the deposit")
    c.click("inbox_accept", str(c.entries()[3].id))
    c.click("inbox_done", str(c.entries()[3].id))
    lines = c.command("inbox").text.splitlines()
    assert [line.split(": ", 1)[1].split(" (")[0] for line in lines] == [
        "approve the budget", "check the visa rules", "file the receipts",
    ]  # fmt: skip
    finance = c.command("inbox", "finance")
    assert finance.title == "Inbox · finance" and "visa" not in finance.text
    assert "not a domain" in c.command("inbox", "nosuch").text


def test_inbox_in_a_domain_channel_lists_that_domain(db):
    c = chat(db)
    c.say("Ask travel: book the flight", channel=FINANCE)
    c.say("Ask finance: approve the budget")
    assert "book the flight" in c.command("inbox", channel=TRAVEL).text
    assert "budget" not in c.command("inbox", channel=TRAVEL).text


def test_transitions_live_in_one_table():
    """The allowed moves, per status type; shared values ("pending") never mix types."""
    assert can_move(InboxStatus.OPEN, InboxStatus.ACCEPTED)
    assert not can_move(InboxStatus.OPEN, InboxStatus.DONE)
    assert can_move(InboxStatus.ACCEPTED, InboxStatus.DECLINED)
    assert can_move(ApprovalStatus.PENDING, ApprovalStatus.EXPIRED)
    assert not can_move(ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)
    assert can_move(DeliveryStatus.FAILED, DeliveryStatus.PENDING)
    assert not can_move(DeliveryStatus.PENDING, ApprovalStatus.APPROVED)
    assert is_final(InboxStatus.DONE) and is_final(ApprovalStatus.EXPIRED)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("approve the trip budget", "approve the trip budget"),
        ("Approve it. Then tell me.", "Approve it"),
        ("word " * 30, "word word word word word word word word word word word…"),
    ],
)
def test_titles_are_brief(text, title):
    assert inbox.brief_title(text) == title


def test_context_follows_the_double_dash():
    assert inbox.split_context("pay -- the invoice is 300") == ("pay", "the invoice is 300")
    assert inbox.split_context("pay the invoice") == ("pay the invoice", "")
    assert inbox.split_context("-- only context") == ("-- only context", "")


def test_operator_identity_is_kept(db):
    """The entry records who asked and who moved it last."""
    c = chat(db)
    c.say(ASK)
    c.click("inbox_accept", str(c.entries()[0].id))
    (entry,) = c.entries()
    assert entry.created_by == f"slack:{OPERATOR}" and entry.updated_by == f"slack:{OPERATOR}"


@pytest.mark.skipif("privacy_note" not in Ask.model_fields, reason="Ask has no privacy_note yet")
def test_an_agent_handoff_keeps_its_own_privacy_note(db):
    """A handoff that says what it withheld: the note carries those words too."""
    c = chat(db)
    with c.db.session() as s:
        ctx = _context(c, s)
        op = Ask(to_domain="finance", text="approve the budget -- 900 EUR",
                 privacy_note="kept the itinerary and the companions' names")  # fmt: skip
        inbox.ask(ctx, "travel", op)
    (entry,) = c.entries()
    assert entry.privacy_note.endswith("kept the itinerary and the companions' names")
    assert "other line" not in entry.privacy_note and entry.context == "900 EUR"


def _context(c, session):  # type: ignore[no-untyped-def]
    from orchestrator.canonical import EventKind, InboundEvent, Platform
    from orchestrator.context import Context
    from orchestrator.posting import PostBatch

    event = InboundEvent(platform=Platform.SLACK, external_id="agent1", kind=EventKind.MESSAGE,
                         user=OPERATOR, channel=TRAVEL, text="plan the trip\nand more", message_ref="9.9")  # fmt: skip
    return Context(session, event, 0, PostBatch(session, "agent-test"), c.svc.orchestrator)
