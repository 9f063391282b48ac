"""Versions and switches: record a charter as a version, activate, roll back, stop, annotate.

Every switch moves `charter_heads`, bumps the `charter_state` stamp (so every process reloads on
its next piece of work) and is an event in the log: who, when, from which version to which, why.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains.charter import CharterError, parse_charter
from domains.versions import texts
from domains.versions.models import STATE_ROW, CharterHeadRow, CharterStateRow, CharterVersionRow
from orchestrator.charters import Charter, CharterSet, HubSpec
from orchestrator.db import utcnow
from orchestrator.eventlog import record


class VersionError(Exception):
    """A request about versions that cannot be done; the message says why, for the user."""


@dataclass(frozen=True)
class Switch:
    domain: str
    old: int | None
    new: int


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


STAMP = select(CharterStateRow.stamp).where(CharterStateRow.id == STATE_ROW)  # built once


def stamp(s: Session) -> int:
    return s.scalar(STAMP) or 0


def _bump(s: Session) -> None:
    ensure_state(s)
    s.execute(
        update(CharterStateRow)
        .where(CharterStateRow.id == STATE_ROW)
        .values(stamp=CharterStateRow.stamp + 1)
    )


def ensure_state(s: Session) -> None:
    """The counter row (the migration makes it; a database emptied by hand may lack it)."""
    if s.get(CharterStateRow, STATE_ROW) is None:
        with suppress(IntegrityError), s.begin_nested():  # a racing process made it first
            s.add(CharterStateRow(id=STATE_ROW, stamp=0))


def versions(s: Session, domain: str) -> list[CharterVersionRow]:
    query = select(CharterVersionRow).where(CharterVersionRow.domain == domain)
    return list(s.scalars(query.order_by(CharterVersionRow.number)))


def version(s: Session, domain: str, number: int) -> CharterVersionRow:
    row = s.scalar(
        select(CharterVersionRow).where(
            CharterVersionRow.domain == domain, CharterVersionRow.number == number
        )
    )
    if row is None:
        raise VersionError(texts.no_such_version(domain, number))
    return row


def head(s: Session, domain: str, *, for_update: bool = False) -> CharterHeadRow | None:
    query = select(CharterHeadRow).where(CharterHeadRow.domain == domain)
    return s.scalar(query.with_for_update() if for_update else query)


def known_head(s: Session, domain: str, *, for_update: bool = False) -> CharterHeadRow:
    row = head(s, domain, for_update=for_update)
    if row is None:
        raise VersionError(texts.unknown_domain(domain))
    return row


def charter_of(row: CharterVersionRow) -> Charter:
    """The charter a stored version holds (parsed from its own text, not today's file)."""
    return parse_charter(row.content, Path(row.source), name=row.domain)


def record_version(
    s: Session, charter: Charter, text: str, *, actor: str
) -> tuple[CharterVersionRow, bool]:
    """The version holding exactly `text` (True: new, numbered next for its domain)."""
    digest = content_hash(text)
    found = s.scalar(
        select(CharterVersionRow).where(
            CharterVersionRow.domain == charter.name, CharterVersionRow.content_hash == digest
        )
    )
    if found is not None:
        return found, False
    top = s.scalar(select(func.max(CharterVersionRow.number)).where(
        CharterVersionRow.domain == charter.name
    ))  # fmt: skip
    entry = next(e for e in charter.changelog if e.version == charter.version)
    row = CharterVersionRow(
        domain=charter.name, number=(top or 0) + 1, content_hash=digest, content=text,
        source=str(charter.path), file_version=charter.version, created_by=actor,
        summary=entry.text, reason=entry.reason, expected=entry.expected, rollback=entry.rollback,
        tests=[t.model_dump() for t in charter.tests], notes=[],
    )  # fmt: skip
    s.add(row)
    s.flush()  # the unique (domain, number) is checked here
    return row, True


def activate(
    s: Session, domain: str, number: int, *, actor: str, why: str, kind: str | None = None
) -> Switch:
    """Make version `number` the one every process runs; a running shadow of it ends."""
    target = version(s, domain, number)
    charter_of(target)  # a stored version that no longer loads is never switched to
    current = head(s, domain, for_update=True)
    old = current.active if current is not None else None
    if old == number:
        raise VersionError(texts.already_active(domain, number))
    now = utcnow()
    if current is None:
        s.add(CharterHeadRow(domain=domain, active=number, changed_at=now))
    else:
        version(s, domain, current.active).last_active_at = now
        current.active, current.changed_at = number, now
        if current.shadow == number:
            current.shadow = current.shadow_since = None
    _bump(s)
    kind = kind or ("charter.activated" if old is not None else "charter.first_version")
    _log_switch(s, kind, domain, old, number, actor=actor, why=why)
    return Switch(domain, old, number)


def previous(s: Session, domain: str) -> int:
    """The version that was active before the current one (what `rollback` goes back to)."""
    current = known_head(s, domain)
    earlier = [r for r in versions(s, domain) if r.number != current.active and r.last_active_at]
    if not earlier:
        raise VersionError(texts.nothing_to_roll_back(domain, current.active))
    return max(earlier, key=lambda r: r.last_active_at or utcnow()).number


def rollback(s: Session, domain: str, *, actor: str, why: str) -> Switch:
    number = previous(s, domain)
    why = why or texts.ROLLBACK_WHY
    return activate(s, domain, number, actor=actor, why=why, kind="charter.rolled_back")


def start_shadow(s: Session, domain: str, number: int, *, actor: str) -> int | None:
    """Run version `number` as the domain's shadow; returns the shadow it replaced, if any."""
    current = known_head(s, domain, for_update=True)
    if current.active == number:
        raise VersionError(texts.shadow_is_active(domain, number))
    replaced = current.shadow
    current.shadow, current.shadow_since = number, utcnow()
    _bump(s)
    _log_switch(s, "charter.shadow_started", domain, current.active, number, actor=actor, why="")
    return replaced


def stop_shadow(s: Session, domain: str, *, actor: str, expected: int | None = None) -> int:
    current = known_head(s, domain, for_update=True)
    if current.shadow is None or (expected is not None and current.shadow != expected):
        raise VersionError(texts.no_shadow(domain))
    stopped, current.shadow, current.shadow_since = current.shadow, None, None
    _bump(s)
    _log_switch(s, "charter.shadow_stopped", domain, current.active, stopped, actor=actor, why="")
    return stopped


def add_note(s: Session, domain: str, text: str, *, actor: str, number: int | None = None) -> int:
    """A post-mortem note on a version (default: the active one); returns its number."""
    number = number if number is not None else known_head(s, domain).active
    row = version(s, domain, number)
    row.notes = [*row.notes, {"at": utcnow().isoformat(timespec="minutes"), "by": actor,
                              "text": text}]  # fmt: skip
    record(s, kind="charter.noted", actor=actor, domain=domain, subject=f"charter:{domain}",
           data={"version": number, "text": text}, charter_version=str(number))  # fmt: skip
    return number


def active_set(s: Session, hub: HubSpec, domains: list[str]) -> CharterSet:
    """The active version of each of `domains` (those with one), with their numbers."""
    heads = {h.domain: h.active for h in s.scalars(select(CharterHeadRow))}
    charters: dict[str, Charter] = {}
    for domain in domains:
        if domain in heads:
            try:
                charters[domain] = charter_of(version(s, domain, heads[domain]))
            except CharterError as exc:  # only if the loader grew stricter since it was stored
                raise CharterError(texts.stored_broken(domain, heads[domain], str(exc))) from None
    return CharterSet(charters, hub, {d: heads[d] for d in charters})


def _log_switch(
    s: Session, kind: str, domain: str, old: int | None, new: int, *, actor: str, why: str
) -> None:
    record(s, kind=kind, actor=actor, domain=domain, subject=f"charter:{domain}",
           data={"from": old, "to": new, "why": why}, charter_version=str(new))  # fmt: skip
