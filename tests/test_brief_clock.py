"""Brief slots: cron on the local wall clock, DST-correct, periods named by the local slot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domains.briefs.clock import latest_slot, next_slot, previous_slot, slots_between

LONDON = ZoneInfo("Europe/London")
WEEKLY = "0 8 * * 1"


def test_monday_0800_london_is_0800_local_on_both_sides_of_spring_forward():
    """29 March 2026 the clocks go forward: 08:00 GMT before, 08:00 BST (07:00 UTC) after."""
    before = latest_slot(WEEKLY, LONDON, datetime(2026, 3, 23, 8, 0))
    after = next_slot(WEEKLY, LONDON, datetime(2026, 3, 23, 8, 0))
    assert (before.local, before.at) == (datetime(2026, 3, 23, 8), datetime(2026, 3, 23, 8))
    assert (after.local, after.at) == (datetime(2026, 3, 30, 8), datetime(2026, 3, 30, 7))


def test_monday_0800_london_is_0800_local_on_both_sides_of_fall_back():
    """25 October 2026 the clocks go back: 07:00 UTC before, 08:00 UTC after."""
    before = latest_slot(WEEKLY, LONDON, datetime(2026, 10, 19, 7, 30))
    after = next_slot(WEEKLY, LONDON, datetime(2026, 10, 19, 7, 30))
    assert before.at == datetime(2026, 10, 19, 7) and before.period == "2026-10-19T08:00"
    assert after.at == datetime(2026, 10, 26, 8) and after.period == "2026-10-26T08:00"


def test_due_exactly_at_the_slot_and_not_a_second_before():
    assert latest_slot(WEEKLY, LONDON, datetime(2026, 3, 30, 7, 0)).period == "2026-03-30T08:00"
    assert latest_slot(WEEKLY, LONDON, datetime(2026, 3, 30, 6, 59, 59)).period == (
        "2026-03-23T08:00"
    )


def test_a_repeated_local_time_is_one_slot_at_its_first_occurrence():
    """01:30 happens twice on 25 Oct 2026 in London: one period, due at the first (00:30 UTC)."""
    first = latest_slot("30 1 * * *", LONDON, datetime(2026, 10, 25, 0, 30))
    second = latest_slot("30 1 * * *", LONDON, datetime(2026, 10, 25, 1, 30))
    assert first == second
    assert first.at == datetime(2026, 10, 25, 0, 30)


def test_a_missing_local_time_fires_once_after_the_jump():
    """01:30 does not exist on 29 Mar 2026 in London: the slot is due at 01:30 UTC (02:30 BST)."""
    assert latest_slot("30 1 * * *", LONDON, datetime(2026, 3, 29, 1, 0)).period == (
        "2026-03-28T01:30"
    )
    slot = latest_slot("30 1 * * *", LONDON, datetime(2026, 3, 29, 1, 30))
    assert slot.period == "2026-03-29T01:30" and slot.at == datetime(2026, 3, 29, 1, 30)


def test_previous_slot_and_slots_between():
    slot = latest_slot(WEEKLY, LONDON, datetime(2026, 4, 20, 12))
    assert previous_slot(WEEKLY, LONDON, slot).period == "2026-04-13T08:00"
    missed, count = slots_between(WEEKLY, LONDON, datetime(2026, 3, 23, 8), slot.at, limit=2)
    assert count == 3  # 30 Mar, 6 Apr, 13 Apr
    assert [s.period for s in missed] == ["2026-03-30T08:00", "2026-04-06T08:00"]
