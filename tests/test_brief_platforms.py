"""Scheduled briefs through the real Slack and Telegram clients and the fake APIs: accepted,
whole and in order."""

from __future__ import annotations

from domains.briefs.receipts import sync_receipts
from jobs.brief_tick import tick
from tests.brief_support import HUB, charter_dir, runs, set_doc
from tests.slack_support import FakeSlackHooks, slack_services
from tests.telegram_support import FORUM, close_sender, fake_telegram, telegram_services

EVERY_MINUTE = HUB.replace('"0 8 * * 1"', '"* * * * *"')  # due now, whatever the real time


def test_a_long_weekly_brief_reaches_the_general_topic_whole_and_in_order(db, tmp_path):
    """40 long blockers: several messages under 4,096 characters, every blocker, in order."""
    blockers = [f"blocker {i:02d} " + "waiting " * 20 for i in range(40)]
    with fake_telegram() as tg:
        svc = telegram_services(
            db, tg, webhook=False, PARALLELOS_DOMAINS_DIR=str(charter_dir(tmp_path, EVERY_MINUTE))
        )
        try:
            set_doc(db, "travel", headline_color="red", headline_text="stuck", blockers=blockers)
            assert tick(svc).started == ["weekly"]
            with svc.db.session() as s:  # what the next tick does first: close the receipt
                sync_receipts(s, svc.charters, settings=svc.settings)
        finally:
            close_sender(svc)
        general = [m for m in tg.messages(FORUM) if "message_thread_id" not in m]
    texts = [m["text"] for m in general]
    assert len(texts) > 1 and all(len(t) <= 4096 for t in texts)
    assert texts[0].startswith("Weekly operating brief")
    joined = "\n".join(texts)
    positions = [joined.index(f"blocker {i:02d} ") for i in range(40)]
    assert positions == sorted(positions)
    (run,) = runs(db)
    assert run.status == "posted"
    assert {m["platform"] for m in run.message_ids} == {"local", "telegram"}


def test_a_long_weekly_brief_is_accepted_by_slack_whole_and_in_order(db, tmp_path):
    """The same brief on Slack: posts the fake accepts (50 blocks, 3,000 characters), in order."""
    blockers = [f"blocker {i:02d} " + "waiting " * 60 for i in range(60)]
    with FakeSlackHooks() as slack:
        svc = slack_services(
            db, slack, PARALLELOS_DOMAINS_DIR=str(charter_dir(tmp_path, EVERY_MINUTE))
        )
        set_doc(db, "travel", headline_color="red", headline_text="stuck", blockers=blockers)
        assert tick(svc).started == ["weekly"]
        posts = slack.messages("pos-hub")
    assert len(posts) > 1 and posts[0]["text"].startswith("Weekly operating brief (1/")
    joined = "\n".join(b["text"]["text"] for p in posts for b in p["blocks"] if "text" in b)
    positions = [joined.index(f"blocker {i:02d} ") for i in range(60)]
    assert positions == sorted(positions)
    (run,) = runs(db)
    assert run.status == "queued" and len(run.outbox_ids) == 2 * len(posts)  # local and Slack
