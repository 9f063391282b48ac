"""What briefs say: one place for their wording (STYLE 11)."""

from __future__ import annotations

from datetime import datetime

from domains.texts import COLOR_EMOJI, EMPTY, NO_HEADLINE_EMOJI

NONE = "None."
STALE = "⚠️ stale"
PRIORITY_MARK = {"high": "🔺", "normal": "•", "low": "▫️"}

H_BOARD = "Board"
H_BLOCKERS = "Blockers"
H_NEXT = "Top next steps"
H_PHASE = "Current phase"
H_SPRINT = "Active sprint"
H_KPIS = "KPIs"
H_INBOX = "Open inbox"
H_APPROVALS = "Pending approvals"
H_STALE = "Stale domains"
H_CHANGES = "What changed"
H_WAITS = "Waits on you"
H_FAILED = "Briefs that did not post"
H_QUESTIONS = "Questions before Monday"
H_READINESS = "Readiness"
H_FOLLOW_UPS = "Open follow-ups"
H_OVERDUE = "Follow-ups still open a day after they were due"
CONTINUED = "(continued)"


def day(at: datetime) -> str:
    """`Mon 30 Mar` — short and unambiguous within a year."""
    return at.strftime("%a %d %b")


def when(at: datetime) -> str:
    return at.strftime("%a %d %b %H:%M")


def age(now: datetime, at: datetime) -> str:
    """`3d`, `5h`, `12m`: how long something has waited."""
    seconds = max(0, int((now - at).total_seconds()))
    if seconds >= 86400:
        return f"{seconds // 86400}d"
    if seconds >= 3600:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def emoji(color: str | None) -> str:
    return COLOR_EMOJI.get(color or "", NO_HEADLINE_EMOJI)


def headline(color: str | None, title: str, text: str) -> str:
    return f"{emoji(color)} *{title}* — {text or 'no headline yet'}"


def heading(label: str, total: int | None = None) -> str:
    return f"{label} ({total})" if total else label


def since(label: str, at: datetime) -> str:
    return f"{label} since {when(at)}"


def more(count: int, command: str) -> str:
    return f"…and {count} more — `{command}` lists them all"


def more_plain(count: int) -> str:
    return f"…and {count} more"


def stale_mark(days: int | None) -> str:
    return f"{STALE} ({days}d)" if days is not None else STALE


def inbox_line(priority: str, to: str, frm: str, waited: str, title: str) -> str:
    mark = PRIORITY_MARK.get(priority, "•")
    return f"{mark} *{to}* ← {frm} · {priority} · {waited}: {title}"


def follow_up_line(reminder_id: int, domain: str, due: datetime, text: str, state: str) -> str:
    return f"• *{domain}* #{reminder_id} · due {when(due)}{f' · {state}' if state else ''}: {text}"


def approval_line(ref: str, domain: str, waited: str, text: str, left: str | None) -> str:
    expiry = f", expires in {left}" if left else ""
    return f"• *{domain}* `{ref}` · waiting {waited}{expiry}: {text}"


def decision_line(domain: str, text: str, at: datetime) -> str:
    return f"• *{domain}*: {text} — {day(at)}"


def change_line(domain: str, summary: str, at: datetime) -> str:
    return f"• *{domain}*: {summary} — {when(at)}"


def question(title: str, color: str | None, text: str) -> str:
    goal = "green" if color == "yellow" else "yellow or green"
    return f"• *{title}* is {emoji(color)} ({text or EMPTY}): what would make it {goal} by Monday?"


def readiness(color: str | None, blockers: int) -> str:
    if blockers or color == "red":
        return f"🔴 Not ready: {blockers} blocker(s), headline {color or 'not set'}."
    if color == "green":
        return "🟢 Ready for a go / no-go decision: no blockers, headline green."
    return f"🟡 Check before launch: no blockers, headline {color or 'not set'}."


def late_note(due: datetime, zone: str, skipped: int) -> str:
    note = f"Posted late: it was due {when(due)} ({zone}) while the scheduler was not running."
    if skipped:
        note += f" {skipped} earlier period(s) were skipped."
    return note


def context(period: str, zone: str) -> str:
    return f"{period} · times in {zone} · offline brief from the status docs"


def summary(parts: list[str]) -> str:
    return " · ".join(p for p in parts if p) or NONE


def failed_alert(title: str, period: str, errors: str) -> str:
    return (
        f"⚠️ The *{title}* for {period} could not be posted: {errors}. "
        f"Send `brief <name>` to post it again."
    )


def failed_line(brief: str, period: str, note: str | None) -> str:
    return f"• *{brief}* ({period}): {note or 'failed'}"


def on_demand_ack(title: str, where: str) -> str:
    return f"Posting the *{title}* to {where}."


def unknown_brief(name: str, known: list[str]) -> str:
    return f"`{name}` is not a brief. Briefs: {', '.join(known)}."


def brief_usage(known: list[str]) -> str:
    return f"Usage: `brief <name>`. Briefs: {', '.join(known)}."


MISSED = "missed by more than one period while the scheduler was not running"


def first_seen(period: str) -> str:
    """The note of a period that was due before the scheduler first saw the schedule: not an
    error (a fresh install, a new or changed schedule); the brief starts next period."""
    return f"due {period}, before the scheduler ran this schedule; it starts next period"


# -- the dashboard's briefs view and `parallelos briefs`: runs explained in words -------------
def not_due_yet(first: str) -> str:
    return f"not due yet — first run {first}"


def run_posted(at: str, where: str) -> str:
    return f"posted {at} to {where}"


def run_late(at: str, where: str, due: str) -> str:
    return f"posted late {at} to {where}: it was due {due}, while the scheduler was not running"


def run_missed(due: str) -> str:
    return f"skipped: the scheduler was not running at {due}"


def run_first_seen(due: str) -> str:
    return f"not posted: the schedule was new after {due}; it starts with its next time"


def run_skipped(due: str, why: str) -> str:
    return f"skipped at {due}: {why}"


def run_failed(due: str, why: str) -> str:
    return f"could not be posted ({due}): {why}"


def run_queued(since: str) -> str:
    return f"being delivered since {since}"


NOWHERE = "nowhere yet"
ON_DEMAND = "on demand"
