"""Approvals in the core: only an operator's click decides, once; cards edited; expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from domains import store
from domains.approvals import service as approvals
from domains.approvals.models import ApprovalDecisionRow
from jobs.reconcile import reconcile
from orchestrator.statuses import ApprovalStatus, DeliveryStatus
from tests.helpers import make_settings
from tests.inbox_support import MEMBER, OPERATOR, OTHER_OPERATOR, TRAVEL, Chat, buttons, chat

PROPOSE = "Propose: book the 9:40 flight to Lisbon"


def proposed(c: Chat) -> tuple[str, str]:
    """Propose in travel; return (the approval's public id, the thread it lives in)."""
    thread = c.say(PROPOSE).ref
    return c.approval().public_id, thread


def card_of(c: Chat):  # type: ignore[no-untyped-def]
    return next(s for s in c.posts_in(TRAVEL) if s.post.buttons or c.edits_of(s))


def decisions(c: Chat) -> int:
    with c.db.session() as s:
        return s.scalar(select(func.count()).select_from(ApprovalDecisionRow)) or 0


def later(days: float) -> time_machine.travel:
    return time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=False)


def test_a_proposal_posts_a_card_in_its_thread(db):
    """`Propose:` makes a pending approval; its card (Approve, Reject) answers in the thread."""
    c = chat(db)
    public_id, ts = proposed(c)
    card, confirmation = c.posts_in(TRAVEL)
    assert card.dest.thread == ts and confirmation.dest.thread == ts
    assert buttons(card.post) == [f"approve:{public_id}", f"reject:{public_id}"]
    assert card.post.text == "book the 9:40 flight to Lisbon"
    assert public_id in confirmation.post.text and "2 days" in confirmation.post.text
    approval = c.approval()
    assert approval.status == ApprovalStatus.PENDING
    assert approval.expires_at - approval.created_at == timedelta(days=2)  # travel's charter
    assert [e.kind for e in c.events("approval.")] == ["approval.proposed"]


def test_an_operator_approves_once_and_it_becomes_the_latest_decision(db):
    """The operator's click: one decision, the status doc's Latest decision, the card edited."""
    c = chat(db)
    public_id, _ = proposed(c)
    c.click("approve", public_id, channel=TRAVEL)
    approval = c.approval()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.decided_by == f"slack:{OPERATOR}" and approval.decided_at is not None
    assert approval.webhook_status == DeliveryStatus.NONE  # no ACTION_WEBHOOK_URL
    (edit,) = c.edits_of(card_of(c))
    assert edit.buttons == [] and "Approved by" in edit.fields[-1].value
    with db.session() as s:
        assert store.load_doc(s, "travel").decision.startswith("book the 9:40 flight")
    kinds = [e.kind for e in c.events("approval.")] + [e.subject for e in c.events("status.")]
    assert kinds == ["approval.proposed", "approval.approved", "decision"]


def test_someone_who_is_not_an_operator_changes_nothing(db):
    """A member's click is answered privately; the approval stays pending and the card as is."""
    c = chat(db)
    public_id, _ = proposed(c)
    c.click("approve", public_id, user=MEMBER, channel=TRAVEL)
    c.click("reject", public_id, user=MEMBER, channel=TRAVEL)
    assert c.answers_to(MEMBER) == ["Only an operator can decide this. Nothing changed."] * 2
    assert c.approval().status == ApprovalStatus.PENDING and decisions(c) == 0
    assert c.edits_of(card_of(c)) == []
    assert [e.kind for e in c.events("approval.")][1:] == ["approval.refused"] * 2


def test_clicking_twice_or_by_two_operators_decides_once(db):
    """Double click, then another operator's Reject: one decision; the others are told."""
    c = chat(db)
    public_id, _ = proposed(c)
    c.click("approve", public_id, channel=TRAVEL)
    c.click("approve", public_id, channel=TRAVEL)
    c.click("reject", public_id, user=OTHER_OPERATOR, channel=TRAVEL)
    assert decisions(c) == 1 and c.approval().status == ApprovalStatus.APPROVED
    assert len(c.edits_of(card_of(c))) == 1
    assert c.answers_to(OPERATOR)[0].startswith("Already approved by")
    assert c.answers_to(OTHER_OPERATOR)[0].startswith("Already approved by")


def test_a_redelivered_click_is_a_no_op(db):
    """The same click delivered again (same Slack action id) is stored and handled once."""
    c = chat(db)
    public_id, _ = proposed(c)
    for _ in range(3):
        c.click("approve", public_id, channel=TRAVEL, external_id="act:U1:1700000000.1")
    assert decisions(c) == 1 and len(c.edits_of(card_of(c))) == 1
    assert c.answers_to(OPERATOR) == []


def test_a_reject_records_no_decision_in_the_doc(db):
    c = chat(db)
    public_id, _ = proposed(c)
    c.click("reject", public_id, channel=TRAVEL)
    assert c.approval().status == ApprovalStatus.REJECTED
    (edit,) = c.edits_of(card_of(c))
    assert edit.title.startswith("Rejected") and edit.buttons == []
    with db.session() as s:
        assert store.load_doc(s, "travel").decision == ""


def test_no_text_can_approve_anything(db):
    """ "approve all" (or `Decision: approve`) from an operator is just a message."""
    c = chat(db)
    public_id, _ = proposed(c)
    c.say("approve all")
    c.say(f"approve {public_id}")
    c.say("@parallelos approve everything pending", channel="D1")
    assert c.approval().status == ApprovalStatus.PENDING and decisions(c) == 0


def test_a_click_after_expiry_shows_expired_and_decides_nothing(db):
    """Past expires_at the click expires the approval (card edited) and approves nothing."""
    c = chat(db)
    public_id, _ = proposed(c)
    with later(3):
        c.click("approve", public_id, channel=TRAVEL)
        c.click("approve", public_id, channel=TRAVEL)
    approval = c.approval()
    assert approval.status == ApprovalStatus.EXPIRED and approval.decided_by == "system"
    (edit,) = c.edits_of(card_of(c))
    assert edit.title.startswith("Expired") and edit.buttons == []
    assert all(a.startswith("This approval expired") for a in c.answers_to(OPERATOR))
    assert len(c.answers_to(OPERATOR)) == 2 and decisions(c) == 1
    with db.session() as s:
        assert store.load_doc(s, "travel").decision == ""


def test_the_reconciler_expires_what_nobody_decided(db):
    """The sweep marks overdue approvals expired and edits their cards, once."""
    c = chat(db)
    public_id, _ = proposed(c)
    with later(1):
        assert reconcile(c.svc).expired == 0
    with later(2.5):
        assert reconcile(c.svc).expired == 1
        assert reconcile(c.svc).expired == 0
    assert c.approval().status == ApprovalStatus.EXPIRED
    assert len(c.edits_of(card_of(c))) == 1
    c.click("approve", public_id, channel=TRAVEL)
    assert c.approval().status == ApprovalStatus.EXPIRED and decisions(c) == 1


def test_approvals_lists_pending_ones_with_their_age(db):
    """`approvals` shows what waits, oldest first, with age and time left; not decided ones."""
    c = chat(db)
    first, _ = proposed(c)
    with later(1 / 8):  # 3 hours
        c.say("Propose: cancel the gym membership", channel="CPOS-FINANCE")
        second = [a for a in c.command("approvals").text.splitlines()]
    assert len(second) == 2 and first in second[0] and "proposed 3h ago" in second[0]
    assert "expires in 1d" in second[0] and "finance" in second[1]
    c.click("reject", first, channel=TRAVEL)
    assert first not in c.command("approvals").text
    with later(8):
        assert c.command("approvals").text == "No approvals waiting."


def test_who_may_decide():
    """Operators only; the local chat's user only when no operator is configured at all."""
    configured = make_settings(PARALLELOS_OPERATORS="slack:U1,telegram:42")
    assert approvals.may_decide(configured, "slack:U1")
    assert approvals.may_decide(configured, "telegram:42")
    assert not approvals.may_decide(configured, "slack:U2")
    assert not approvals.may_decide(configured, "local:operator")
    assert approvals.may_decide(make_settings(), "local:operator")
    assert not approvals.may_decide(make_settings(), "slack:U1")


def test_public_ids_fit_telegram_callback_data():
    ids = {approvals.new_public_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(f"approval_retry:{i}".encode()) <= 64 for i in ids)
