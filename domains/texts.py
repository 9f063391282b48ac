"""User-facing wording for status docs, status lines and the board: one place, one voice.

A flat module of constants and tiny format functions, so the words a user reads stay plain and
consistent across Slack, Telegram, the local chat and Markdown exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

EMPTY = "—"
ARROW = "→"

COLOR_EMOJI = {"green": "🟢", "yellow": "🟡", "red": "🔴"}
NO_HEADLINE_EMOJI = "⚪"

# Status doc headings (CONTRACT §7.2): stable, in this order.
H_PHASE = "Current phase"
H_SPRINT = "Active sprint"
H_DECISION = "Latest decision"
H_NEXT = "Top 3 next steps"
H_BLOCKERS = "Blockers"
H_KPIS = "KPIs"
H_HEADLINE = "Headline"
H_PROTOCOL = "Update protocol"
STATUS_HEADINGS = (
    H_PHASE,
    H_SPRINT,
    H_DECISION,
    H_NEXT,
    H_BLOCKERS,
    H_KPIS,
    H_HEADLINE,
    H_PROTOCOL,
)

UPDATE_PROTOCOL = """\
Send these lines in this channel — one per line, several in one message:
- `Phase: <text>` · `Sprint: <text>` · `Decision: <text>`
- `Next: <a>; <b>; <c>` replaces the top three next steps (`Next: none` clears them)
- `Blocker: <text>` adds one (`Blocker: none` clears them)
- `KPI <name>: <value>`
- `Headline: <green|yellow|red> <text>`
- `Ask <domain> [high|normal|low]: <the ask>` goes to that domain's inbox
- `Propose: <action>` waits for an operator's approval
A message with a mistake changes nothing: the reply says which line to fix."""

# --- status lines: examples and correction hints -------------------------------------------

EXAMPLES = {
    "Phase": "Phase: Planning",
    "Sprint": "Sprint: Book flights by Friday",
    "Decision": "Decision: Fly via Lisbon",
    "Next": "Next: book hotel; renew passport; buy insurance",
    "Blocker": "Blocker: waiting on visa",
    "KPI": "KPI budget: $2k",
    "Headline": "Headline: yellow waiting on visa",
    "Ask": "Ask finance high: approve the trip budget",
    "Propose": "Propose: book the 9:40 flight",
    "Remind": "Remind tomorrow 09:30: renew passport",
}


def hint_empty(key: str) -> str:
    return f"{key} needs a value — e.g. `{EXAMPLES[key]}`"


def hint_too_long(key: str, length: int, limit: int) -> str:
    return f"{key} is too long ({length} characters) — keep it under {limit}"


def hint_headline_color() -> str:
    return f"Headline colour must be green, yellow or red — e.g. `{EXAMPLES['Headline']}`"


def hint_headline_text() -> str:
    return f"Headline needs a few words after the colour — e.g. `{EXAMPLES['Headline']}`"


def hint_too_many_steps(count: int, limit: int) -> str:
    return (
        f"Next takes at most {limit} steps separated by `;` — this line has {count}. "
        f"e.g. `{EXAMPLES['Next']}`"
    )


def hint_kpi_name() -> str:
    return f"KPI needs a name before the colon — e.g. `{EXAMPLES['KPI']}`"


def hint_ask_domain(domains: Iterable[str]) -> str:
    return f"Ask needs a domain — e.g. `{EXAMPLES['Ask']}`; domains are: {', '.join(domains)}"


def hint_unknown_domain(name: str, domains: Iterable[str]) -> str:
    return f"{name} is not a domain; domains are: {', '.join(domains)}"


def hint_priority(got: str) -> str:
    return f"Priority must be high, normal or low (not {got}) — e.g. `{EXAMPLES['Ask']}`"


def refusal_head(count: int) -> str:
    which = "this line" if count == 1 else "these lines"
    return f"Nothing was changed — fix {which} and send the whole message again:"


def line_error(line_no: int, line: str, hint: str) -> str:
    return f"• line {line_no}: `{line}` — {hint}"


# --- status doc: display and confirmation --------------------------------------------------


def show(value: str | None) -> str:
    """A value for display: the empty value reads as a dash, never as blank."""
    return value if value else EMPTY


def headline_line(color: str | None, text: str) -> str:
    """`🟡 yellow — waiting on visa`: emoji for the eye, colour word for screen readers."""
    if color:
        return f"{COLOR_EMOJI[color]} {color} — {show(text)}"
    return f"{NO_HEADLINE_EMOJI} {text}" if text else EMPTY


def status_title(charter_title: str) -> str:
    return f"{charter_title} — status"


def status_fallback(charter_title: str, color: str | None, text: str) -> str:
    """The one-line notification text of a status post."""
    emoji = COLOR_EMOJI.get(color or "", NO_HEADLINE_EMOJI)
    return f"{charter_title}: {emoji} {text or 'no headline yet'}"


def fmt_time(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%d %H:%M UTC")


def as_utc(at: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so comparisons never mix the two."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def updated_note(at: datetime | None, by: str | None) -> str:
    if at is None:
        return "Not updated yet"
    return f"Updated {fmt_time(at)}" + (f" by {by}" if by else "")


def changed_to(label: str, new: str) -> str:
    return f"{label} {ARROW} {show(new)}"


def changed_from_to(label: str, old: str, new: str) -> str:
    return f"{label}: {show(old)} {ARROW} {show(new)}"


def items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def next_steps_changed(count: int) -> str:
    return "next steps cleared" if count == 0 else f"next steps {ARROW} {items(count)}"


def blocker_added(text: str) -> str:
    return f"blocker added: {text}"


def blockers_cleared(count: int) -> str:
    return f"blockers cleared ({count})"


def confirmation(domain: str | None, summaries: list[str]) -> str:
    where = f" {domain}" if domain else ""
    if not summaries:
        return f"Nothing changed — the{where} status doc already says that."
    return f"Updated{where}: " + "; ".join(summaries)


# --- headline board --------------------------------------------------------------------------

BOARD_TITLE = "Headline board"
STALE = "stale"
NO_BOARD_ROWS = "No domains yet."


def age(days: int | None) -> str:
    if days is None:
        return "never updated"
    return "updated today" if days == 0 else f"updated {days}d ago"


def board_next(action: str) -> str:
    return f"Next: {show(action)}"


def board_owner(owner: str) -> str:
    return f"owner {owner}"


def board_summary(counts: dict[str, int], stale: int) -> str:
    """`Headline board: 🟢 3 · 🟡 1 · 🔴 1 · ⚪ 3 · 2 stale` — the notification line."""
    parts = [f"{emoji} {counts[key]}" for key, emoji in _BOARD_EMOJI.items() if counts.get(key)]
    if stale:
        parts.append(f"{stale} {STALE}")
    return f"{BOARD_TITLE}: " + (" · ".join(parts) if parts else NO_BOARD_ROWS)


_BOARD_EMOJI = {**COLOR_EMOJI, "none": NO_HEADLINE_EMOJI}

BOARD_MD_HEADER = (
    "| | Domain | Headline | Next action | Owner | Updated | Stale |\n|---|---|---|---|---|---|---|"
)
