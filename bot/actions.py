"""Button actions on the wire: `"<action>:<value>"`, the same string on every platform.

Slack carries it as the button's `action_id`, Telegram as its `callback_data`; the inbound
adapters turn a click back into (action, value) with `decode_action`.
"""

from __future__ import annotations

import re

SEPARATOR = ":"
_ACTION = re.compile(r"^[a-z_]{1,24}$")  # as orchestrator.canonical.Button.action


def encode_action(action: str, value: str) -> str:
    """`"approve:42"` from ("approve", "42"); ValueError for an action the model would refuse."""
    if not _ACTION.match(action):
        raise ValueError(f"button action {action!r} must match {_ACTION.pattern}")
    return f"{action}{SEPARATOR}{value}"


def decode_action(encoded: str) -> tuple[str, str]:
    """("approve", "42") from `"approve:42"`; the value may itself contain colons."""
    action, separator, value = encoded.partition(SEPARATOR)
    if not separator or not _ACTION.match(action):
        raise ValueError(f"not an encoded button action: {encoded!r}")
    return action, value
