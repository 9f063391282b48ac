"""Reminders as a feature: the `reminders` command, the card's buttons, its view and file."""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from domains.reminders import cards, clicks
from domains.reminders.views import reminders_command, reminders_markdown, reminders_section
from orchestrator.features import Feature

__all__ = ["feature"]


def feature(zone: ZoneInfo) -> Feature:
    return Feature(
        name="reminders",
        commands={"reminders": reminders_command},
        actions={cards.DONE: clicks.done, cards.SNOOZE: clicks.snooze},
        views={"reminders": partial(reminders_section, zone)},
        exports=(_export,),
    )


def _export(session: Session) -> dict[str, str]:
    return {"reminders.md": reminders_markdown(session)}
