"""The local adapter: a chat in the browser and the terminal, on the same orchestrator.

Local "delivery" is the outbox row itself: a sent local post is what the chat shows.
"""

from __future__ import annotations

import functools
import getpass
import os
import pwd
import uuid
from datetime import datetime

from sqlalchemy import func, select

from orchestrator.canonical import EventKind, InboundEvent, Platform, Post, SentRef
from orchestrator.db import Database
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.outbound import Destination
from orchestrator.statuses import OutboxStatus

LOCAL_USER = "operator"
DM = "local-dm"


@functools.cache
def local_name() -> str:
    """How the person at this machine is named on the board and cards: their account's full
    name, else its login name (never the bare identity `local:operator`)."""
    try:
        account = pwd.getpwuid(os.getuid())
    except KeyError:
        return getpass.getuser()
    return account.pw_gecos.split(",")[0].strip() or account.pw_name


class LocalSender:
    platform = Platform.LOCAL

    def send(self, post: Post, dest: Destination, *, key: str) -> SentRef:
        return SentRef(channel=dest.channel, message_id=key, thread=dest.thread)

    def edit(self, post: Post, ref: SentRef) -> SentRef:
        return ref

    def answer(self, post: Post, callback_ref: str, user: str, dest: Destination) -> None:
        return None

    def find_sent(self, dest: Destination, *, key: str, since: datetime) -> SentRef | None:
        return None

    def ensure_channel(self, *, domain: str, name: str) -> tuple[str, str | None]:
        return f"local-{domain}", None


def local_event(text: str, *, channel: str = DM, user: str = LOCAL_USER) -> InboundEvent:
    """A line typed in the local chat: `/cmd args` is a command, anything else a message."""
    text = text.strip()
    ident = uuid.uuid4().hex
    if text.startswith("/"):
        name, _, rest = text[1:].partition(" ")
        return InboundEvent(
            platform=Platform.LOCAL,
            external_id=ident,
            kind=EventKind.COMMAND,
            user=user,
            user_name=local_name(),
            channel=channel,
            command=name.lower(),
            text=rest.strip(),
            message_ref=ident,
            is_direct=channel == DM,
        )
    return InboundEvent(
        platform=Platform.LOCAL,
        external_id=ident,
        kind=EventKind.MESSAGE,
        user=user,
        user_name=local_name(),
        channel=channel,
        text=text,
        message_ref=ident,
        is_direct=channel == DM,
    )


def local_click(
    action: str, value: str, message_key: str, *, user: str = LOCAL_USER, channel: str = DM
) -> InboundEvent:
    return InboundEvent(
        platform=Platform.LOCAL,
        external_id=uuid.uuid4().hex,
        kind=EventKind.ACTION,
        user=user,
        user_name=local_name(),
        channel=channel,
        action_id=action,
        action_value=value,
        action_message_ref=message_key,
    )


def sent_local_posts(db: Database, *, after: int, limit: int = 1000) -> list[dict[str, object]]:
    """Local posts delivered after outbox id `after`, oldest first: what the chats show."""
    with db.session() as s:
        rows = s.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.platform == Platform.LOCAL.value,
                OutboxRow.status == OutboxStatus.SENT,
                OutboxRow.id > after,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        ).all()
        return [
            {
                "id": r.id,
                "key": r.key,
                "channel": r.sent_channel or r.target.get("channel"),  # answers have no ref
                "thread": r.sent_thread,
                "kind": r.kind,
                "update_of": r.update_of,
                "post": r.post,
            }
            for r in rows
        ]


def typed_local_lines(db: Database, *, limit: int = 200) -> list[dict[str, object]]:
    """The newest lines typed in the local chats (messages and commands), oldest first, as
    stored (secrets redacted): the chat shows them again after a reload. `after` is the last
    local post delivered before the line came in, so the page puts the line after it."""
    kinds = (EventKind.MESSAGE.value, EventKind.COMMAND.value)
    # One statement: the last delivered local post before each line, as a correlated subquery.
    before = (
        select(func.max(OutboxRow.id))
        .where(
            OutboxRow.platform == Platform.LOCAL.value,
            OutboxRow.status == OutboxStatus.SENT,
            OutboxRow.created_at <= InboundEventRow.created_at,
        )
        .correlate(InboundEventRow)
        .scalar_subquery()
    )
    with db.session() as s:
        rows = s.execute(
            select(InboundEventRow, before)
            .where(
                InboundEventRow.platform == Platform.LOCAL.value, InboundEventRow.kind.in_(kinds)
            )
            .order_by(InboundEventRow.id.desc())
            .limit(limit)
        ).all()
        lines = []
        for r, after in reversed(rows):
            event = InboundEvent.model_validate(r.payload)
            text = f"/{event.command} {event.text}".strip() if event.command else event.text
            lines.append(
                {
                    "event_id": r.id,
                    "channel": event.channel,
                    "text": text,
                    "status": r.status,
                    "after": after or 0,
                }
            )
        return lines
