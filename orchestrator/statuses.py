"""Every status, every allowed move between statuses, and the one update that makes a move.

Each status is a `str` Enum, stored by value in a `String` column. `LIFECYCLES` is the only
transition table: per status type, the statuses a row may be created in (`born`) and the
moves out of each status; a status with no moves out is final. The enums share values such
as "pending", so a move is always looked up under its own type.

`move()` applies a move as one conditional UPDATE,
`... SET status = new WHERE <caller's conditions> AND status IN (<statuses that may move to
new>)`, with the predecessors read from the table: of two racing workers one wins (it gets
True), and no code path can write a move the table does not list. This module imports only
SQLAlchemy: the kernel, the staff and the jobs all import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Update, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from orchestrator.db import rowcount

__all__ = [
    "ApprovalStatus",
    "BriefRunStatus",
    "DeliveryStatus",
    "EventStatus",
    "IllegalMove",
    "InboxStatus",
    "LIFECYCLES",
    "Lifecycle",
    "OutboxStatus",
    "ReminderStatus",
    "TurnStatus",
    "can_move",
    "guarded",
    "is_final",
    "move",
    "predecessors",
]


class EventStatus(StrEnum):
    """An inbound event (`inbound_events.status`)."""

    RECEIVED = "received"
    DONE = "done"
    FAILED = "failed"  # started MAX_EVENT_ATTEMPTS times; an operator may re-run it
    IGNORED = "ignored"


class OutboxStatus(StrEnum):
    """A post in the outbox (`outbox.status`)."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker (or in doubt after one died mid-send)
    SENT = "sent"
    FAILED = "failed"


class InboxStatus(StrEnum):
    """A cross-domain ask (`inbox_entries.status`)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DONE = "done"
    DECLINED = "declined"


class ApprovalStatus(StrEnum):
    """An approval's decision (`approvals.status`)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class DeliveryStatus(StrEnum):
    """The action webhook's delivery of an approved action (`approvals.webhook_status`)."""

    NONE = "none"  # nothing to deliver (not approved yet, or no ACTION_WEBHOOK_URL)
    PENDING = "pending"  # due at `webhook_next_at`
    SENDING = "sending"  # a worker holds it until `webhook_lease_until`
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up; an operator's Retry puts it back to pending


class ToolCallStatus(StrEnum):
    """An MCP tool call (`tool_calls.status`). A read runs at once; an effect waits for an
    operator (`held`), then runs once. `unknown`: the worker stopped during the effect's call,
    which is never repeated."""

    HELD = "held"  # an effect waiting for its approval
    RUNNING = "running"
    OK = "ok"
    ERROR = "error"  # the tool said it failed, or the server broke or timed out
    REJECTED = "rejected"  # its approval was rejected or expired: never run
    UNKNOWN = "unknown"
    RECORDED = "recorded"  # a shadow's call: recorded, never run


class TurnStatus(StrEnum):
    """An agent turn (`agent_turns.status`)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # gave up: the user was told the agent is unavailable


class BriefRunStatus(StrEnum):
    """A brief run (`brief_runs.status`)."""

    QUEUED = "queued"  # posts are in the outbox, not all delivered yet
    POSTED = "posted"  # every post delivered, on time
    LATE = "late"  # every post delivered, after its on-time window (catch-up after downtime)
    SKIPPED = "skipped"  # deliberately not posted; `note` says why
    FAILED = "failed"  # a post ended failed in the outbox; the operator was told


class ReminderStatus(StrEnum):
    """A reminder or follow-up (`reminders.status`); open, posted and snoozed are unfinished."""

    OPEN = "open"  # waiting for its due time, never posted
    POSTED = "posted"  # its card is out (once per due time), waiting for Done or Snooze
    SNOOZED = "snoozed"  # waiting for its new due time, a day on
    DONE = "done"


S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Lifecycle(Generic[S]):
    """The statuses a row may be created in, and the moves out of each status."""

    born: frozenset[S]
    moves: dict[S, frozenset[S]]

    def after(self, old: S) -> frozenset[S]:
        return self.moves.get(old, frozenset())

    def before(self, new: S) -> frozenset[S]:
        return frozenset(old for old, targets in self.moves.items() if new in targets)


_ = frozenset
# The only transition table. A move to the same status (sending -> sending, running ->
# running) is a takeover: another worker's lease ran out, and this one claims the row again.
LIFECYCLES: dict[type[StrEnum], Lifecycle[Any]] = {
    EventStatus: Lifecycle(
        born=_({EventStatus.RECEIVED}),
        moves={
            EventStatus.RECEIVED: _({EventStatus.DONE, EventStatus.FAILED, EventStatus.IGNORED}),
            EventStatus.FAILED: _({EventStatus.RECEIVED}),  # `parallelos reconcile --failed`
        },
    ),
    OutboxStatus: Lifecycle(
        born=_({OutboxStatus.PENDING}),
        moves={
            OutboxStatus.PENDING: _({OutboxStatus.SENDING}),
            OutboxStatus.SENDING: _(
                {OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.FAILED}
            ),
        },
    ),
    InboxStatus: Lifecycle(
        born=_({InboxStatus.OPEN}),
        moves={
            InboxStatus.OPEN: _({InboxStatus.ACCEPTED, InboxStatus.DECLINED}),
            InboxStatus.ACCEPTED: _({InboxStatus.DONE, InboxStatus.DECLINED}),
        },
    ),
    ApprovalStatus: Lifecycle(
        born=_({ApprovalStatus.PENDING}),
        moves={
            ApprovalStatus.PENDING: _(
                {ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED}
            ),
        },
    ),
    DeliveryStatus: Lifecycle(
        born=_({DeliveryStatus.NONE}),
        moves={
            DeliveryStatus.NONE: _({DeliveryStatus.PENDING}),  # approved, with a webhook URL
            DeliveryStatus.PENDING: _({DeliveryStatus.SENDING}),
            DeliveryStatus.SENDING: _(
                {
                    DeliveryStatus.SENDING,
                    DeliveryStatus.DELIVERED,
                    DeliveryStatus.PENDING,
                    DeliveryStatus.FAILED,
                }
            ),
            DeliveryStatus.FAILED: _({DeliveryStatus.PENDING}),  # an operator's Retry
        },
    ),
    TurnStatus: Lifecycle(
        born=_({TurnStatus.QUEUED, TurnStatus.RUNNING}),  # a brief summary is born running
        moves={
            TurnStatus.QUEUED: _({TurnStatus.RUNNING}),
            TurnStatus.RUNNING: _(
                {TurnStatus.RUNNING, TurnStatus.QUEUED, TurnStatus.DONE, TurnStatus.FAILED}
            ),
        },
    ),
    ToolCallStatus: Lifecycle(
        born=_({ToolCallStatus.HELD, ToolCallStatus.RUNNING, ToolCallStatus.RECORDED}),
        moves={
            ToolCallStatus.HELD: _({ToolCallStatus.RUNNING, ToolCallStatus.REJECTED}),
            ToolCallStatus.RUNNING: _(
                {ToolCallStatus.OK, ToolCallStatus.ERROR, ToolCallStatus.UNKNOWN}
            ),
        },
    ),
    BriefRunStatus: Lifecycle(
        born=_({BriefRunStatus.QUEUED, BriefRunStatus.SKIPPED}),  # missed slots: born skipped
        moves={
            BriefRunStatus.QUEUED: _(
                {
                    BriefRunStatus.POSTED,
                    BriefRunStatus.LATE,
                    BriefRunStatus.FAILED,
                    BriefRunStatus.SKIPPED,  # nowhere to post it
                }
            ),
        },
    ),
    ReminderStatus: Lifecycle(
        born=_({ReminderStatus.OPEN}),
        moves={
            ReminderStatus.OPEN: _({ReminderStatus.POSTED}),  # the scheduler, once
            ReminderStatus.POSTED: _({ReminderStatus.DONE, ReminderStatus.SNOOZED}),  # clicks
            ReminderStatus.SNOOZED: _({ReminderStatus.POSTED, ReminderStatus.DONE}),
        },
    ),
}


class IllegalMove(ValueError):
    """A move the table does not allow: a bug in the caller, refused before any SQL."""


def can_move(old: StrEnum, new: StrEnum) -> bool:
    """Whether a status may change from `old` to `new` (both of the same status type)."""
    return type(old) is type(new) and new in LIFECYCLES[type(old)].after(old)


def is_final(status: StrEnum) -> bool:
    """Whether nothing moves out of `status`."""
    return not LIFECYCLES[type(status)].after(status)


def predecessors(new: StrEnum) -> frozenset[StrEnum]:
    """Every status that may move to `new`."""
    return LIFECYCLES[type(new)].before(new)


def guarded(
    column: InstrumentedAttribute[str],
    new: S,
    *where: ColumnElement[bool],
    old: S | Iterable[S] | None = None,
    **values: Any,
) -> Update:
    """The UPDATE of a move to `new`, for rows that match `where` and are in an allowed status.

    `old` narrows the statuses moved from (each must be allowed to move to `new`); by default
    it is every predecessor in the table. Raises IllegalMove when no status may move to `new`,
    or when `column` holds another status type (its default says which).
    """
    held = _held_by(column)
    if held is not type(new):
        raise IllegalMove(
            f"{column} holds {held.__name__ if held else '?'}, not {type(new).__name__}"
        )
    allowed = predecessors(new)
    olds = allowed if old is None else frozenset([old] if isinstance(old, StrEnum) else old)
    if not allowed:
        raise IllegalMove(f"{type(new).__name__}: nothing may move to {new}")
    if not olds or not olds <= allowed:
        only, asked = ", ".join(sorted(allowed)), ", ".join(sorted(olds)) or "nothing"
        raise IllegalMove(f"{type(new).__name__}: {only} may move to {new}, not {asked}")
    return (
        update(column.class_)
        .where(*where, column.in_(sorted(s.value for s in olds)))
        .values({column.key: new.value, **values})
    )


def _held_by(column: InstrumentedAttribute[str]) -> type[StrEnum] | None:
    """The status type a column holds, known by its default (every status column has one)."""
    default = getattr(getattr(column.expression, "default", None), "arg", None)
    return type(default) if isinstance(default, StrEnum) else None


def move(
    session: Session,
    column: InstrumentedAttribute[str],
    new: S,
    *where: ColumnElement[bool],
    old: S | Iterable[S] | None = None,
    **values: Any,
) -> bool:
    """Make the move in the caller's transaction; True when this call made it (one row).

    `where` must pick at most one row (usually by its id). Refused moves change nothing:
    an illegal one raises IllegalMove, and a row not in an allowed status is left as it is.
    """
    result = session.execute(guarded(column, new, *where, old=old, **values))
    return rowcount(result) == 1
