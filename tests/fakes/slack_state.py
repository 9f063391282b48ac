"""In-memory Slack workspace for the fake Web API: channels, users, messages, ids and cursors."""

from __future__ import annotations

import base64
import itertools
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class SlackError(Exception):
    """An `{"ok": false, "error": ...}` answer."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False
    im_user: str | None = None  # set for a direct-message channel
    members: set[str] = field(default_factory=set)
    created: int = field(default_factory=lambda: int(time.time()))
    topic: str = ""
    purpose: str = ""
    pins: list[str] = field(default_factory=list)  # pinned message ts, oldest first

    @property
    def kind(self) -> str:
        if self.im_user:
            return "im"
        return "private_channel" if self.is_private else "public_channel"

    def as_json(self) -> dict[str, Any]:
        if self.im_user:
            return {"id": self.id, "is_im": True, "user": self.im_user, "created": self.created}
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_im": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.is_member,
            "created": self.created,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
        }


class TsClock:
    """Message timestamps: real time, strictly increasing, formatted like Slack's."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        self._last = max(self._last + 1, int(time.time() * 1_000_000))
        return f"{self._last // 1_000_000}.{self._last % 1_000_000:06d}"


def ts_value(ts: str | None, default: Decimal) -> Decimal:
    if ts in (None, ""):
        return default
    try:
        return Decimal(str(ts))
    except ArithmeticError as exc:
        raise SlackError("invalid_ts_oldest") from exc


class Ids:
    """Slack-looking ids: C0000001A, D0000002A, U0000003A, Ev..."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new(self, prefix: str) -> str:
        return f"{prefix}{next(self._n):07d}A"


def page(items: list[Any], params: dict[str, Any], default: int, cap: int) -> tuple[list, str]:
    """One page of `items` by Slack's `limit`/`cursor`; returns (page, next_cursor or "")."""
    limit = min(as_int(params.get("limit"), default) or default, cap)
    start = 0
    if params.get("cursor"):
        try:
            start = int(base64.b64decode(params["cursor"]).decode().removeprefix("next:"))
        except ValueError as exc:
            raise SlackError("invalid_cursor") from exc
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
    return chunk, cursor


def as_int(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SlackError("invalid_arguments") from exc


def as_bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def user_json(user_id: str, name: str, *, is_bot: bool = False, real_name: str = "") -> dict:
    real = real_name or name
    return {
        "id": user_id,
        "name": name,
        "real_name": real,
        "is_bot": is_bot,
        "deleted": False,
        "tz": "UTC",
        "profile": {"display_name": name, "real_name": real},
    }
