"""The Slack agent surface: the App Home tab and the DM's suggested prompts.

`app_home_opened` with `tab == "home"` publishes (`views.publish`) the headline board, the
pending approvals and the open inbox, read from the same feature views as the dashboard, plus
how to use the bot. With `tab == "messages"` (the bot's DM, the agent view) it sets suggested
prompts (`assistant.threads.setSuggestedPrompts`, no `thread_ts`, FACTS §9). Both change no
state, so they run after Slack's acknowledgement, in the background; a refusal is logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.concurrency import run_in_threadpool

from bot.actions import decode_action, encode_action
from bot.slack_mrkdwn import escape
from orchestrator.canonical import Platform
from orchestrator.dashboard import dashboard
from orchestrator.published_views import record_view
from orchestrator.services import Services

__all__ = ["HOME_VIEWS", "HomeSurface", "PROMPTS", "home_buttons", "home_view"]

log = logging.getLogger(__name__)

MAX_BLOCKS = 100  # a Home tab (FACTS §1.5)
MAX_ROWS = 20  # per list shown (20 approvals and 20 entries with buttons: 80 blocks)
MAX_BUTTONS = 5  # per actions block (Slack allows 25; a card has at most three)
STYLES = {"approve": "primary", "inbox_accept": "primary", "reject": "danger",
          "inbox_decline": "danger"}  # fmt: skip
HOME_VIEWS = ("board", "approvals", "inbox")  # the dashboard views a Home tab is made of
COLORS = {"green": "🟢", "yellow": "🟡", "red": "🔴"}
PROMPTS = [
    {"title": "Today's focus", "message": "What should I focus on today?"},
    {"title": "The board", "message": "Show me the board"},
    {"title": "My reminders", "message": "What are my reminders?"},
]
HOW_TO = (
    "*How to use ParallelOS*\n"
    "• Write to me here, or mention me anywhere: I answer in the thread and copy it to the "
    "domain's channel.\n"
    "• In a domain's channel (`#pos-<domain>`), status lines such as `Next: …`, `Blocker: …`, "
    "`Decision: …`, `Ask finance: …` update its status doc.\n"
    "• `/pos help`, `/pos board`, `/pos approvals`, `/pos inbox` for the rest."
)


def home_view(data: dict[str, Any]) -> dict[str, Any]:
    """A Home tab view from the dashboard's data (`board`, `approvals`, `inbox`: HOME_VIEWS)."""
    blocks: list[dict[str, Any]] = [_header("ParallelOS"), _text(HOW_TO), {"type": "divider"}]
    blocks += [_header("Headline board"), *_board(data.get("board") or [])]
    blocks += [_header("Pending approvals"), *_approvals(data.get("approvals") or [])]
    blocks += [_header("Open inbox"), *_inbox(data.get("inbox") or [])]
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}


def _board(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for row in rows[:MAX_ROWS]:
        dot = COLORS.get(str(row.get("headline_color") or ""), "⚪")
        headline = escape(str(row.get("headline_text") or "no headline yet"))
        owner = f" · {escape(str(row['owner']))}" if row.get("owner") else ""
        lines.append(f"{dot} *{escape(str(row.get('domain')))}* — {headline}{owner}")
    return [_text("\n".join(lines) or "_No domains yet._")]


def _approvals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for r in rows[:MAX_ROWS]:
        line = (f"`{escape(str(r.get('id')))}` *{escape(str(r.get('domain')))}*: "
                f"{escape(str(r.get('action')))} ({escape(str(r.get('age')))})")  # fmt: skip
        blocks += [_text(line), *_buttons(r, f"home-approval-{r.get('id')}")]
    return blocks or [_text("_Nothing waits for you._")]


def _inbox(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for r in rows[:MAX_ROWS]:
        line = (f"#{escape(str(r.get('id')))} {escape(str(r.get('from')))} → "
                f"*{escape(str(r.get('to')))}*: {escape(str(r.get('title')))} "
                f"({escape(str(r.get('age')))})")  # fmt: skip
        blocks += [_text(line), *_buttons(r, f"home-inbox-{r.get('id')}")]
    return blocks or [_text("_The inbox is empty._")]


def _buttons(row: dict[str, Any], block_id: str) -> list[dict[str, Any]]:
    """The row's card buttons (the dashboard's `buttons`), as one actions block."""
    elements = []
    for button in (row.get("buttons") or [])[:MAX_BUTTONS]:
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": str(button["label"])[:75], "emoji": True},
            "action_id": encode_action(str(button["action"]), str(button["value"])),
            "value": str(button["value"]),
        }
        if button["action"] in STYLES:
            element["style"] = STYLES[button["action"]]
        elements.append(element)
    return (
        [{"type": "actions", "block_id": block_id[:255], "elements": elements}] if elements else []
    )


def home_buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    """Every button the view carries, as (action, value): what a click from it may do."""
    found = []
    for block in view.get("blocks") or []:
        for element in block.get("elements") or [] if block.get("type") == "actions" else []:
            found.append(decode_action(str(element["action_id"])))
    return found


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _text(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


class HomeSurface:
    def __init__(self, services: Services) -> None:
        self.svc = services
        self._tasks: set[asyncio.Task[None]] = set()

    def opened(self, event: dict[str, Any], client: AsyncWebClient | None) -> None:
        """Start the tab's refresh in the background (Slack is answered first)."""
        user, tab = event.get("user"), event.get("tab")
        if (
            client is None
            or not isinstance(user, str)
            or not self.svc.settings.is_allowed(f"slack:{user}")
        ):
            return
        if tab == "home":
            work = self._publish(client, user)
        elif tab == "messages" and isinstance(event.get("channel"), str):
            work = self._prompts(client, str(event["channel"]))
        else:
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Let background refreshes finish (tests, shutdown)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _publish(self, client: AsyncWebClient, user: str) -> None:
        data = await run_in_threadpool(self._data)
        view = home_view(data)
        try:
            done = await client.views_publish(user_id=user, view=view)
        except (SlackApiError, OSError, TimeoutError) as exc:
            log.warning("views.publish for %s failed: %s", user, _why(exc))
            return
        view_id = (done.get("view") or {}).get("id")
        if isinstance(view_id, str) and view_id:
            await run_in_threadpool(self._record, user, view_id, home_buttons(view))

    def _record(self, user: str, view_id: str, buttons: list[tuple[str, str]]) -> None:
        """The view id this person's clicks must come from (`orchestrator.published_views`)."""
        with self.svc.db.session() as session:
            record_view(session, Platform.SLACK, user, view_id, buttons)

    async def _prompts(self, client: AsyncWebClient, channel: str) -> None:
        try:
            await client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, title="Try one of these", prompts=PROMPTS
            )
        except (SlackApiError, OSError, TimeoutError) as exc:
            log.warning("setSuggestedPrompts in %s failed: %s", channel, _why(exc))

    def _data(self) -> dict[str, Any]:
        with self.svc.db.session() as session:
            return dashboard(session, self.svc.features)


def _why(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__
