"""Live agent replies (issue 11, point 3): while a turn works, Slack shows the DM thread's
status (`assistant.threads.setStatus`) and Telegram shows typing and, in a private chat, a draft;
the answer is still the outbox's one durable post. Real slack_sdk, PTB and anthropic SDKs, each
against its stand-in; the order is read from the stand-ins' own records of when they answered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot
from telegram.error import BadRequest

from domains.agent.toolbox import Toolbox
from jobs.agent_tasks import requeue_stale_turns
from tests.agent_support import KEY
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.slack_support import FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import FORUM, fake_telegram, telegram_services
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import running as telegram_running
from tests.test_slack_e2e import HeldQueue

ASK = "we are booking lisbon: set the headline and propose the 9:40 flight"
ANSWER = "Headline set; the 9:40 waits for your approval."
STEPS = ["is thinking…", "updating the headline…", "proposing an action…", "writing the answer…"]
SET_STATUS = "assistant.threads.setStatus"


def script(api: Any) -> None:
    api.tools(("set_headline", {"text": "Booking Lisbon"}))
    api.tools(("propose_action", {"action": "Book the 9:40 flight to Lisbon"}))
    api.tools(("reply", {"text": ANSWER}))


def answered(slack: FakeSlackHooks, dialogue: SlackDialogue, said: Any) -> list[Any]:
    """The edits of the DM's placeholder that carry the final answer."""
    (asked,) = dialogue.thread(said)
    return [c for c in slack.calls("chat.update")
            if c.params.get("ts") == asked["ts"] and ANSWER in c.params.get("text", "")]  # fmt: skip


def test_slack_dm_shows_what_the_agent_does_then_one_answer_and_a_cleared_status(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        assert said.response.status_code == 200
        statuses = slack.calls(SET_STATUS)
        (final,) = answered(slack, dialogue, said)
        (asked,) = dialogue.thread(said)
        shown = slack.statuses[(said.channel, said.ref)]
    model = api.calls("messages")
    assert [c.params["status"] for c in statuses] == [*STEPS, ""]
    assert all(c.ok for c in statuses)
    assert {(c.params["channel_id"], c.params["thread_ts"]) for c in statuses} == {
        (said.channel, said.ref)
    }  # the thread where the user asked
    thinking, headline, proposing, writing, cleared = statuses
    assert thinking.at <= model[0].at <= headline.at <= model[1].at <= proposing.at
    assert proposing.at <= model[2].at <= writing.at <= final.at <= cleared.at
    assert shown == "" and ANSWER in asked["text"]  # one message: the final answer


def test_a_rate_limited_status_is_skipped_and_the_answer_comes_once(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        slack.fail_next(SET_STATUS, 429, headers={"Retry-After": "60"})
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        statuses = slack.calls(SET_STATUS)
        finals = answered(slack, dialogue, said)
    assert [(c.status, c.params["status"]) for c in statuses] == [(429, "is thinking…")]
    assert len(api.calls("messages")) == 3 and len(finals) == 1  # never retried, never waited
    assert statuses[0].at <= api.calls("messages")[0].at


def test_a_refused_status_falls_back_to_the_placeholder_silently(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        slack.fail_next(SET_STATUS, error="missing_scope")
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        statuses = slack.calls(SET_STATUS)
        finals = answered(slack, dialogue, said)
    assert len(statuses) == 1 and not statuses[0].ok  # refused once: none more this turn
    assert len(finals) == 1


def test_a_turn_crashed_mid_step_and_run_again_answers_once_and_clears_the_status(
    db, api, monkeypatch
):
    api.tools(("set_headline", {"text": "Booking Lisbon"}))
    api.tools(("propose_action", {"action": "Book the 9:40 flight to Lisbon"}))
    api.tools(("propose_action", {"action": "Book the 9:40 flight to Lisbon"}))  # asked again
    api.tools(("reply", {"text": ANSWER}))
    real_run, crashed = Toolbox.run, []

    def dies_once(self: Toolbox, name: str, args: Any, use_id: Any) -> Any:
        if name == "propose_action" and not crashed:
            crashed.append(name)
            raise SystemExit("the worker died mid-turn")
        return real_run(self, name, args, use_id)

    monkeypatch.setattr(Toolbox, "run", dies_once)
    queue = HeldQueue()
    with FakeSlackHooks() as slack:
        svc = slack_services(db, slack, queue=queue, ANTHROPIC_API_KEY=KEY)
        with slack_running(svc) as client:
            dialogue = SlackDialogue(client, slack)
            said = dialogue.say(ASK)
            with pytest.raises(SystemExit):
                queue.release()  # the real agent_turn job, dying in its second tool step
            assert requeue_stale_turns(svc, stale_after=timedelta(0)) == 1
            queue.release()  # the job run again, as the reconciler does
            statuses = [c.params["status"] for c in slack.calls(SET_STATUS)]
            finals = answered(slack, dialogue, said)
            shown = slack.statuses[(said.channel, said.ref)]
    assert crashed and len(finals) == 1  # one final answer, never two
    assert statuses[-1] == "" and shown == ""  # no status left behind
    assert statuses.count("is thinking…") == 2  # each run showed its own


def test_telegram_private_chat_types_and_drafts_the_steps_then_one_answer(db, api):
    script(api)
    with (
        fake_telegram() as tg,
        telegram_running(telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        assert TelegramDialogue(client, tg).say(ASK).response.status_code == 200
        typing = tg.calls("sendChatAction")
        drafts = tg.calls("sendMessageDraft")
        private = [m["text"] for m in tg.messages(TG_OPERATOR)]
        sent = [c for c in tg.calls("sendMessage") + tg.calls("editMessageText")
                if ANSWER in c.params.get("text", "")
                and str(c.params.get("chat_id")) == str(TG_OPERATOR)]  # fmt: skip
    model = api.calls("messages")
    assert typing and all(c.ok and c.params["action"] == "typing" for c in typing)
    assert typing[0].at <= model[0].at  # typing from the start of the turn
    steps = [c for c in drafts if c.params["text"] in STEPS]
    answer = [c for c in drafts if c not in steps]
    # the steps, then the answer itself as it is written (which the last step would hide)
    assert [c.params["text"] for c in steps] == STEPS[:3] and all(c.ok for c in drafts)
    assert answer and all(ANSWER in c.params["text"] or ANSWER.startswith(
        c.params["text"].partition("\n")[2]) for c in answer)  # fmt: skip
    assert {str(c.params["chat_id"]) for c in drafts + typing} == {str(TG_OPERATOR)}
    assert steps[0].at <= model[0].at <= steps[1].at <= model[1].at <= steps[2].at
    assert steps[2].at <= model[2].at <= answer[0].at <= answer[-1].at <= sent[0].at
    assert len(sent) == 1 and sum(ANSWER in t for t in private) == 1  # one durable answer


def test_the_telegram_stand_in_refuses_drafts_outside_private_chats() -> None:
    async def scenario(base_url: str) -> None:
        async with Bot("123:abc", base_url=base_url) as bot:
            with pytest.raises(BadRequest, match="(?i)textdraft_peer_invalid"):
                await bot.send_message_draft(chat_id=FORUM, draft_id=7, text="hm")
            assert await bot.send_message_draft(chat_id=TG_OPERATOR, draft_id=7, text="hm")
            assert await bot.send_chat_action(chat_id=FORUM, action="typing")

    with fake_telegram() as tg:
        tg.add_forum(FORUM)
        asyncio.run(scenario(tg.base_url))
        assert [c.ok for c in tg.calls("sendMessageDraft")] == [False, True]
