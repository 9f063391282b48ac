"""Handlers for messages in a domain, commands and button clicks.

The kernel's own commands (`help`, `domains`) and button (`route`) are here; every other
command and button comes from the features the composition root lists (`orchestrator.features`),
and a domain's answer to a message comes from the staff (`orchestrator.staff`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from orchestrator import texts
from orchestrator.canonical import InboundEvent, Platform, Post, Target
from orchestrator.channels import channel_name
from orchestrator.db import rowcount
from orchestrator.eventlog import record
from orchestrator.features import ActionFn, CommandFn, Features
from orchestrator.ingest import stored_event
from orchestrator.models import InboundEventRow
from orchestrator.posting import domain_targets, reply_target
from orchestrator.staff import Staff

if TYPE_CHECKING:
    from orchestrator.context import Context, Kernel

MAX_COMMAND_CHARS = 256  # how much of a command's name and arguments is read (they are words)
# Commands that show one domain's private state (`status finance`): in a Telegram group they
# answer in that domain's own topic, never in the topic they were typed in (others see it).
PRIVATE_COMMANDS = frozenset({"status", "inbox", "memory", "reminders"})


class Handlers:
    """Messages in a domain, commands and button clicks, for one orchestrator."""

    def __init__(self, orch: Kernel, staff: Staff, features: Features) -> None:
        self.orch = orch
        self.staff = staff
        self.commands: dict[str, CommandFn] = {
            "help": self._help,
            "domains": self._domains,
            **features.commands,
        }
        self.actions: dict[str, ActionFn] = {"route": self._route_choice, **features.actions}
        self.hub = features.hub

    # -- messages -------------------------------------------------------------------------
    def domain_message(
        self, ctx: Context, domain: str, *, in_home: bool, source: InboundEvent | None = None
    ) -> None:
        """A message that belongs to `domain`: run the domain step, answer in the thread."""
        event = source or ctx.event
        answer = self.staff.step(ctx, domain, event, in_home=in_home)
        if in_home:
            self.staff.answered(ctx, domain, event, [ctx.posts.add(reply_target(event), answer)])
            return
        # Answered where it was asked (the DM's thread, the private chat); the domain's
        # channel gets the message and a copy of the answer. An agent's reply edits both
        # (keeping each post's title, which names the domain and where the copy is).
        copy_at = self.copy_place(event.platform, domain)
        named = answer.model_copy(update={"title": texts.answered_for(domain, copy_at)})
        asked = ctx.posts.add(reply_target(event), named)
        copies = []
        for target in self._mirror_targets(event, domain):
            mirror = ctx.posts.add(target, self._mirror(event, domain, target))
            copies.append(ctx.posts.add(target.model_copy(update={"reply_to_post": mirror.id}),
                                        answer))  # fmt: skip
        self.staff.answered(ctx, domain, event, [asked, *copies])

    def copy_place(self, platform: Platform, domain: str) -> str | None:
        """How the answer names the domain's copy: `#pos-finance`, `the finance topic`."""
        settings = self.orch.settings
        if platform is Platform.SLACK:
            return f"#{channel_name(settings, domain)}"
        if platform is Platform.TELEGRAM:
            return f"the {domain} topic" if settings.telegram_chat_id is not None else None
        return f"the {domain} channel"

    def _mirror_targets(self, event: InboundEvent, domain: str) -> list[Target]:
        """The domain's channel; without a Telegram group, the operators' chats but the one
        the answer is already in."""
        targets = domain_targets(self.orch.settings, event.platform, domain)
        return [t for t in targets if t.channel is None or t.channel != event.channel]

    def _mirror(self, event: InboundEvent, domain: str, target: Target) -> Post:
        who = event.user_name or event.user
        where = "direct message" if event.is_direct else "mention"
        title = f"[{domain}]" if target.channel is not None else None
        return Post(text=texts.mirrored(who, where, event.text), title=title)

    # -- commands -------------------------------------------------------------------------
    def command(self, ctx: Context) -> str | None:
        name = (ctx.event.command or "help")[:MAX_COMMAND_CHARS].lower()
        args = ctx.event.text[:MAX_COMMAND_CHARS].split()
        fn = self.commands.get(name)
        post = fn(ctx, args) if fn else Post(text=texts.unknown_command(name))
        elsewhere = self._shown_elsewhere(ctx, name, args) if fn else None
        if elsewhere is not None:
            ctx.posts.to_domain(self.orch.settings, ctx.event.platform, elsewhere, post)
            post = Post(text=texts.answered_in(elsewhere))
        self.reply_privately(ctx, post)
        return None

    def _shown_elsewhere(self, ctx: Context, name: str, args: list[str]) -> str | None:
        """The domain whose private state a Telegram group command shows, when it was typed
        outside that domain's topic (Slack answers such commands ephemerally)."""
        event = ctx.event
        if event.platform is not Platform.TELEGRAM or event.is_direct or not args:
            return None
        domain = args[0].lower().lstrip("#")
        if name not in PRIVATE_COMMANDS or domain not in self.orch.charters.names():
            return None
        home = self.orch.directory.domain_of(event.platform, event.channel, event.thread)
        return None if home == domain else domain

    def reply_privately(self, ctx: Context, post: Post) -> None:
        """Slack slash commands answer ephemerally; elsewhere the answer goes in the chat."""
        if ctx.event.platform is Platform.SLACK and ctx.event.action_callback_ref:
            ctx.posts.answer(ctx.event, post)
        else:
            ctx.posts.add(reply_target(ctx.event), post)

    def _help(self, ctx: Context, args: list[str]) -> Post:  # noqa: ARG002
        return Post(text=texts.HELP)

    def _domains(self, ctx: Context, args: list[str]) -> Post:
        charters = self.orch.charters
        lines = [f"• *{n}* — {charters.get(n).mission}" for n in charters.names()]
        return Post(title="Domains", text="\n".join(lines))

    # -- actions --------------------------------------------------------------------------
    def action(self, ctx: Context) -> str | None:
        fn = self.actions.get(ctx.event.action_id or "")
        if not self.orch.settings.is_allowed(ctx.event.identity):
            record(
                ctx.session,
                kind="action.refused",
                actor=ctx.actor,
                subject=f"{ctx.event.action_id}:{ctx.event.action_value}",
                data={"reason": "not a user"},
                source_event_id=ctx.event_id,
            )
            ctx.posts.answer(ctx.event, Post(text=texts.operators_only()))
            return None
        if fn is None:
            ctx.posts.answer(ctx.event, Post(text=texts.stale_action()))
            return None
        fn(ctx, ctx.event.action_value or "")
        if ctx.event.platform is Platform.TELEGRAM and not ctx.posts.answered:
            ctx.posts.answer(ctx.event, Post(text=""))  # a Telegram button spins until answered
        return None

    def _route_choice(self, ctx: Context, value: str) -> None:
        """The user picked a domain for a message the router was unsure about."""
        event_id, _, domain = value.partition(":")
        if domain not in self.orch.charters.names() or not event_id.isdigit():
            ctx.posts.answer(ctx.event, Post(text=texts.stale_action()))
            return
        chosen = ctx.session.execute(
            update(InboundEventRow)
            .where(InboundEventRow.id == int(event_id), InboundEventRow.domain.is_(None))
            .values(domain=domain)
        )
        if rowcount(chosen) != 1:
            ctx.posts.answer(ctx.event, Post(text=texts.stale_action()))
            return
        original = stored_event(ctx.session, int(event_id))
        record(
            ctx.session,
            kind="route.chosen",
            actor=ctx.actor,
            domain=domain,
            subject=f"event:{event_id}",
            source_event_id=ctx.event_id,
        )
        ctx.posts.add(reply_target(original), Post(text=texts.chosen(domain)))
        self.domain_message(ctx, domain, in_home=False, source=original)
