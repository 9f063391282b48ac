"""No silence while the model is overloaded (issue 11, point 8): the placeholder where the user
asked says the model is busy and will be tried again, before the next try; then the answer."""

from __future__ import annotations

from tests.agent_support import KEY
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.slack_support import FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import fake_telegram, telegram_services
from tests.telegram_support import running as telegram_running

ASK = "flights to lisbon in march?"
NOTICE_WITHIN = 10.0  # seconds between the model's first 529 and the user's notice (issue 11)


def test_slack_dm_hears_the_model_is_busy_before_the_retry_then_one_answer(db, api):
    api.overloaded(times=3)  # the first try and the SDK's retries of attempt 1 all get 529
    api.tools(("reply", {"text": "Lisbon in March: book early."}))
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        assert said.response.status_code == 200
        (asked,) = dialogue.thread(said)
        (placeholder,) = [c.response["ts"] for c in slack.calls("chat.postMessage")
                          if c.params.get("thread_ts") == said.ref]  # fmt: skip
        (busy,) = [c for c in slack.calls("chat.update") if c.params.get("ts") == placeholder]
        (final,) = [c for c in slack.calls("chat.update") if c.params.get("ts") == asked["ts"]]
    failed = [c for c in api.calls("messages") if c.status == 529]
    answered = [c for c in api.calls("messages") if c.status == 200]
    assert len(failed) == 3 and len(answered) == 1
    # the DM's placeholder is edited once busy; the answer then streams into the thread, in a
    # message that takes the placeholder's place, and the final answer edits that message
    assert "Claude is busy" in busy.params["text"] and "try again" in busy.params["text"]
    assert failed[0].at <= busy.at <= answered[0].at  # told before the next try
    assert busy.at - failed[0].at < NOTICE_WITHIN  # measured on the stand-ins' own records
    assert "Lisbon in March: book early." in final.params["text"]
    assert asked["text"].endswith("Lisbon in March: book early.")  # one message, final answer


def test_slack_dm_gets_a_clear_could_not_when_the_model_stays_overloaded(db, api):
    api.overloaded(times=9)  # every try of all three attempts
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        (asked,) = dialogue.thread(dialogue.say(ASK))
        texts = [c.params["text"] for c in slack.calls("chat.update")
                 if c.params.get("ts") == asked["ts"]]  # fmt: skip
    assert sum("Claude is busy" in t for t in texts) == 2  # after attempts 1 and 2
    assert "unavailable right now" in asked["text"]  # the final word, where they asked
    assert "Claude is busy" not in asked["text"]


def test_telegram_private_chat_hears_the_model_is_busy_then_one_answer(db, api):
    api.overloaded(times=3)
    api.tools(("reply", {"text": "Lisbon in March: book early."}))
    with (
        fake_telegram() as tg,
        telegram_running(telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        assert TelegramDialogue(client, tg).say(ASK).response.status_code == 200
        private = [m["text"] for m in tg.messages(TG_OPERATOR)]
        edits = [c.params.get("text", "") for c in tg.calls("editMessageText")]
    assert any("Claude is busy" in t for t in edits)
    assert any("Lisbon in March: book early." in t for t in private)
    assert not any("Claude is busy" in t for t in private)  # the notice was replaced
