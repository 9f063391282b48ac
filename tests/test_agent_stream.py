"""The agent's answer, live as the model writes it (issue 11, point 3), and exactly once.

Slack: streamed into the thread where the user asked (`chat.startStream` / `appendStream` /
`stopStream`, appends coalesced), 👍/👎 at the end, the final post editing the stream's message;
a refused stream falls back to edits of the placeholder. Telegram: drafts in a private chat then
one `sendMessage`; edits of the placeholder in a forum topic. Real slack_sdk, PTB and anthropic
SDKs against their stand-ins; the model writes at its own pace (`api.pace`), so the order and
the coalescing are read from the stand-ins' own records, never from a clock in the test.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from domains.agent.streaming import stream_once
from orchestrator.canonical import Platform
from tests.agent_support import KEY, events, turns
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.slack_support import FakeSlackHooks, card_click, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import fake_telegram, telegram_services
from tests.telegram_support import running as telegram_running

ASK = "plan the lisbon trip: flights, hotel, what first?"
ANSWER = (
    "Book the 9:40 flight first: it is the cheapest seat left this week, and the fare rises "
    "on Friday. Then the hotel near Alfama (two nights, with a late check-out), and the "
    "airport transfer last, once the landing time is fixed. I set the headline to Booking "
    "Lisbon so the board shows where this stands."
)
GAP = 0.08  # seconds between the stand-in's stream events (a model writing at its own pace)


def script(api: Any) -> None:
    api.tools(("set_headline", {"text": "Booking Lisbon"}))
    api.tools(("reply", {"text": ANSWER}))
    api.pace(GAP)


def streamed(slack: FakeSlackHooks) -> str:
    """What the stream calls wrote, in order, after the heading naming the domain."""
    calls = slack.calls("chat.startStream") + slack.calls("chat.appendStream")
    return body("".join(c.params.get("markdown_text", "") for c in calls if c.ok))


def body(text: str) -> str:
    """The answer without the first line that names the domain ("→ travel · copy in …")."""
    head, _, rest = text.partition("\n")
    return rest.lstrip("\n") if "→" in head else text


def placeholder_ts(slack: FakeSlackHooks, said: Any) -> str:
    (ts,) = [c.response["ts"] for c in slack.calls("chat.postMessage")
             if c.params.get("thread_ts") == said.ref]  # fmt: skip
    return str(ts)


def test_slack_streams_the_answer_into_the_thread_then_one_final_answer_with_feedback(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        placeholder = placeholder_ts(slack, said)
        (start,) = slack.calls("chat.startStream")
        appends = slack.calls("chat.appendStream")
        (stop,) = slack.calls("chat.stopStream")
        (deleted,) = slack.calls("chat.delete")
        (final,) = [c for c in slack.calls("chat.update")
                    if c.params.get("ts") == start.response["ts"]]  # fmt: skip
        (asked,) = dialogue.thread(said)
        text = streamed(slack)
    assert start.ok and (start.params["channel"], start.params["thread_ts"]) == (
        said.channel,
        said.ref,
    )
    assert start.params["recipient_user_id"] == dialogue.user
    assert all(a.ok for a in appends) and 1 <= len(appends) < len(ANSWER) // 12  # coalesced
    assert text and ANSWER.startswith(text)  # appended in order, never twice
    assert "→ travel" in start.params["markdown_text"]  # headed like the final answer
    assert start.at <= deleted.at and deleted.params["ts"] == placeholder  # replaced, then gone
    assert all(start.at <= a.at <= stop.at for a in appends) and stop.at <= final.at
    assert stop.ok and stop.params["ts"] == start.response["ts"] == final.params["ts"]
    feedback = [b for b in json.loads(json.dumps(stop.params["blocks"]))
                if b["type"] == "context_actions"]  # fmt: skip
    assert feedback and feedback[0]["elements"][0]["type"] == "feedback_buttons"
    assert asked["ts"] == start.response["ts"] and not asked["streaming"]  # nothing left open
    assert asked["text"].endswith(ANSWER)  # one message in the thread: the final answer
    assert any(b["type"] == "context_actions" for b in asked["blocks"])  # 👍/👎 kept


def test_a_feedback_click_is_recorded_as_an_event(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        (asked,) = dialogue.thread(dialogue.say(ASK))
        (element,) = [e for b in asked["blocks"] if b["type"] == "context_actions"
                      for e in b["elements"]]  # fmt: skip
        payload = card_click(
            slack, asked, element["action_id"], user=dialogue.user, value="bad", hook="fb"
        )
        payload["actions"][0]["type"] = "feedback_buttons"
        assert dialogue.deliver(payload).status_code == 200
        thanked = dialogue.private_answers()
    (turn,) = turns(db)
    (rated,) = events(db, "agent.feedback")
    assert (rated.subject, rated.data["rating"], rated.domain) == (
        f"turn:{turn.id}",
        "bad",
        "travel",
    )
    assert rated.actor == f"slack:{dialogue.user}"
    assert thanked and "feedback" in thanked[-1].lower()


def test_a_refused_stream_falls_back_to_editing_the_placeholder_with_the_partial_answer(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        slack.fail_next("chat.startStream", error="missing_scope")
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        placeholder = placeholder_ts(slack, said)
        edits = [c for c in slack.calls("chat.update") if c.params.get("ts") == placeholder]
        (asked,) = dialogue.thread(said)
    assert [c.ok for c in slack.calls("chat.startStream")] == [False]  # refused once, not again
    assert not slack.calls("chat.appendStream") and not slack.calls("chat.delete")
    *partial, final = edits
    assert partial and all(c.ok and c.params["text"].endswith(" …") for c in partial)
    assert all(ANSWER.startswith(body(c.params["text"]).removesuffix(" …")) for c in partial)
    assert [b.at - a.at > 0 for a, b in zip(partial, partial[1:], strict=False)] == [True] * (
        len(partial) - 1
    )
    assert len(partial) < len(ANSWER) // 12  # bounded: far fewer edits than deltas
    assert ANSWER in final.params["text"] and asked["ts"] == placeholder
    assert asked["text"].endswith(ANSWER)


def test_a_rate_limited_append_is_skipped_and_the_answer_still_comes_once(db, api):
    script(api)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        slack.fail_next("chat.appendStream", 429, headers={"Retry-After": "60"})
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        appends = slack.calls("chat.appendStream")
        (stop,) = slack.calls("chat.stopStream")
        (asked,) = dialogue.thread(said)
        text = streamed(slack)
    assert [c.status for c in appends] == [429]  # then quiet until its Retry-After: no retry
    assert stop.ok and ANSWER.startswith(text)
    assert asked["text"].endswith(ANSWER) and not asked["streaming"]  # the final post has it all


def test_telegram_private_chat_drafts_the_partial_answer_then_sends_it_once(db, api):
    script(api)
    with (
        fake_telegram() as tg,
        telegram_running(telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        said = TelegramDialogue(client, tg).say(ASK)
        assert said.response.status_code == 200
        drafts = [c for c in tg.calls("sendMessageDraft") if ANSWER[:10] in c.params["text"]]
        sends = [c for c in tg.calls("sendMessage") if ANSWER in c.params.get("text", "")]
        (placeholder,) = [c for c in tg.calls("sendMessage") if "Thinking" in c.params["text"]
                          and c.params["chat_id"] == str(TG_OPERATOR)]  # fmt: skip
        (deleted,) = tg.calls("deleteMessage")
        private = [m["text"] for m in tg.messages(TG_OPERATOR)]
    assert drafts and all(c.ok for c in drafts)
    assert all(ANSWER.startswith(body(c.params["text"])) for c in drafts)  # as it grows
    assert all("→ travel" in c.params["text"] for c in drafts)  # named as the final will be
    assert len(drafts) < len(ANSWER) // 12  # bounded: far fewer drafts than deltas
    assert deleted.params["message_id"] == str(placeholder.response["result"]["message_id"])
    (final,) = [c for c in sends if c.params["chat_id"] == str(TG_OPERATOR)]  # one, after drafts
    assert all(d.at <= final.at for d in drafts)
    assert not [c for c in tg.calls("editMessageText") if ANSWER in c.params.get("text", "")
                and c.params["chat_id"] == str(TG_OPERATOR)]  # fmt: skip
    assert json.loads(final.params["reply_parameters"])["message_id"] == said.ref
    assert sum(ANSWER in t for t in private) == 1 and not any("Thinking" in t for t in private)


def test_telegram_forum_topic_edits_the_placeholder_with_the_partial_answer(db, api):
    script(api)
    with fake_telegram() as tg:
        svc = telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)
        with telegram_running(svc) as client:
            chat, topic = svc.senders[Platform.TELEGRAM].ensure_channel(domain="travel",
                                                                         name="travel")  # fmt: skip
            svc.directory.remember(Platform.TELEGRAM, "travel", chat, topic, "travel")
            dialogue = TelegramDialogue(client, tg)
            said = dialogue.say(ASK, topic=int(topic or 0))
            assert said.response.status_code == 200
            (placeholder,) = [c for c in tg.calls("sendMessage") if "Thinking" in c.params["text"]]
            message_id = str(placeholder.response["result"]["message_id"])
            edits = [c for c in tg.calls("editMessageText")
                     if c.params["message_id"] == message_id]  # fmt: skip
    assert not tg.calls("sendMessageDraft")  # drafts are for private chats only
    *partial, final = edits
    assert partial and all(c.params["text"].endswith(" …") for c in partial)
    assert len(partial) < len(ANSWER) // 12
    assert ANSWER in final.params["text"] and not tg.calls("deleteMessage")


def test_the_stream_stand_in_refuses_appends_to_unknown_or_stopped_streams() -> None:
    with FakeSlackHooks() as slack:
        web = WebClient(token="xoxb-test", base_url=slack.url)
        im = slack.add_im(dialogue_user := "U0OPER001")
        ts = slack.add_message(im, "hi", user=dialogue_user)
        started = web.chat_startStream(channel=im, thread_ts=ts, markdown_text="Hel")
        web.chat_appendStream(channel=im, ts=started["ts"], markdown_text="lo")
        web.chat_stopStream(channel=im, ts=started["ts"])
        errors = []
        for call in (
            lambda: web.chat_appendStream(channel=im, ts=started["ts"], markdown_text="!"),
            lambda: web.chat_stopStream(channel=im, ts=started["ts"]),
            lambda: web.chat_appendStream(channel=im, ts="1.000001", markdown_text="!"),
        ):
            try:
                call()
            except SlackApiError as exc:
                errors.append(exc.response["error"])
        channel = slack.add_channel("pos-travel")
        root = slack.add_message(channel, "hi", user=dialogue_user)
        try:
            web.chat_startStream(channel=channel, thread_ts=root, markdown_text="x")
        except SlackApiError as exc:
            errors.append(exc.response["error"])
        (message,) = [m for m in slack.messages(im) if m.get("thread_ts") == ts and m["ts"] != ts]
    assert errors == ["message_not_in_streaming_state"] * 2 + [
        "message_not_found",
        "missing_recipient_user_id",
    ]
    assert message["text"] == "Hello" and not message["streaming"]


def test_the_stand_in_streams_what_the_sdk_reassembles_into_the_same_message(api):
    for _ in range(2):
        api.tools(("reply", {"text": ANSWER}), text="Let me see.", thinking="Lisbon first.")
    client = anthropic.Anthropic(api_key=KEY, base_url=api.origin, max_retries=0)
    request: dict[str, Any] = {"model": "claude-sonnet-5-5", "max_tokens": 64,
                               "messages": [{"role": "user", "content": ASK}]}  # fmt: skip
    with client.messages.stream(**request) as stream:
        kinds = [event.type for event in stream]
        streamed = stream.get_final_message()
    plain = client.messages.create(**request)
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert {"content_block_start", "content_block_delta", "content_block_stop"} <= set(kinds)
    assert {"text", "input_json", "thinking", "signature", "message_delta"} <= set(kinds)
    same = ("type", "stop_reason")
    assert [b.model_dump(exclude={"id"}) for b in streamed.content] == [
        b.model_dump(exclude={"id"}) for b in plain.content
    ]
    assert [getattr(streamed, k) for k in same] == [getattr(plain, k) for k in same]
    assert streamed.usage.output_tokens == plain.usage.output_tokens


def test_the_answer_so_far_is_the_reply_tools_half_written_text(api):
    api.tools(("set_headline", {"text": "Booking"}), ("reply", {"text": ANSWER}))
    client = anthropic.Anthropic(api_key=KEY, base_url=api.origin, max_retries=0)
    seen: list[str] = []
    request: dict[str, Any] = {"model": "claude-sonnet-5-5", "max_tokens": 64,
                               "messages": [{"role": "user", "content": ASK}]}  # fmt: skip
    message = stream_once(client, request, 10.0, on_text=seen.append)
    assert message.stop_reason == "tool_use" and seen[-1] == ANSWER
    assert len(seen) > 3 and all(ANSWER.startswith(t) for t in seen)  # grows, never jumps
    assert not any(t == "Booking" for t in seen)  # another tool's input is not the answer
