"""Sign-in links and web sessions for the dashboard, opened from elsewhere (CONTRACT §6).

The command `login` (domains/signin) issues a link for an operator; the web edge redeems it
and checks the session cookie on every request. Only hashes of the link and session tokens
are stored, so a copy of the database cannot sign anyone in. A link is used once: the
conditional update of `used_at` is the gate, and the session row's unique `link_id` makes a
second session from one link impossible even if two redemptions race.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import DateTime, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from orchestrator.db import Base, rowcount, utcnow
from orchestrator.eventlog import record
from orchestrator.models import BigId

__all__ = [
    "LINK_TTL",
    "SESSION_TTL",
    "LinkState",
    "SignInLink",
    "WebSession",
    "WebSessionRow",
    "issue_link",
    "redeem_link",
    "revoke_session",
    "signed_in",
]

Allowed = Callable[[str], bool]
LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(days=7)


class LinkState(StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    REFUSED = "refused"  # its identity is no longer an operator


class SignInLink(Base):
    __tablename__ = "signin_links"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_signin_links_token_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    identity: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WebSessionRow(Base):
    __tablename__ = "web_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_web_sessions_token_hash"),
        UniqueConstraint("link_id", name="uq_web_sessions_link_id"),  # one session per link, ever
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    link_id: Mapped[int] = mapped_column(BigId)
    identity: Mapped[str] = mapped_column(String(128))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class WebSession:
    """A live session, as the web edge needs it; `token` is only set when it was just made."""

    identity: str
    csrf: str
    expires_at: datetime
    token: str = ""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_link(session: Session, *, identity: str) -> str:
    """A new one-time link token for `identity` (an operator), valid for LINK_TTL."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(SignInLink(token_hash=_hash(token), identity=identity, expires_at=now + LINK_TTL))
    return token


def _find_link(session: Session, token: str) -> SignInLink | None:
    return session.scalars(select(SignInLink).where(SignInLink.token_hash == _hash(token))).first()


def _state(link: SignInLink | None, now: datetime, allowed: Allowed) -> LinkState:
    if link is None:
        return LinkState.UNKNOWN
    if not allowed(link.identity):
        return LinkState.REFUSED
    if link.used_at is not None:
        return LinkState.USED
    return LinkState.EXPIRED if now >= link.expires_at else LinkState.VALID


def redeem_link(session: Session, token: str, allowed: Allowed) -> WebSession | LinkState:
    """Use the link once: a new session for its operator, or why it cannot be used.

    `allowed` says whether an identity is (still) an operator; nobody else is signed in.
    """
    link, now = _find_link(session, token), utcnow()
    state = _state(link, now, allowed)
    if state is not LinkState.VALID or link is None:
        return state
    claimed = session.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
    )
    if rowcount(claimed) != 1:
        return LinkState.USED
    return _open_session(session, link, now)


def _open_session(session: Session, link: SignInLink, now: datetime) -> WebSession | LinkState:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = WebSessionRow(
        token_hash=_hash(token),
        link_id=link.id,
        identity=link.identity,
        csrf=csrf,
        expires_at=now + SESSION_TTL,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return LinkState.USED
    record(session, kind="signin.opened", actor=link.identity, subject=f"session:{row.id}")
    return WebSession(identity=link.identity, csrf=csrf, expires_at=row.expires_at, token=token)


def signed_in(session: Session, token: str) -> WebSession | None:
    """The live session this cookie names: not expired, not revoked."""
    row = session.scalars(
        select(WebSessionRow).where(WebSessionRow.token_hash == _hash(token))
    ).first()
    if row is None or row.revoked_at is not None or utcnow() >= row.expires_at:
        return None
    return WebSession(identity=row.identity, csrf=row.csrf, expires_at=row.expires_at)


def revoke_session(session: Session, token: str) -> bool:
    """Sign out: the cookie's session stops working at once."""
    done = session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.token_hash == _hash(token), WebSessionRow.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return rowcount(done) == 1
