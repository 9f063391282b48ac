"""Views published to one person (Slack's Home tab), kept so a click from one can be checked.

A card's button counts only on the card's own message (`domains.cards.clicked_on`). A view has
no message: a click from it counts only when its view id is the one last published to that
same person, and the clicked button (action and value) was in that view. A forged or
another person's view id, or a button the view no longer carries, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator.canonical import InboundEvent, Platform
from orchestrator.db import utcnow
from orchestrator.models import PublishedViewRow

__all__ = ["clicked_in_view", "record_view"]


def record_view(
    session: Session,
    platform: Platform,
    user: str,
    view_id: str,
    buttons: Iterable[tuple[str, str]],
) -> None:
    """Remember the view just published to `user` (the latest replaces the one before)."""
    shown = [[action, value] for action, value in buttons]
    key = (platform.value, user)
    if session.get(PublishedViewRow, key) is None:
        try:
            with session.begin_nested():  # two publishes racing: the second one updates
                session.add(PublishedViewRow(platform=platform.value, user=user, view_id=view_id,
                                             buttons=shown, published_at=utcnow()))  # fmt: skip
            return
        except IntegrityError:
            pass
    row = session.get(PublishedViewRow, key, populate_existing=True)
    assert row is not None
    row.view_id, row.buttons, row.published_at = view_id, shown, utcnow()
    session.flush()


def clicked_in_view(session: Session, event: InboundEvent) -> bool:
    """The click came from the view last published to its own clicker, carrying that button."""
    if not event.action_view_ref or not event.action_id:
        return False
    row = session.get(PublishedViewRow, (event.platform.value, event.user))
    if row is None or row.view_id != event.action_view_ref:
        return False
    return [event.action_id, event.action_value or ""] in row.buttons
