"""The inbox as a feature: the `inbox` command, the card's buttons, its view and its file."""

from __future__ import annotations

from sqlalchemy.orm import Session

from domains.inbox.service import BUTTONS, inbox_command, mover
from domains.inbox.views import inbox_markdown, inbox_section
from orchestrator.features import Feature

__all__ = ["feature"]


def feature() -> Feature:
    return Feature(
        name="inbox",
        commands={"inbox": inbox_command},
        actions={action: mover(status) for action, status in BUTTONS.items()},
        views={"inbox": inbox_section},
        exports=(_export,),
    )


def _export(session: Session) -> dict[str, str]:
    return {"inbox.md": inbox_markdown(session)}
