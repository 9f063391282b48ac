"""Telegram commands that show a domain's private state answer in that domain's own topic (or
the private chat), never in the topic where they were typed: the whole group reads topics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.canonical import Platform, Target
from tests.dialogue import TelegramDialogue
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import FORUM, fake_telegram, running, telegram_services


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        yield fake


def topic(svc, domain: str) -> int:  # type: ignore[no-untyped-def]
    return int(svc.directory.resolve(Target(platform=Platform.TELEGRAM, domain=domain)).thread)


def texts_in(tg: FakeTelegram, chat: int, thread: int | None) -> list[str]:
    return [m["text"] for m in tg.messages(chat, thread)]


def test_status_of_finance_typed_in_travel_answers_in_the_finance_topic(db, tg) -> None:  # type: ignore[no-untyped-def]
    """Finance's doc goes to finance's topic; the travel topic only hears where it went."""
    svc = telegram_services(db, tg)
    with running(svc) as client:
        d = TelegramDialogue(client, tg)
        travel, finance = topic(svc, "travel"), topic(svc, "finance")
        d.say("Phase: saving for the house", topic=finance)
        asked = d.say("/status finance", topic=travel)
        assert d.replies(asked) == [
            "Answered in the finance topic: a domain's state stays in its own place."
        ]
        assert not any("saving for the house" in t for t in texts_in(tg, FORUM, travel))
        assert any("saving for the house" in t and "Current phase" in t
                   for t in texts_in(tg, FORUM, finance))  # fmt: skip


@pytest.mark.parametrize("where", ["own topic", "private chat"])
def test_status_in_its_own_topic_or_privately_answers_in_place(db, tg, where) -> None:  # type: ignore[no-untyped-def]
    """In finance's topic, or the operator's private chat, the doc is the answer itself."""
    svc = telegram_services(db, tg)
    with running(svc) as client:
        d = TelegramDialogue(client, tg)
        finance = topic(svc, "finance")
        d.say("Phase: saving for the house", topic=finance)
        asked = d.say("/inbox finance" if where == "private chat" else "/status finance",
                      topic=finance if where == "own topic" else None)  # fmt: skip
        (reply,) = d.replies(asked)
        assert "Answered in" not in reply
