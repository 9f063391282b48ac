"""When a brief is due: cron slots in the brief's own time zone, mapped to UTC instants.

Cron is evaluated on the local wall clock (naive local times), so `0 8 * * 1` in Europe/London
is 08:00 London time on both sides of a clock change. Each slot becomes an instant with
Python's `fold=0` rule: a time that happens twice (clocks go back) is its first occurrence, so
it fires once; a time that does not exist (clocks go forward) is read with the offset before
the change, i.e. it fires an hour later on the wall clock (01:30 → 02:30 BST). A period is
named by its local slot ("2026-03-30T08:00"), which is what makes it unique.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

LOOKAHEAD = timedelta(hours=3)  # covers the largest DST jump between local and UTC order
MAX_STEPS = 10_000  # a guard: no cron expression needs more steps to pass one instant


@dataclass(frozen=True)
class Slot:
    """One scheduled occurrence: its local wall-clock time and its instant (naive UTC)."""

    local: datetime
    at: datetime

    @property
    def period(self) -> str:
        return self.local.strftime("%Y-%m-%dT%H:%M")


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time as a naive UTC instant (fold=0 for repeated and missing times)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC).replace(tzinfo=None)


def to_local(at: datetime, zone: ZoneInfo) -> datetime:
    """A naive UTC instant as a naive local wall-clock time."""
    return at.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def latest_slot(cron: str, zone: ZoneInfo, now: datetime) -> Slot:
    """The latest slot whose instant is at or before `now` (naive UTC)."""
    it = croniter(cron, to_local(now, zone) + LOOKAHEAD)
    for _ in range(MAX_STEPS):
        local = it.get_prev(datetime)
        slot = Slot(local, to_utc(local, zone))
        if slot.at <= now:
            return slot
    raise ValueError(f"no slot of '{cron}' found before {now}")


def next_slot(cron: str, zone: ZoneInfo, now: datetime) -> Slot:
    """The first slot whose instant is after `now` (naive UTC)."""
    it = croniter(cron, to_local(now, zone) - LOOKAHEAD)
    for _ in range(MAX_STEPS):
        local = it.get_next(datetime)
        slot = Slot(local, to_utc(local, zone))
        if slot.at > now:
            return slot
    raise ValueError(f"no slot of '{cron}' found after {now}")


def previous_slot(cron: str, zone: ZoneInfo, slot: Slot) -> Slot:
    """The slot before `slot`."""
    return latest_slot(cron, zone, slot.at - timedelta(microseconds=1))


def slots_between(
    cron: str, zone: ZoneInfo, after: datetime, before: datetime, *, limit: int
) -> tuple[list[Slot], int]:
    """Slots with `after < at < before`, oldest first: the first `limit` and how many there are
    (counted up to MAX_STEPS)."""
    it = croniter(cron, to_local(after, zone) - LOOKAHEAD)
    end = to_local(before, zone) + LOOKAHEAD
    slots: list[Slot] = []
    count = 0
    for _ in range(MAX_STEPS):
        local = it.get_next(datetime)
        if local > end:
            break
        at = to_utc(local, zone)
        if after < at < before:
            count += 1
            if len(slots) < limit:
                slots.append(Slot(local, at))
    return sorted(slots, key=lambda s: s.at), count
