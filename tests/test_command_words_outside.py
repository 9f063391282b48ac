"""A direct message that is only a command word (`board`, `help`, `status travel`) runs that
command on Slack and Telegram too, end to end through the real edges and the stand-ins; and a
question about the whole system is answered by the hub in a Telegram private chat."""

from __future__ import annotations

import json

from orchestrator.canonical import Platform, Target
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.slack_support import OPERATOR, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import running as telegram_running
from tests.telegram_support import telegram_services

NOT_ROUTED = "not sure where this belongs"


def topic(svc, domain: str) -> int:  # type: ignore[no-untyped-def]
    thread = svc.directory.resolve(Target(platform=Platform.TELEGRAM, domain=domain)).thread
    assert thread is not None
    return int(thread)


def test_board_typed_in_a_slack_dm_is_the_board(db, slack) -> None:  # type: ignore[no-untyped-def]
    svc = slack_services(db, slack, PARALLELOS_OPERATORS=f"slack:{OPERATOR}")
    with slack_running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Headline: yellow visa appointment pending", channel=travel)
        (post,) = d.thread(d.say("board"))
        shown = json.dumps(post.get("blocks", []), ensure_ascii=False)
        assert post["text"].startswith("Headline board") and "visa appointment pending" in shown


def test_help_typed_in_a_slack_dm_lists_the_commands(db, slack) -> None:  # type: ignore[no-untyped-def]
    svc = slack_services(db, slack, PARALLELOS_OPERATORS=f"slack:{OPERATOR}")
    with slack_running(svc) as client:
        d = SlackDialogue(client, slack)
        (answer,) = d.replies(d.say("help"))
        assert "board" in answer and "status" in answer
        assert NOT_ROUTED not in answer.lower()


def test_status_travel_typed_privately_on_telegram_is_the_status_doc(db, tg) -> None:  # type: ignore[no-untyped-def]
    svc = telegram_services(db, tg)
    with telegram_running(svc) as client:
        d = TelegramDialogue(client, tg)
        travel = topic(svc, "travel")
        d.say("Phase: booking the Lisbon offsite", topic=travel)
        (answer,) = d.replies(d.say("status travel"))
        assert "booking the Lisbon offsite" in answer
        assert NOT_ROUTED not in answer.lower()


def test_board_typed_privately_on_telegram_is_the_board(db, tg) -> None:  # type: ignore[no-untyped-def]
    svc = telegram_services(db, tg)
    with telegram_running(svc) as client:
        d = TelegramDialogue(client, tg)
        finance = topic(svc, "finance")
        d.say("Headline: red quarterly VAT return late", topic=finance)
        (answer,) = d.replies(d.say("board"))
        assert "quarterly VAT return late" in answer


def test_the_hub_answers_a_whole_system_question_on_telegram(db, tg) -> None:  # type: ignore[no-untyped-def]
    svc = telegram_services(db, tg)
    with telegram_running(svc) as client:
        d = TelegramDialogue(client, tg)
        finance = topic(svc, "finance")
        d.say("Headline: red estimate unpaid\nNext: pay the Q3 estimate", topic=finance)
        (answer,) = d.replies(d.say("what's overdue?"))
        assert "estimate unpaid" in answer and "pay the Q3 estimate" in answer
        assert "which domain" not in answer.lower()
