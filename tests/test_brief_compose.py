"""Brief content: deterministic, and whole on Slack and Telegram however long it gets."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.slack_render import render_slack
from bot.telegram_render import render_telegram
from domains.board import build_board
from domains.briefs.compose import compose
from domains.briefs.data import BriefData, BriefRequest
from domains.briefs.paging import plain_text
from domains.briefs.sources import Decision, InboxItem, Page, PendingApproval, StatusChange
from domains.status_doc import StatusDoc
from orchestrator.charters import BriefSpec

NOW = datetime(2026, 6, 8, 8)
COLORS = ["red", "yellow", "green"]


def spec(name: str = "weekly", owner: str = "hub") -> BriefSpec:
    return BriefSpec(name=name, title="Weekly operating brief", cron="0 8 * * 1",
                     post_to=owner, description="The week.", owner=owner)  # fmt: skip


def big_data(domains: int = 60) -> BriefData:
    """60 domains with long headlines, three next steps and a blocker each; 10,000 open asks."""
    docs = {
        f"d{i:02}": StatusDoc(
            domain=f"d{i:02}",
            headline_color=COLORS[i % 3],
            headline_text=f"headline-{i} " + "word " * 30,
            next_steps=[f"step-{i}-{k} " + "do " * 25 for k in range(3)],
            blockers=[f"blocker-{i} & <b>not</b> markup " + "wait " * 20],
            updated_at=NOW - timedelta(days=i % 12),
        )
        for i in range(domains)
    }
    rows = build_board(docs, {n: n.upper() for n in docs}, now=NOW, stale_after_days=7)
    inbox = [
        InboxItem(i, NOW - timedelta(days=i), "travel", "finance", "high", f"ask {i}", "open")
        for i in range(10)
    ]
    decisions = [Decision(NOW - timedelta(hours=i), "travel", f"decided {i}", "slack:U1")
                 for i in range(10)]  # fmt: skip
    request = BriefRequest(spec(), NOW, NOW - timedelta(days=7), ZoneInfo("UTC"), "Mon 08 Jun")
    return BriefData(request, rows, docs, Page(decisions, 12), Page([], 0),
                     Page(inbox, 10_000), Page([], 0))  # fmt: skip


def slack_texts(blocks: list[dict]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [e["text"] for e in block.get("elements", []) if "text" in e]
    return out


def test_a_brief_beyond_slack_limits_is_split_and_nothing_is_lost():
    data = big_data()
    posts = compose(data)
    assert len(posts) > 1 and posts[1].title == f"Weekly operating brief (2/{len(posts)})"
    everything = []
    for post in posts:
        blocks = render_slack(post)["blocks"]
        assert len(blocks) <= 50
        for text in slack_texts(blocks):
            assert len(text) <= 3000 and "more lines" not in text
        everything += slack_texts(blocks)
    joined = "\n".join(everything)
    for i in range(60):
        assert f"headline-{i} " in joined and f"step-{i}-2 " in joined
        assert f"blocker-{i} &amp; &lt;b&gt;not&lt;/b&gt;" in joined
    assert "…and 9990 more — `inbox` lists them all" in joined
    order = [joined.index(f"headline-{row.domain[1:].lstrip('0') or '0'} ") for row in data.rows]
    assert order == sorted(order)  # red first, then yellow, then green, as on the board


def test_a_brief_beyond_telegram_limits_is_split_in_order_and_nothing_is_lost():
    messages = [m.text for post in compose(big_data()) for m in render_telegram(post)]
    assert len(messages) > 3 and all(len(m) <= 4096 for m in messages)
    text = html.unescape(re.sub(r"</?[a-z]+>", "", "\n".join(messages)))
    for i in range(60):
        assert f"headline-{i} " in text and f"blocker-{i} & <b>not</b> markup" in text
    assert text.index("Board") < text.index("Blockers") < text.index("Decisions")


def test_composing_is_deterministic():
    assert compose(big_data()) == compose(big_data())


def test_summary_line_counts_colours_blockers_asks_and_stale():
    summary = compose(big_data(6))[0].text
    assert summary == "🔴 2 · 🟡 2 · 🟢 2 · 6 blocker(s) · 10000 open ask(s)"


def test_plain_text_keeps_every_section_without_markup():
    text = plain_text(compose(big_data(3)))
    assert "Weekly operating brief\n======================" in text
    for heading in ("Board", "Blockers (3)", "Open inbox (10000)", "Pending approvals"):
        assert f"\n{heading}" in text
    assert "*" not in text


def test_domain_brief_shows_the_domain_doc_and_readiness():
    data = big_data(1)
    doc = data.docs["d00"]
    request = BriefRequest(spec("launch_readiness", "d00"), NOW, NOW, ZoneInfo("UTC"), "now")
    changes = Page([StatusChange(NOW, "d00", "phase → Launch")], 1)
    data = BriefData(request, data.rows, data.docs, Page([], 0), changes, Page([], 0),
                     Page([], 0))  # fmt: skip
    (post,) = compose(data)
    labels = [s.label for s in post.sections]
    assert labels[0] == "Readiness" and post.sections[0].value.startswith("🔴 Not ready")
    assert "Top next steps" in labels and "KPIs" in labels
    steps = next(s for s in post.sections if s.label == "Top next steps").value
    assert steps.splitlines()[0].startswith("1. step-0-0") and doc.blockers[0][:10] in str(post)


def hub_data(name: str, approvals: list[PendingApproval] | None = None) -> BriefData:
    data = big_data(3)  # d00 red, d01 yellow, d02 green
    request = BriefRequest(spec(name), NOW, NOW - timedelta(days=1), ZoneInfo("UTC"), "today")
    changes = Page([StatusChange(NOW - timedelta(hours=2), "d01", "phase → Build")], 1)
    approvals = approvals or []
    failed = [("weekly", "2026-06-08T08:00", "slack: x")]
    return BriefData(request, data.rows, data.docs, Page([], 0), changes, data.inbox,
                     Page(approvals, len(approvals)), failed)  # fmt: skip


def test_daily_report_says_what_changed_and_what_waits_on_the_operator():
    approval = PendingApproval("a123456789", "d01", "pay the invoice", NOW - timedelta(days=2),
                               NOW + timedelta(days=5))  # fmt: skip
    (post,) = compose(hub_data("daily", [approval]))
    sections = {s.label.split(" since")[0].split(" (")[0]: s.value for s in post.sections}
    assert "phase → Build" in sections["What changed"]
    waits = sections["Waits on you"].splitlines()
    assert waits[0] == "• *d01* `a123456789` · waiting 2d, expires in 5d: pay the invoice"
    assert all("high" in line for line in waits[1:-1]) and waits[-1].startswith("🔴 *D00*")
    assert "*weekly* (2026-06-08T08:00): slack: x" in sections["Briefs that did not post"]


def test_friday_review_asks_one_question_per_red_or_yellow_domain():
    (post,) = compose(hub_data("friday"))
    questions = next(s for s in post.sections if s.label == "Questions before Monday")
    lines = questions.value.splitlines()
    assert len(lines) == 2
    assert "*D00* is 🔴" in lines[0] and "yellow or green" in lines[0]
    assert "*D01* is 🟡" in lines[1] and "make it green" in lines[1]
