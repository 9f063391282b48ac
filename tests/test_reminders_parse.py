"""`Remind <when>: <what>`: every form of `<when>`, in the operator's zone, across DST changes,
and the refusals (with nothing changed) for what cannot be used."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domains.reminders.parse import WhenError, day_later, parse_when
from domains.status_lines import Remind, SetPhase, parse_status_lines

LISBON, NEW_YORK = ZoneInfo("Europe/Lisbon"), ZoneInfo("America/New_York")
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Tue 1 Dec 2026, 10:00 in Lisbon


def local(when: str, now: datetime = TUESDAY_10, zone: ZoneInfo = LISBON) -> str:
    return f"{parse_when(when, now=now, zone=zone).astimezone(zone):%a %Y-%m-%d %H:%M %Z}"


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("in 30 minutes", "Tue 2026-12-01 10:30 WET"),
        ("in 1 minute", "Tue 2026-12-01 10:01 WET"),
        ("in 2 hours", "Tue 2026-12-01 12:00 WET"),
        ("in 3 days", "Fri 2026-12-04 10:00 WET"),
        ("in 2 weeks", "Tue 2026-12-15 10:00 WET"),
        ("tomorrow", "Wed 2026-12-02 09:00 WET"),
        ("tomorrow 18:30", "Wed 2026-12-02 18:30 WET"),
        ("Tomorrow at 7:05", "Wed 2026-12-02 07:05 WET"),
        ("friday", "Fri 2026-12-04 09:00 WET"),
        ("fri 17:00", "Fri 2026-12-04 17:00 WET"),
        ("tuesday 17:00", "Tue 2026-12-01 17:00 WET"),  # today, the time is still ahead
        ("tuesday", "Tue 2026-12-08 09:00 WET"),  # 09:00 today has passed: next week
        ("monday", "Mon 2026-12-07 09:00 WET"),
        ("2026-12-24", "Thu 2026-12-24 09:00 WET"),
        ("2026-12-24 18:00", "Thu 2026-12-24 18:00 WET"),
        ("me tomorrow", "Wed 2026-12-02 09:00 WET"),
    ],
)
def test_every_form(when: str, due: str) -> None:
    assert local(when) == due


def test_a_weekday_on_that_weekday_after_its_time_is_next_week() -> None:
    """ "monday" on a Monday at 10:00 (09:00 by default) is the Monday after."""
    monday_10 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert local("monday", monday_10) == "Mon 2026-12-14 09:00 WET"
    assert local("monday 10:30", monday_10) == "Mon 2026-12-07 10:30 WET"


def test_days_keep_the_wall_clock_across_spring_forward() -> None:
    """New York goes from EST to EDT on Sun 8 Mar 2026: a day later is 09:00 again, 23 h on;
    hours are elapsed time."""
    saturday_9 = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert local("in 1 day", saturday_9, NEW_YORK) == "Sun 2026-03-08 09:00 EDT"
    assert local("tomorrow", saturday_9, NEW_YORK) == "Sun 2026-03-08 09:00 EDT"
    assert parse_when("tomorrow", now=saturday_9, zone=NEW_YORK) == datetime(
        2026, 3, 8, 13, 0, tzinfo=UTC
    )
    assert local("in 24 hours", saturday_9, NEW_YORK) == "Sun 2026-03-08 10:00 EDT"


def test_days_keep_the_wall_clock_across_fall_back() -> None:
    """Lisbon goes from WEST to WET on Sun 25 Oct 2026: 09:00 is 08:00 UTC, then 09:00 UTC."""
    friday = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
    assert parse_when("2026-10-24", now=friday, zone=LISBON) == datetime(
        2026, 10, 24, 8, 0, tzinfo=UTC
    )
    assert parse_when("monday", now=friday, zone=LISBON) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_skipped_time_moves_on_and_a_doubled_one_is_the_first() -> None:
    """01:30 does not exist in Lisbon on 29 Mar 2026 (01:00 → 02:00); 01:30 on 25 Oct happens
    twice (the first is WEST)."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert local("2026-03-29 01:30", now) == "Sun 2026-03-29 02:30 WEST"
    assert parse_when("2026-10-25 01:30", now=now, zone=LISBON) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_a_snooze_is_the_same_wall_clock_a_day_later_across_dst() -> None:
    saturday_10 = datetime(2026, 3, 28, 10, 0, 42, tzinfo=UTC)  # 10:00 WET
    assert day_later(saturday_10, LISBON) == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)  # 10:00 WEST


@pytest.mark.parametrize(
    ("when", "why"),
    [
        ("", "say when"),
        ("next tuesday", "is not a time I understand"),
        ("in three days", "is not a time I understand"),
        ("yesterday", "is not a time I understand"),
        ("tomorrow 25:00", "is not a time of day"),
        ("tomorrow 9am", "is not a time of day"),
        ("2026-02-30", "is not a date"),
        ("2026-11-30", "is in the past"),
        ("2026-12-01 09:59", "is in the past"),
        ("in 0 minutes", "at least 1"),
        ("in 9999 weeks", "more than five years"),
    ],
)
def test_what_cannot_be_used_is_refused_with_the_reason(when: str, why: str) -> None:
    with pytest.raises(WhenError, match=why):
        parse_when(when, now=TUESDAY_10, zone=LISBON)


def test_past_refusal_names_the_time_and_zone() -> None:
    with pytest.raises(WhenError) as refused:
        parse_when("2026-11-30 18:00", now=TUESDAY_10, zone=LISBON)
    assert str(refused.value) == (
        "Mon 30 Nov 18:00 (Europe/Lisbon) is in the past (it is now Tue 1 Dec 10:00); "
        "pick a later time"
    )


def test_remind_lines_among_other_lines() -> None:
    """The `<when>` may hold a time; the separator is the first colon not before a digit."""
    text = "Phase: renewals\nRemind friday 17:00: call the consulate\n**Remind tomorrow:** pay"
    parsed = parse_status_lines(text, ["travel"], now=TUESDAY_10, zone=LISBON)
    assert parsed.ok
    phase, call, pay = parsed.ops
    assert phase == SetPhase(text="renewals")
    assert isinstance(call, Remind) and call.text == "call the consulate"
    assert call.due_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert isinstance(pay, Remind) and pay.when == "tomorrow" and pay.text == "pay"


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("Remind: renew passport", "say when"),
        ("Remind someday: renew passport", '"someday" is not a time I understand'),
        ("Remind tomorrow:", "Remind needs a value"),
        ("Remind 2026-01-01: too late", "is in the past"),
    ],
)
def test_a_bad_remind_line_is_an_error_for_the_whole_message(line: str, hint: str) -> None:
    parsed = parse_status_lines(f"Phase: x\n{line}", ["travel"], now=TUESDAY_10, zone=LISBON)
    (error,) = parsed.errors
    assert error.line_no == 2 and hint in error.hint
