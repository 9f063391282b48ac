"""What happens to one stored inbound event: route it, run the domain step, queue the posts.

Everything an event causes (domain changes, log events, outbox posts, the event's own `done`)
commits in one transaction, guarded by a conditional update of the event's status: a second
worker running the same event rolls back, so a redelivered or re-enqueued job changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator import statuses, texts
from orchestrator.canonical import Button, ButtonStyle, EventKind, InboundEvent, Platform, Post
from orchestrator.channels import HUB, ChannelDirectory
from orchestrator.charters import CharterSet
from orchestrator.context import Context, Job
from orchestrator.db import Database, utcnow
from orchestrator.eventlog import record
from orchestrator.features import Features
from orchestrator.handlers import Handlers
from orchestrator.ingest import stored_payload
from orchestrator.live import LiveCharters
from orchestrator.models import InboundEventRow
from orchestrator.people import Names
from orchestrator.posting import PostBatch, reply_target
from orchestrator.router import RouteDecision, Router
from orchestrator.settings import Settings
from orchestrator.staff import Staff
from orchestrator.statuses import EventStatus

log = logging.getLogger(__name__)


def _refusal(event: InboundEvent) -> str | None:
    """The one-line answer to a message nothing can use (an anonymous admin's, a sticker)."""
    if event.anonymous:
        return texts.ANONYMOUS
    if event.unsupported:
        return texts.unsupported(event.unsupported)
    return None


_EVENT = select(InboundEventRow.status, InboundEventRow.payload).where(
    InboundEventRow.id == bindparam("b_id")
)  # the stored event, read as columns (no ORM object to track)
# The event's own move to done, built once (Core, on the session's connection: no ORM update).
_DONE = statuses.guarded(
    InboundEventRow.status, EventStatus.DONE, InboundEventRow.id == bindparam("b_id"),
    domain=bindparam("b_domain"), finished_at=bindparam("b_at"),
)  # fmt: skip
_DONE_NAMED = statuses.guarded(  # the same, storing the event with its display names
    InboundEventRow.status, EventStatus.DONE, InboundEventRow.id == bindparam("b_id"),
    domain=bindparam("b_domain"), finished_at=bindparam("b_at"), payload=bindparam("b_payload"),
)  # fmt: skip


class AlreadyDone(Exception):
    """Another worker finished this event first."""


class Orchestrator:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        live: LiveCharters,
        directory: ChannelDirectory,
        staff: Staff,
        features: Features,
        names: Mapping[Platform, Names] | None = None,
    ) -> None:
        self.settings = settings
        self.names = dict(names or {})  # display names, per platform that needs a lookup
        self.db = db
        self.live = live
        self.directory = directory
        self.handlers = Handlers(self, staff, features)
        self.observers = features.observers

    @property
    def charters(self) -> CharterSet:
        """The active charters (the database's choice; see `orchestrator.live`)."""
        return self.live.charters

    @property
    def router(self) -> Router:
        return self.live.router

    def process(
        self,
        event_id: int,
        *,
        after_commit: Callable[[list[Job]], None] | None = None,
        refreshed: bool = False,
    ) -> set[str]:
        """Handle a stored event once; return the outbox channels that now have posts.

        Jobs the handlers asked for (`ctx.jobs`) go to `after_commit` once the transaction has
        committed, never before; if that hand-off is lost, the reconciler finds the work.
        `refreshed`: the caller has just brought the charters up to date (a job's `current()`).
        """
        if not refreshed:  # an activation or rollback in any process applies from here on
            self.live.refresh()
        try:
            with self.db.session() as s:
                row = s.connection().execute(_EVENT, {"b_id": event_id}).one_or_none()
                if row is None or row.status != EventStatus.RECEIVED:
                    return set()
                stored = InboundEvent.model_validate(row.payload)
                event = self._named(stored)
                ctx = Context(s, event, event_id, PostBatch(s, f"ev{event_id}", event_id), self)
                domain = self._dispatch(ctx)
                self._finish(s, event_id, domain, None if event is stored else event)
        except (AlreadyDone, IntegrityError):
            # Another run of this event committed first (its posts' keys exist): nothing to add.
            log.info("event %s was already handled", event_id)
            return set()
        if ctx.jobs and after_commit is not None:
            after_commit(ctx.jobs)
        return ctx.posts.channel_keys

    def _dispatch(self, ctx: Context) -> str | None:
        kind = ctx.event.kind
        if kind is EventKind.COMMAND:
            return self.handlers.command(ctx)
        if kind is EventKind.ACTION:
            return self.handlers.action(ctx)
        bare = self._bare_command(ctx.event)
        if bare is not None:
            ctx.event = bare
            return self.handlers.command(ctx)
        return self.route_message(ctx)

    def _bare_command(self, event: InboundEvent) -> InboundEvent | None:
        """A direct message that is just a command without its slash (`board`, `help`,
        `status travel`) is that command: `help` lists them without one. Only the command
        alone, or with one domain's name after it, so `help me book a flight` is still routed."""
        if not event.is_direct:
            return None
        words = event.text.split()
        if not words or len(words) > 2 or words[0].lower() not in self.handlers.commands:
            return None
        if len(words) == 2 and words[1].lower().lstrip("#") not in self.charters.names():
            return None
        rest = " ".join(words[1:])
        return event.model_copy(
            update={"kind": EventKind.COMMAND, "command": words[0].lower(), "text": rest}
        )

    def _named(self, event: InboundEvent) -> InboundEvent:
        """The event with people's display names, where its platform looks them up (Slack:
        users.info, cached; `orchestrator.people`): here, never in the platform's request."""
        names = self.names.get(event.platform)
        return event if names is None else names.named(event)

    def _finish(
        self, s: Session, event_id: int, domain: str | None, named: InboundEvent | None
    ) -> None:
        """Done, in the event's transaction; a `named` event is stored as such, in the same
        statement, so the dashboard and later turns read the names."""
        params: dict[str, Any] = {"b_id": event_id, "b_domain": domain, "b_at": utcnow()}
        if named is not None:
            params["b_payload"] = stored_payload(named)
        done = _DONE if named is None else _DONE_NAMED
        if s.connection().execute(done, params).rowcount != 1:
            raise AlreadyDone()

    def route_message(self, ctx: Context) -> str | None:
        """Place a live message, then let the observers (shadow runs) see where it went."""
        decision: RouteDecision | None = None
        event = ctx.event
        home = (
            None  # a Slack DM is never a domain's channel: no lookup
            if event.is_direct and event.platform is Platform.SLACK
            else self.directory.domain_of(event.platform, event.channel, event.thread)
        )
        refusal = _refusal(event)
        if refusal is not None:
            if home is not None or event.is_direct or event.mentions_bot:  # said to us
                ctx.posts.add(reply_target(event), Post(text=refusal))  # and nothing changes
            return None
        if home is not None and home != HUB and home not in self.charters:
            # A removed domain's channel (its file is gone, the channel stays): say so, once.
            gone = texts.domain_gone(home, self.charters.names())
            ctx.posts.add(reply_target(event), Post(text=gone))
            return None
        if home is not None and home != HUB:
            domain: str | None = home
        elif event.is_direct or event.mentions_bot or home == HUB:
            decision = self.router.route(event.text)
            domain = decision.domain
        else:
            return None  # a channel message not addressed to us
        for observe in self.observers:
            observe(ctx, domain, decision)
        if decision is None:
            self.domain_message(ctx, home or "", in_home=True)
            return home
        return self._routed(ctx, decision)

    def _routed(self, ctx: Context, decision: RouteDecision) -> str | None:
        event = ctx.event
        record(
            ctx.session,
            kind="route.decided",
            actor="router",
            domain=decision.domain,
            subject=f"event:{ctx.event_id}",
            data={**decision.as_json(), "charters": self.charters.revisions},
            charter_version=self._version_of(decision.domain),
            source_event_id=ctx.event_id,
        )
        target = reply_target(event)
        if not decision.in_scope:
            ctx.posts.add(target, Post(text=texts.declined(decision.reason)))
            return decision.domain
        if decision.hub and self.handlers.hub is not None:
            ctx.posts.add(target, self.handlers.hub(ctx))
            return None
        if decision.domain is None:
            if decision.candidates and self.handlers.staff.defer_route(ctx, decision):
                return None  # the model is asked outside this transaction
            ctx.posts.add(target, self.ask_which(ctx, list(decision.candidates)))
            return None
        self.domain_message(ctx, decision.domain, in_home=False)
        return decision.domain

    def _version_of(self, domain: str | None) -> str | None:
        """A routed message's version: its domain's; an unplaced one's: the hub's."""
        return self.charters.revision(domain or HUB)

    def domain_message(
        self, ctx: Context, domain: str, *, in_home: bool, source: InboundEvent | None = None
    ) -> None:
        """Hand a message that belongs to `domain` to its staff and post the answer."""
        self.handlers.domain_message(ctx, domain, in_home=in_home, source=source)

    def ask_which(self, ctx: Context, candidates: list[str]) -> Post:
        """A question back, with the candidate domains (or all of them) as buttons."""
        names = candidates or self.charters.names()
        buttons = [
            Button(label=n, action="route", value=f"{ctx.event_id}:{n}", style=ButtonStyle.DEFAULT)
            for n in names[:8]
        ]
        files = ", ".join(a.label() for a in ctx.event.attachments)
        text = texts.unsure(candidates) + (f"\n{texts.files_wait(files)}" if files else "")
        return Post(text=text, buttons=buttons)
