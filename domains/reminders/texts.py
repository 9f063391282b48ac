"""What reminders say: the confirmation, the card, the listing, and why a time was refused."""

from __future__ import annotations

from datetime import datetime

FORMS = "in 3 days, in 2 hours, tomorrow 09:30, friday, friday 17:00, 2026-12-24 18:00"
EMPTY = "No open reminders."
DONE_LABEL, SNOOZE_LABEL = "Done", "Snooze"


def local_time(moment: datetime) -> str:
    """`Tue 2 Dec 09:00`, a local time as the confirmation and the card show it."""
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def local_time_year(moment: datetime, now: datetime) -> str:
    """`Tue 2 Dec 09:00`, or `Tue 2 Dec 2027 09:00` outside the current year."""
    if moment.year == now.year:
        return local_time(moment)
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"


# -- refusing a <when> ----------------------------------------------------------------------
def when_missing() -> str:
    return f"say when, e.g. `Remind tomorrow: renew passport` ({FORMS})"


def when_unknown(when: str) -> str:
    return f'"{when}" is not a time I understand; use one of: {FORMS}'


def when_bad_time(hm: str) -> str:
    return f'"{hm}" is not a time of day; write it as HH:MM, 00:00 to 23:59'


def when_bad_date(text: str) -> str:
    return f'"{text}" is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24'


def when_zero(words: str) -> str:
    return f'"{words}": the number must be at least 1'


def when_past(due: str, now: str, zone: str) -> str:
    return f"{due} ({zone}) is in the past (it is now {now}); pick a later time"


def when_too_far(when: str) -> str:
    return f'"{when}" is more than five years ahead; pick a nearer time'


# -- confirming, posting, clicking ----------------------------------------------------------
def reminder_set(due: str, zone: str, text: str) -> str:
    return f"Reminder set for {due} ({zone}): {text}"


def card_title(domain: str) -> str:
    return f"⏰ Reminder · {domain}"


def late_mark(was_due: str) -> str:
    return f"(late: was due {was_due})"


def due_line(due: str, zone: str) -> str:
    return f"{due} ({zone})"


def status_done(who: str, at: str) -> str:
    return f"Done by {who}, {at}"


def status_snoozed(until: str, who: str) -> str:
    return f"Snoozed until {until} by {who}"


def card_context(who: str, reminder_id: int) -> str:
    return f"Set by {who} · reminder #{reminder_id}"


def already(status: str, who: str, until: str | None) -> str:
    if status == "snoozed" and until:
        return f"This reminder is already snoozed until {until} (by {who})."
    return f"This reminder is already {status} (by {who})."


def not_due_yet() -> str:
    return "This reminder is not due yet; nothing changed."


# -- listing ---------------------------------------------------------------------------------
def heading(domain: str | None) -> str:
    return f"Reminders · {domain}" if domain else "Reminders"


def list_line(reminder_id: int, domain: str, due: str, text: str, state: str) -> str:
    return f"• #{reminder_id} *{domain}* {due}: {text}{f' ({state})' if state else ''}"


def list_zone(zone: str) -> str:
    return f"Times in {zone}."


def overdue(span: str) -> str:
    return f"overdue {span}"
