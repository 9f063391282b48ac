"""Every status and its moves in one table; the one guarded update refuses what it forbids."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import select

import domains.all_models  # noqa: F401  (every table, for the column check)
from domains.inbox.models import InboxEntryRow
from orchestrator import statuses
from orchestrator.db import Base
from orchestrator.statuses import (
    LIFECYCLES,
    ApprovalStatus,
    BriefRunStatus,
    DeliveryStatus,
    EventStatus,
    IllegalMove,
    InboxStatus,
    Lifecycle,
    OutboxStatus,
    ReminderStatus,
    ToolCallStatus,
    TurnStatus,
    can_move,
    is_final,
    move,
    predecessors,
)

ROOT = Path(__file__).resolve().parent.parent
FINAL = {
    EventStatus: {EventStatus.DONE, EventStatus.IGNORED},
    OutboxStatus: {OutboxStatus.SENT, OutboxStatus.FAILED},
    InboxStatus: {InboxStatus.DONE, InboxStatus.DECLINED},
    ApprovalStatus: {ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED},
    DeliveryStatus: {DeliveryStatus.DELIVERED},  # a failed delivery can be retried
    TurnStatus: {TurnStatus.DONE, TurnStatus.FAILED},
    ReminderStatus: {ReminderStatus.DONE},
    ToolCallStatus: {
        ToolCallStatus.OK,
        ToolCallStatus.ERROR,
        ToolCallStatus.REJECTED,
        ToolCallStatus.UNKNOWN,
        ToolCallStatus.RECORDED,
    },
    BriefRunStatus: {
        BriefRunStatus.POSTED,
        BriefRunStatus.LATE,
        BriefRunStatus.SKIPPED,
        BriefRunStatus.FAILED,
    },
}


def test_every_status_enum_lives_in_the_one_module():
    """No `…Status(StrEnum)` is declared outside orchestrator/statuses.py."""
    elsewhere = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in ("bot", "domains", "jobs", "orchestrator")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "statuses.py"
        for name in re.findall(r"^class (\w+Status)\(StrEnum\)", path.read_text(), re.M)
    ]
    assert elsewhere == []
    declared = {
        v for v in vars(statuses).values() if isinstance(v, type) and issubclass(v, StrEnum)
    }
    assert declared - {StrEnum} == set(LIFECYCLES) == set(FINAL)


def test_every_status_column_holds_a_status_of_the_table():
    """Each `status` column's default is a born status of a type in the table."""
    columns = [
        (table.name, column.name, column.default.arg if column.default else None)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("status")
    ]
    assert {type(default) for _, _, default in columns} == set(LIFECYCLES)
    for table, name, default in columns:
        assert type(default) in LIFECYCLES, (table, name)
        assert default in LIFECYCLES[type(default)].born, (table, name)


@pytest.mark.parametrize("kind", list(LIFECYCLES), ids=lambda k: k.__name__)
def test_every_member_appears_and_only_finals_have_no_moves(kind):
    """Each member is born or reached by a move; the final states have no moves out."""
    life = LIFECYCLES[kind]
    reached = set(life.born).union(*life.moves.values())
    assert reached == set(kind)
    assert all(type(s) is kind for s in [*life.moves, *reached])
    assert {s for s in kind if is_final(s)} == FINAL[kind]
    assert not set(life.moves) & FINAL[kind]
    for status in set(kind) - FINAL[kind]:
        assert _reachable(life, status) & FINAL[kind], f"{status} never ends"


def _reachable(life: Lifecycle[StrEnum], status: StrEnum) -> set[StrEnum]:
    seen: set[StrEnum] = set()
    todo = [status]
    while todo:
        for nxt in life.after(todo.pop()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_moves_are_looked_up_under_their_own_type():
    """The enums share values ("pending"), so a move never crosses types."""
    assert can_move(ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    assert not can_move(DeliveryStatus.PENDING, ApprovalStatus.APPROVED)
    assert not can_move(InboxStatus.DONE, InboxStatus.ACCEPTED)
    assert predecessors(InboxStatus.DECLINED) == {InboxStatus.OPEN, InboxStatus.ACCEPTED}
    assert predecessors(DeliveryStatus.PENDING) == {
        DeliveryStatus.NONE,
        DeliveryStatus.SENDING,
        DeliveryStatus.FAILED,
    }


def _entry(db, status: InboxStatus) -> int:
    with db.session() as s:
        row = InboxEntryRow(
            title="t", from_domain="travel", to_domain="finance", priority="normal", ask="a",
            privacy_note="n", status=status.value, created_by="U1", platform="slack", origin={},
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id


def _state(db, entry_id: int) -> tuple[str, str | None]:
    with db.session() as s:
        row = s.execute(
            select(InboxEntryRow.status, InboxEntryRow.updated_by).where(
                InboxEntryRow.id == entry_id
            )
        ).one()
        return row.status, row.updated_by


def test_the_helper_makes_a_legal_move_once(db):
    """open -> accepted wins once; the same move again finds nothing to move."""
    entry_id = _entry(db, InboxStatus.OPEN)
    where = InboxEntryRow.id == entry_id
    with db.session() as s:
        assert move(s, InboxEntryRow.status, InboxStatus.ACCEPTED, where, updated_by="U2")
    with db.session() as s:
        assert not move(s, InboxEntryRow.status, InboxStatus.ACCEPTED, where, updated_by="U3")
    assert _state(db, entry_id) == ("accepted", "U2")


def test_an_illegal_move_is_refused_and_changes_nothing(db):
    """A final row is not moved; moves the table forbids raise before any SQL."""
    entry_id = _entry(db, InboxStatus.DONE)
    where = InboxEntryRow.id == entry_id
    with db.session() as s:  # done -> accepted: the row is not in a status that may move
        assert not move(s, InboxEntryRow.status, InboxStatus.ACCEPTED, where, updated_by="U2")
    refused = [
        (InboxStatus.OPEN, None),  # nothing moves to open
        (InboxStatus.ACCEPTED, InboxStatus.DONE),  # done -> accepted, asked for explicitly
        (InboxStatus.DECLINED, [InboxStatus.OPEN, InboxStatus.DONE]),
        (ApprovalStatus.APPROVED, None),  # the wrong status type for this column
    ]
    for new, old in refused:
        with pytest.raises(IllegalMove), db.session() as s:
            move(s, InboxEntryRow.status, new, where, old=old, updated_by="U2")
    assert _state(db, entry_id) == ("done", None)
