"""`<when>` of a `Remind <when>: <what>` line (CONTRACT §7.2), in the operator's time zone.

    in N minutes|hours|days|weeks      tomorrow [HH:MM]
    <weekday> [HH:MM]                  YYYY-MM-DD [HH:MM]

A time of day is `HH:MM` (24-hour, an optional `at` before it); without one it is 09:00.
Rules, so that a reminder lands when a person means it to:

- Minutes and hours are elapsed time; days and weeks are calendar days, at the same wall-clock
  time (`in 1 day` at 10:00 on the Saturday before clocks change is Sunday 10:00, 23 hours on).
- A weekday is the next such day whose time is still ahead: `friday 17:00` on a Friday at
  10:00 is today, `friday` (09:00) on a Friday at 10:00 is a week on.
- A wall-clock time that does not exist (the hour skipped when clocks go forward) moves
  forward by the gap; one that happens twice (clocks go back) is the first of the two.
- A time in the past, or more than `MAX_AHEAD` ahead, is refused with the reason.

Pure: `now` and the zone are arguments. dateutil does the calendar arithmetic (the next
weekday, adding days across a DST change) and resolves non-existent wall-clock times.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import relativedelta as rd
from dateutil import tz

from domains.reminders import texts

__all__ = ["MAX_AHEAD", "WhenError", "day_later", "parse_when"]

MAX_AHEAD = timedelta(days=5 * 366)
DEFAULT_TIME = time(9, 0)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RD_DAYS = (rd.MO, rd.TU, rd.WE, rd.TH, rd.FR, rd.SA, rd.SU)
_UNITS = {"minute": "minutes", "min": "minutes", "hour": "hours", "hr": "hours",
          "day": "days", "week": "weeks"}  # fmt: skip

_IN = re.compile(r"^in\s+(?P<n>\d{1,6})\s*(?P<unit>minute|min|hour|hr|day|week)s?$")
_DAY_AT = re.compile(r"^(?P<day>[a-z]+|\d{4}-\d{1,2}-\d{1,2})(?:\s+(?:at\s+)?(?P<hm>\S+))?$")
_HM = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")


class WhenError(ValueError):
    """A `<when>` that names no time, or a time that cannot be used; the message says why."""


def parse_when(when: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The due time (aware, UTC) that `when` means at `now`; raises WhenError with the reason."""
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
    words = " ".join(when.casefold().split()).removeprefix("me ")
    if not words:
        raise WhenError(texts.when_missing())
    due = _relative(words, now, zone) or _on_day(words, now, zone)
    if due is None:
        raise WhenError(texts.when_unknown(when.strip()))
    if due <= now:
        raise WhenError(texts.when_past(_show(due, zone), _show(now, zone), str(zone)))
    if due - now > MAX_AHEAD:
        raise WhenError(texts.when_too_far(when.strip()))
    return due


def _relative(words: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    found = _IN.match(words)
    if found is None:
        return None
    n, unit = int(found["n"]), _UNITS[found["unit"]]
    if n < 1:
        raise WhenError(texts.when_zero(words))
    if unit in ("minutes", "hours"):
        return now + timedelta(**{unit: n})
    try:
        step = rd.relativedelta(days=n) if unit == "days" else rd.relativedelta(weeks=n)
        later = now.astimezone(zone).replace(tzinfo=None) + step
    except (OverflowError, ValueError):
        raise WhenError(texts.when_too_far(words)) from None
    return _at(later.date(), later.time(), zone)


def _on_day(words: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    found = _DAY_AT.match(words)
    if found is None:
        return None
    day, today = found["day"], now.astimezone(zone).date()
    weekday = _weekday(day)
    if day != "tomorrow" and weekday is None and not day[0].isdigit():
        return None
    at = _time_of_day(found["hm"])
    if day == "tomorrow":
        return _at(today + timedelta(days=1), at, zone)
    if weekday is None:
        return _at(_date(day), at, zone)
    this_week = _at(today + rd.relativedelta(weekday=_RD_DAYS[weekday]), at, zone)
    if this_week > now:
        return this_week
    return _at(today + rd.relativedelta(days=1, weekday=_RD_DAYS[weekday]), at, zone)


def _weekday(word: str) -> int | None:
    """`monday`, `mon`, `tues`, `thurs`… (at least three letters of the name)."""
    if len(word) < 3:
        return None
    matches = [i for i, name in enumerate(WEEKDAYS) if name.startswith(word)]
    return matches[0] if len(matches) == 1 else None


def _time_of_day(hm: str | None) -> time:
    if hm is None:
        return DEFAULT_TIME
    found = _HM.match(hm)
    if found is None or int(found["h"]) > 23 or int(found["m"]) > 59:
        raise WhenError(texts.when_bad_time(hm))
    return time(int(found["h"]), int(found["m"]))


def _date(text: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise WhenError(texts.when_bad_date(text)) from None


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`, as UTC: a skipped time moves on, a doubled one is
    the first (fold=0)."""
    local = tz.resolve_imaginary(datetime.combine(day, at, tzinfo=zone))
    return local.astimezone(UTC)


def _show(moment: datetime, zone: ZoneInfo) -> str:
    return texts.local_time(moment.astimezone(zone))


def day_later(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same wall-clock minute a calendar day after `moment` (a snooze), as UTC."""
    local = moment.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    later = local + timedelta(days=1)
    return _at(later.date(), later.time(), zone)
