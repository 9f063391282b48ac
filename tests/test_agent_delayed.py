"""No silence when the model is overloaded, hangs, or is misconfigured (issue 11, point 8).

A 529 with a long `retry-after` is not waited out inside the call: the user hears at once that
the agent is delayed and will retry, and the job tries again after the wait the API asked for.
A call that does not start answering gets a "slow" notice while it goes on. A rejected key or
an unknown model says so and names the setting. Real slack_sdk and anthropic SDK, stand-ins.
"""

from __future__ import annotations

from typing import Any

import pytest

from domains.agent import slow
from jobs.queue import SyncJobQueue
from tests.agent_support import KEY, turns
from tests.dialogue import SlackDialogue
from tests.slack_support import FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running

ASK = "flights to lisbon in march?"
ANSWER = "Lisbon in March: book early, the fares rise."


class DelayedQueue(SyncJobQueue):
    """Runs jobs at once, but holds a delayed one (with its delay) until `release()`."""

    def __init__(self) -> None:
        super().__init__()
        self.delayed: list[tuple[str, float, dict[str, Any]]] = []

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        if delay > 0:
            self.delayed.append((name, delay, kwargs))
            return
        self._run(name, kwargs)

    def release(self) -> None:
        while self.delayed:
            name, _, kwargs = self.delayed.pop(0)
            self._run(name, kwargs)


def placeholder_edits(slack: FakeSlackHooks, said: Any) -> list[Any]:
    (ts,) = [c.response["ts"] for c in slack.calls("chat.postMessage")
             if c.params.get("thread_ts") == said.ref]  # fmt: skip
    return [c for c in slack.calls("chat.update") if c.params.get("ts") == ts]


def test_a_long_retry_after_is_told_at_once_and_retried_after_that_wait(db, api):
    api.fail(529, retry_after=60)  # overloaded: come back in a minute
    api.tools(("reply", {"text": ANSWER}))
    queue = DelayedQueue()
    with FakeSlackHooks() as slack:
        svc = slack_services(db, slack, queue=queue, ANTHROPIC_API_KEY=KEY)
        with slack_running(svc) as client:
            dialogue = SlackDialogue(client, slack)
            said = dialogue.say(ASK)
            tried = [c.status for c in api.calls("messages")]
            (busy,) = placeholder_edits(slack, said)
            ((job, delay, _),) = queue.delayed
            queue.release()  # the wait is over: the job's next try
            (asked,) = dialogue.thread(said)
    assert tried == [529]  # one try, no retry waited out inside the call
    assert (
        "Claude is busy" in busy.params["text"] and "try again in about 60 s" in busy.params["text"]
    )
    assert busy.at >= api.calls("messages")[0].at
    assert (job, delay) == ("agent_turn", 60.0)  # the API's wait, not a shorter guess
    assert [c.status for c in api.calls("messages")] == [529, 200]
    assert asked["text"].endswith(ANSWER) and "busy" not in asked["text"]


def test_a_hanging_call_gets_a_slow_notice_while_it_goes_on(db, api, monkeypatch):
    monkeypatch.setattr(slow, "SLOW_AFTER", 0.3)
    api.tools(("reply", {"text": ANSWER}))
    api.hold_next("messages", 3.0)  # no answer at all for a while (then it comes)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        edits = placeholder_edits(slack, said)
        (asked,) = dialogue.thread(said)
    (model,) = api.calls("messages")
    notices = [c for c in edits if "slow to answer" in c.params["text"]]
    assert len(notices) == 1 and notices[0].at <= model.at  # told while the call hung
    assert asked["text"].endswith(ANSWER)  # then the answer, once
    assert [c.status for c in api.calls("messages")] == [200]


@pytest.mark.parametrize(
    ("status", "setting"), [(401, "ANTHROPIC_API_KEY"), (404, "PARALLELOS_MODEL")]
)
def test_a_configuration_error_says_so_where_asked_and_names_the_setting(db, api, status, setting):
    api.fail(status, times=3)
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        dialogue = SlackDialogue(client, slack)
        (asked,) = dialogue.thread(dialogue.say(ASK))
    assert [c.status for c in api.calls("messages")] == [status]  # never retried
    assert "agent cannot run" in asked["text"] and f"check the setting {setting}" in asked["text"]
    (turn,) = turns(db)
    assert (turn.status, turn.stop, turn.attempts) == ("done", "misconfigured", 1)
