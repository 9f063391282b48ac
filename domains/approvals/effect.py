"""What an approval will do, worked out when it is proposed and shown on its card (issue 12.6).

Approving always records the action as the domain's Latest decision. With ACTION_WEBHOOK_URL
set it is also POSTed there as signed JSON; the card names the receiving host (never the path
or query, which may carry a token) and the body's fields, with the values known already.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

# The JSON body's fields, in order: shown on the card, sent by `domains.approvals.webhook`.
BODY_FIELDS = ("approval_id", "domain", "action", "decided_by", "decided_at", "sent_at")


def effect_of(webhook_url: str | None) -> dict[str, Any]:
    """The stored effect (`approvals.effect`): the webhook's host and fields, or none."""
    if not webhook_url:
        return {"webhook": None}
    return {"webhook": {"host": host_of(webhook_url), "fields": list(BODY_FIELDS)}}


def host_of(url: str) -> str:
    """`hooks.example.com` or `127.0.0.1:8080`: no user, password, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def body_preview(fields: list[str], *, public_id: str, domain: str, action: str) -> str:
    """The JSON body as it will be sent, the values not known yet in angle brackets."""
    known = {"approval_id": public_id, "domain": domain, "action": action}
    later = {
        "decided_by": "<the approving operator>",
        "decided_at": "<time of approval>",
        "sent_at": "<time sent>",
    }
    parts = []
    for name in fields:
        value = known.get(name)
        parts.append(
            f'"{name}": "{value}"' if value is not None else f'"{name}": {later.get(name, "…")}'
        )
    return "{" + ", ".join(parts) + "}"
