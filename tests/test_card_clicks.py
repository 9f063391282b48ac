"""A click counts only on its own card: the message clicked, on the platform it was posted to.

Button values are plain ids, and Telegram lets a client send any callback data, so a forged
`approve:<id>` on another card (or from another platform) must change nothing and be told the
button is stale."""

from __future__ import annotations

from domains.approvals.models import ApprovalRow
from domains.inbox.models import InboxEntryRow
from orchestrator.canonical import Platform, Target
from tests.dialogue import SlackDialogue, TelegramDialogue, actions
from tests.fakes import telegram_payloads as tp
from tests.fakes.telegram_api import FakeTelegram
from tests.slack_support import OPERATOR, FakeSlackHooks, card_click, running, slack_services
from tests.telegram_support import FORUM, SECRET
from tests.telegram_support import OPERATOR as TG_OPERATOR

STALE = "That button is no longer active."


def both(db, slack: FakeSlackHooks, tg: FakeTelegram):  # type: ignore[no-untyped-def]
    """One system on Slack and Telegram, one operator on each."""
    return slack_services(
        db, slack, PARALLELOS_OPERATORS=f"slack:{OPERATOR},telegram:{TG_OPERATOR}",
        TELEGRAM_BOT_TOKEN="123456:TEST-secret-token", TELEGRAM_API_URL=tg.base_url,
        TELEGRAM_CHAT_ID=str(tg.add_forum(FORUM)), PUBLIC_URL="https://parallelos.example",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
    )  # fmt: skip


def statuses(db, model: type) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return [row.status for row in s.query(model).order_by(model.id)]


def forged_click(d: SlackDialogue, card: dict, action_id: str) -> None:
    """The operator's click on `card`, with another button's action id."""
    assert d.deliver(card_click(d.slack, card, action_id, hook="forged")).status_code == 200


def test_an_approval_clicked_on_another_approvals_card_is_stale(db, slack, tg) -> None:  # type: ignore[no-untyped-def]
    """approve:<B> sent from card C changes nothing; B's own card then approves it."""
    svc = both(db, slack, tg)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        card_b = d.thread(d.say("Propose: book the hotel", channel=travel))[0]
        card_c = d.thread(d.say("Propose: book the flight", channel=travel))[0]
        approve_b = actions(card_b)[0]["action_id"]
        forged_click(d, {**card_c, "channel": travel}, approve_b)
        assert statuses(db, ApprovalRow) == ["pending", "pending"]
        assert d.private_answers() == [STALE]
        d.click({**card_b, "channel": travel}, "Approve")
        assert statuses(db, ApprovalRow) == ["approved", "pending"]


def test_an_inbox_move_clicked_on_an_approval_card_is_stale(db, slack, tg) -> None:  # type: ignore[no-untyped-def]
    """inbox_accept:<entry> forged onto an approval card leaves the entry open."""
    svc = both(db, slack, tg)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Ask finance: pay the deposit", channel=travel)
        card = d.thread(d.say("Propose: book the flight", channel=travel))[0]
        with db.session() as s:
            (entry_id,) = [e.id for e in s.query(InboxEntryRow)]
        forged_click(d, {**card, "channel": travel}, f"inbox_accept:{entry_id}")
        assert statuses(db, InboxEntryRow) == ["open"] and d.private_answers() == [STALE]


def test_a_telegram_click_cannot_decide_a_slack_approval(db, slack, tg) -> None:  # type: ignore[no-untyped-def]
    """Forged callback_data on a Telegram card naming a Slack approval changes nothing."""
    svc = both(db, slack, tg)
    with running(svc) as client:
        d, t = SlackDialogue(client, slack), TelegramDialogue(client, tg, user=TG_OPERATOR)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Propose: book the hotel", channel=travel)  # a Slack approval
        topic = int(svc.directory.resolve(Target(platform=Platform.TELEGRAM, domain="travel"))
                    .thread or 0)  # fmt: skip
        tg_card = t.thread(t.say("Propose: book the flight", topic=topic))[0]
        with db.session() as s:
            slack_id = s.query(ApprovalRow).filter_by(platform="slack").one().public_id
        forged = tp.callback_update(9001, TG_OPERATOR, f"approve:{slack_id}", tg_card,
                                    callback_id="forged")  # fmt: skip
        assert t.deliver(forged).status_code == 200
        tg.wait_for("answerCallbackQuery", count=1)
        assert statuses(db, ApprovalRow) == ["pending", "pending"]
        assert t.answers()["forged"] == STALE
