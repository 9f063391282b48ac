"""The hub's answer to a question about the whole system (issue 18, point 5).

"What should I focus on today?", "what's overdue?", "anything urgent?": the router marks these
as hub questions, and the hub answers offline from what the system already holds — the board's
red and yellow headlines with their next steps, overdue and open reminders, open inbox asks
(high priority first) and approvals waiting for an operator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.board import BoardRow
from domains.briefs.sources import (
    open_follow_ups,
    open_inbox,
    overdue_follow_ups,
    pending_approvals,
)
from domains.status_commands import board_rows
from orchestrator.canonical import Post
from orchestrator.db import utcnow
from orchestrator.features import Feature

if TYPE_CHECKING:
    from orchestrator.context import Context

LIMIT = 5  # items listed per section
_ORDER = {"red": 0, "yellow": 1, "green": 2}


def feature() -> Feature:
    return Feature("hub", hub=answer)


def answer(ctx: Context) -> Post:
    """Where to look first, across every domain."""
    session, now = ctx.session, utcnow()
    rows = board_rows(session, ctx.orch.charters)
    overdue = overdue_follow_ups(session, now=now, limit=LIMIT)
    reminders = open_follow_ups(session, limit=LIMIT)
    inbox = open_inbox(session, limit=LIMIT)
    approvals = pending_approvals(session, now=now, limit=LIMIT)
    lines = ["*What needs you now, across the domains*"]
    focus = _focus(rows)
    if focus:
        lines += ["", "*Headlines and next steps*", *focus]
    if overdue.items:
        lines += ["", "*Overdue follow-ups*"]
        lines += [
            f"• {f.domain}: {f.text} (due {f.due_at:%Y-%m-%d %H:%M} UTC)" for f in overdue.items
        ]
    shown = {f.id for f in overdue.items}
    upcoming = [f for f in reminders.items if f.id not in shown]
    if upcoming:
        lines += ["", "*Open reminders*"]
        lines += [f"• {f.domain}: {f.text} (due {f.due_at:%Y-%m-%d %H:%M} UTC)" for f in upcoming]
    if inbox.items:
        lines += ["", "*Open inbox asks*"]
        lines += [
            f"• {i.from_domain} → {i.to_domain} [{i.priority}]: {i.title}" for i in inbox.items
        ]
        lines += _more(inbox.more)
    if approvals.items:
        lines += ["", "*Waiting for your approval*"]
        lines += [f"• {a.domain}: {a.text} ({a.ref})" for a in approvals.items]
        lines += _more(approvals.more)
    if len(lines) == 1:
        lines += ["", "Nothing is urgent: no red or yellow headline, no next step, reminder, "
                      "open ask or pending approval."]  # fmt: skip
    return Post(text="\n".join(lines), title="Hub")


def _focus(rows: list[BoardRow]) -> list[str]:
    """Domains with a headline or a next step, red first, then yellow, then the rest."""
    ranked = sorted(
        (r for r in rows if r.headline_text or r.next_action),
        key=lambda r: (_ORDER.get(r.headline_color or "", 3), r.domain),
    )
    out = []
    for r in ranked[:LIMIT]:
        colour = r.headline_color or "no headline"
        text = f"• {r.domain} ({colour}): {r.headline_text or '—'}"
        out.append(text + (f" — next: {r.next_action}" if r.next_action else ""))
    return out


def _more(n: int) -> list[str]:
    return [f"…and {n} more"] if n else []
