"""Slack payloads -> canonical `InboundEvent`: pure functions, no network.

One payload becomes at most one event (None: nothing for the orchestrator, acknowledge and
drop). The dedupe key is Slack's own id: the envelope's `event_id` for Events API deliveries
(so Slack's retries collapse), the `trigger_id` for a slash command, and the user plus
`action_ts` for a button click. A payload whose shape is not Slack's raises `Malformed`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from bot.actions import decode_action
from bot.slack_files import files_of, shared_text
from orchestrator.canonical import EventKind, InboundEvent, Platform

COMMAND_DEFAULT = "help"
PLAIN_SUBTYPES = (None, "file_share", "thread_broadcast")  # a person's message
PERSON_CHANNEL_TYPES = ("im",)


class Malformed(ValueError):
    """The payload is signed but not shaped like anything Slack sends."""


_NESTED: dict[str, tuple[type, ...]] = {
    "event": (dict,),
    "actions": (list,),
    "authorizations": (list,),
    "container": (dict,),
    "message": (dict,),
    "view": (dict,),
    "user": (dict, str),
    "team": (dict, str, type(None)),
    "channel": (dict, str),
    "enterprise": (dict, str, type(None)),
}


MAX_DEPTH = 32  # Slack's payloads nest a dozen levels; 3,000 would exhaust the stack
_STRINGS = ("type", "command", "callback_id", "trigger_id", "event_id", "team_id", "user_id",
            "channel_id", "text", "response_url")  # fmt: skip
_INNER_STRINGS = {
    "event": ("type", "subtype", "user", "channel", "ts", "thread_ts", "channel_type", "text"),
    "view": ("type", "id", "callback_id"),
    "container": ("type", "channel_id", "message_ts", "view_id"),
}
_ACTION_STRINGS = ("action_id", "block_id", "type", "action_ts")
# Kinds bolt reads a part of without looking first (IndexError / KeyError inside bolt).
_NEEDS: dict[str, tuple[str, type]] = {
    "workflow_step_edit": ("workflow_step", dict),
    "view_submission": ("view", dict),
    "view_closed": ("view", dict),
}


def check_shape(body: Any) -> None:
    """Raise Malformed unless `body` is an object whose well-known parts have Slack's types
    (bolt's own middleware and matchers read them before any listener runs, and crash on an
    `actions: []`, a `workflow_step_edit` without its step, or a number where a string goes)."""
    if not isinstance(body, dict) or not body:
        raise Malformed("not a JSON object")
    if depth(body) > MAX_DEPTH:
        raise Malformed("nested too deep")
    for name, kinds in _NESTED.items():
        if name in body and not isinstance(body[name], kinds):
            raise Malformed(f"{name} is not a {kinds[0].__name__}")
    _check_strings(body, _STRINGS, "")
    for part, names in _INNER_STRINGS.items():
        _check_strings(body.get(part) or {}, names, f"{part}.")
    _check_kind(body)


def _check_kind(body: dict[str, Any]) -> None:
    kind = body.get("type")
    if kind in ("block_actions", "interactive_message"):
        actions = body.get("actions")
        if not actions or not all(isinstance(a, dict) for a in actions):
            raise Malformed(f"{kind} without actions")
        for action in actions:
            _check_strings(action, _ACTION_STRINGS, "action.")
    if kind in _NEEDS:
        part, of = _NEEDS[kind]
        if not isinstance(body.get(part), of):
            raise Malformed(f"{kind} without {part}")
    if "event" in body and not isinstance(body["event"].get("type"), str):
        raise Malformed("event without a type")


def _check_strings(data: dict[str, Any], names: tuple[str, ...], prefix: str) -> None:
    for name in names:
        if name in data and not isinstance(data[name], str | type(None)):
            raise Malformed(f"{prefix}{name} is not a string")


def depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (iterative: no recursion to exhaust).
    Only containers go on the stack: a payload's many strings cost one `isinstance` each."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
        if level <= MAX_DEPTH:  # deeper is too deep already: no need to walk further
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def plain_message(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """The payload when `body` is an Events API callback carrying a `message` event, shaped as
    Slack sends one (`check_shape`); None for anything else, which bolt then takes:
    url_verification, ssl_check, slash commands, clicks, other events, and anything odd."""
    if not (content_type or "").lower().startswith("application/json"):
        return None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond the parser
        return None
    if not isinstance(payload, dict) or payload.get("type") != "event_callback":
        return None
    event = payload.get("event")
    if not isinstance(event, dict) or event.get("type") != "message":
        return None
    try:
        check_shape(payload)
    except Malformed:
        return None
    return payload


def slack_kind(body: object) -> tuple[str, str | None]:
    """(kind, Slack's id) of a payload, for a log line: never its text."""
    if not isinstance(body, dict):
        return "unreadable", None
    kind = body.get("type")
    event = body.get("event")
    if kind == "event_callback" and isinstance(event, dict) and isinstance(event.get("type"), str):
        kind = f"event:{event['type']}"
    if "command" in body:
        kind = "command"
    ident = body.get("event_id") or body.get("trigger_id")
    safe = str(kind)[:40] if isinstance(kind, str) else "unknown"
    return safe, str(ident)[:64] if isinstance(ident, str) else None


def message_event(body: dict[str, Any], *, bot_user_id: str | None) -> InboundEvent | None:
    """A `message` event: a DM (is_direct) or a channel message (plain).

    Bot messages, the bot's own, edits and other subtypes are dropped; so is a channel message
    mentioning the bot, because the `app_mention` delivered beside it carries it.
    """
    event = _inner(body)
    user = event.get("user")
    if event.get("bot_id") or event.get("subtype") not in PLAIN_SUBTYPES:
        return None
    if not isinstance(user, str) or not user or user == bot_user_id:
        return None
    text = _text(event)
    direct = event.get("channel_type") in PERSON_CHANNEL_TYPES
    if not direct and bot_user_id and mentions(text, bot_user_id):
        return None
    if direct and bot_user_id:
        text = strip_mention(text, bot_user_id)
    return _message(body, event, user, text, is_direct=direct, mentions_bot=False)


def mention_event(body: dict[str, Any], *, bot_user_id: str | None) -> InboundEvent | None:
    """An `app_mention`: the text without the mention, `mentions_bot` set."""
    event = _inner(body)
    user = event.get("user")
    if event.get("bot_id") or not isinstance(user, str) or not user or user == bot_user_id:
        return None
    text = strip_mention(_text(event), bot_user_id) if bot_user_id else _text(event)
    return _message(body, event, user, text, is_direct=False, mentions_bot=True)


def command_event(body: dict[str, Any]) -> InboundEvent:
    """`/pos status travel` -> command "status", text "travel" (no word: "help").

    The dedupe key is the `trigger_id`; Slack's older parameter list has none, and then it is
    a digest of the whole body, whose `response_url` differs for every invocation."""
    trigger = _opt(body.get("trigger_id")) or _digest(body)
    words = str(body.get("text") or "").strip().split(maxsplit=1)
    channel = _str(body, "channel_id")
    return InboundEvent(
        platform=Platform.SLACK,
        external_id=f"cmd:{trigger}",
        kind=EventKind.COMMAND,
        user=_str(body, "user_id"),
        channel=channel,
        text=words[1] if len(words) > 1 else "",
        workspace=_opt(body.get("team_id")),
        is_direct=channel.startswith("D"),
        command=words[0].lower() if words else COMMAND_DEFAULT,
        action_callback_ref=_opt(body.get("response_url")),
        user_name=_opt(body.get("user_name")),
    )


def action_event(body: dict[str, Any]) -> InboundEvent | None:
    """A `block_actions` click on one of our buttons (`action_id` = "<action>:<value>")."""
    actions = body.get("actions")
    user = body.get("user")
    if not isinstance(actions, list) or not actions or not isinstance(user, dict):
        raise Malformed("block_actions without actions or user")
    action = actions[0]
    if not isinstance(action, dict):
        raise Malformed("block_actions with a malformed action")
    try:
        name, value = decode_action(str(action.get("action_id") or ""))
    except ValueError:
        return None  # a button we did not render (a link button, another app's block)
    if action.get("type") == "feedback_buttons":  # one action_id; the button says 👍 or 👎
        value = f"{value}:{_str(action, 'value')}"
    container = _dict(body.get("container"))
    message = _dict(body.get("message"))
    channel = container.get("channel_id") or _dict(body.get("channel")).get("id")
    user_id = _str(user, "id")
    view_id = None
    if container.get("type") == "view":  # the Home tab: no message; answers go to the DM
        view_id = _required(container.get("view_id") or _dict(body.get("view")).get("id"),
                            "view id")  # fmt: skip
        channel, message = channel or user_id, {}
    return InboundEvent(
        platform=Platform.SLACK,
        external_id=f"act:{user_id}:{_str(action, 'action_ts')}",
        kind=EventKind.ACTION,
        user=user_id,
        channel=_required(channel, "channel"),
        thread=_opt(message.get("thread_ts")),
        workspace=_opt(_dict(body.get("team")).get("id") or user.get("team_id")),
        is_direct=str(channel).startswith("D"),
        action_id=name,
        action_value=value,
        action_message_ref=None
        if view_id
        else _opt(container.get("message_ts") or message.get("ts")),
        action_view_ref=view_id,
        action_callback_ref=_opt(body.get("response_url")),
        user_name=_opt(user.get("username") or user.get("name")),
    )


def mentions(text: str, user_id: str) -> bool:
    return _mention(user_id).search(text) is not None


def strip_mention(text: str, user_id: str) -> str:
    """The text without `<@U…>` / `<@U…|name>` mentions of `user_id`, whitespace tidied."""
    return re.sub(r"[ \t]{2,}", " ", _mention(user_id).sub(" ", text)).strip()


# -- helpers --------------------------------------------------------------------------------
def _message(
    body: dict[str, Any],
    event: dict[str, Any],
    user: str,
    text: str,
    *,
    is_direct: bool,
    mentions_bot: bool,
) -> InboundEvent:
    shared = shared_text(event)
    return InboundEvent(
        platform=Platform.SLACK,
        external_id=_str(body, "event_id"),
        kind=EventKind.MESSAGE,
        user=user,
        channel=_str(event, "channel"),
        text="\n\n".join(part for part in (text, shared) if part),
        attachments=files_of(event),
        thread=_opt(event.get("thread_ts")),
        message_ref=_str(event, "ts"),
        workspace=_opt(body.get("team_id") or event.get("team")),
        is_direct=is_direct,
        mentions_bot=mentions_bot,
    )


def _digest(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, default=str).encode()
    return "h" + hashlib.sha256(text).hexdigest()[:40]


def _mention(user_id: str) -> re.Pattern[str]:
    return re.compile(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>")


def inner_event(body: dict[str, Any]) -> dict[str, Any]:
    """The `event` of an event_callback; Malformed without one."""
    return _inner(body)


def _inner(body: dict[str, Any]) -> dict[str, Any]:
    event = body.get("event")
    if not isinstance(event, dict):
        raise Malformed("event_callback without an event")
    return event


def _text(event: dict[str, Any]) -> str:
    text = event.get("text")
    return text if isinstance(text, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(data: dict[str, Any], name: str) -> str:
    return _required(data.get(name), name)


def _required(value: Any, name: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise Malformed(f"missing {name}")
    return str(value)


def _opt(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and value != "" else None
