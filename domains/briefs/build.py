"""Building a brief: which brief, in which time zone, since when, as which posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from domains.briefs import clock, sources
from domains.briefs.compose import card_refs, compose
from domains.briefs.data import BriefRequest, gather
from orchestrator.canonical import Platform, Post
from orchestrator.charters import BriefSpec, CharterSet
from orchestrator.settings import Settings

LABEL = "%a %d %b %Y %H:%M"


@dataclass(frozen=True)
class Brief:
    posts: list[Post]
    cards: list[str]  # the approvals whose cards are the last posts, in order


def zone_of(spec: BriefSpec, settings: Settings) -> ZoneInfo:
    """The brief's own time zone, else PARALLELOS_TIMEZONE."""
    return ZoneInfo(spec.timezone) if spec.timezone else settings.zone


def platforms(settings: Settings) -> list[Platform]:
    """Where scheduled briefs go: the local chat always, Slack and Telegram when configured."""
    out = [Platform.LOCAL]
    if settings.slack_enabled:
        out.append(Platform.SLACK)
    if settings.telegram_enabled:
        out.append(Platform.TELEGRAM)
    return out


def find_brief(charters: CharterSet, name: str) -> BriefSpec | None:
    return next((b for b in charters.all_briefs() if b.name == name.lower()), None)


def build_brief(
    session: Session,
    charters: CharterSet,
    spec: BriefSpec,
    *,
    settings: Settings,
    now: datetime,
    slot: clock.Slot | None = None,
    note: str | None = None,
) -> Brief:
    """The brief as of `now` (for `slot`, when scheduled), covering since its last posted run."""
    zone = zone_of(spec, settings)
    label = (slot.local if slot else clock.to_local(now, zone)).strftime(LABEL)
    since = default_since(session, spec, zone, now, slot)
    data = gather(session, charters, BriefRequest(spec, now, since, zone, label, note))
    return Brief(compose(data), card_refs(data))


def default_since(
    session: Session, spec: BriefSpec, zone: ZoneInfo, now: datetime, slot: clock.Slot | None
) -> datetime:
    """When the last brief of this kind was posted, else the slot before this one."""
    last = sources.last_posted_run(session, spec.name)
    if last is not None:
        return last.started_at
    if slot is not None:
        return clock.previous_slot(spec.cron, zone, slot).at
    return clock.latest_slot(spec.cron, zone, now - timedelta(microseconds=1)).at
