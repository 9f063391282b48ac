"""With a model key, end to end: Slack and Telegram deliveries in, the real anthropic SDK to the
Messages API stand-in, the real platform clients out to the fake Web and Bot APIs."""

from __future__ import annotations

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from domains import store
from jobs.queue import RQJobQueue
from orchestrator import handoff
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import store_events
from orchestrator.statuses import ApprovalStatus
from tests.agent_support import KEY
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import OPERATOR, FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import FORUM, fake_telegram, telegram_services
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import running as telegram_running

ASK = "flights to lisbon in march? we're booking now; book the 9:40 if it's under 200 EUR"


def script(api) -> None:  # type: ignore[no-untyped-def]
    api.tools(
        ("update_status", {"phase": "Booking", "next_steps": ["book the 9:40 flight"]}),
        ("propose_action", {"action": "Book the 9:40 flight to Lisbon (under 200 EUR)"}),
    )
    api.tools(("reply", {"text": "Phase is Booking; the 9:40 waits for your approval."}))


def doc_and_approval(db):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from domains.approvals.models import ApprovalRow

    with db.session() as s:
        return store.load_doc(s, "travel"), s.scalars(select(ApprovalRow)).one()


def test_slack_dm_updates_the_doc_and_proposes_through_tools(db, api):
    with (
        FakeSlackHooks() as slack,
        slack_running(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        script(api)
        dialogue = SlackDialogue(client, slack)
        said = dialogue.say(ASK)
        assert said.response.status_code == 200
        mirror, answer, card = slack.messages("pos-travel")
        (asked,) = dialogue.thread(said)  # the agent answers in the DM's thread, where asked
    assert answer["text"].startswith("Phase is Booking; the 9:40 waits for your approval.")
    assert "phase → Booking" in answer["text"]
    assert asked["text"] == f"→ travel · copy in #pos-travel\n{answer['text']}"
    assert len(slack.calls("chat.update")) == 2  # each placeholder (DM, copy) edited once
    assert "Book the 9:40 flight" in str(card.get("blocks"))
    doc, approval = doc_and_approval(db)
    assert doc.phase == "Booking" and approval.status == ApprovalStatus.PENDING


def test_telegram_topic_message_updates_the_doc_through_tools(db, api):
    with (
        fake_telegram() as tg,
        telegram_running(telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)) as client,
    ):
        script(api)
        assert TelegramDialogue(client, tg).say(ASK).response.status_code == 200
        (topic,) = tg.topics(FORUM)
        texts = [m["text"] for m in tg.messages(FORUM, topic)]
        private = [m["text"] for m in tg.messages(TG_OPERATOR)]
    assert any(t.startswith("Phase is Booking") for t in texts)
    assert any("Phase is Booking" in t and "copy in the travel topic" in t for t in private)
    # the topic's copy is edited; the private answer, previewed by drafts, is sent anew once
    assert len(tg.calls("editMessageText")) == 1
    assert sum("Phase is Booking" in c.params.get("text", "") for c in tg.calls("sendMessage")
               if c.params["chat_id"] == str(TG_OPERATOR)) == 1  # fmt: skip
    doc, approval = doc_and_approval(db)
    assert doc.next_steps == ["book the 9:40 flight"] and approval.domain == "travel"


def test_the_turn_is_an_rq_job_with_the_charters_timeout(db, api, redis_conn):
    """With Redis: the event's job queues `agent_turn` (JSON kwargs, the charter's timeout plus
    a margin for the final write), which a worker then runs."""
    queue = RQJobQueue(redis_conn)
    with FakeSlack() as slack:
        svc = slack_services(db, slack, queue=queue, ANTHROPIC_API_KEY=KEY)
        channel = slack.add_channel("pos-travel")
        svc.directory.remember(Platform.SLACK, "travel", channel, None, "pos-travel")
        ts = slack.add_message(channel, "what's next?", user=OPERATOR)
        event = InboundEvent(platform=Platform.SLACK, external_id="Ev1", kind=EventKind.MESSAGE,
                             user=OPERATOR, channel=channel, text="what's next?",
                             message_ref=ts)  # fmt: skip
        (event_id,) = store_events(db, [event])
        handoff.enqueue_event(svc, event_id)
        worker = SimpleWorker([queue.queue], connection=redis_conn, serializer=JSONSerializer)
        worker.work(burst=True, max_jobs=1)
        (job,) = [j for j in queue.queue.get_jobs() if j.func_name != "jobs.tasks.refresh_home"]
        assert job.func_name == "jobs.tasks.agent_turn" and job.timeout == 180 + 30
        assert job.kwargs == {"event_id": event_id, "domain": "travel"}
        worker.work(burst=True)
        assert len(api.requests()) == 1
        assert slack.messages(channel)[-1]["text"] == "Noted."  # the placeholder, edited
