"""What the tools say, to the model, in threads and on cards."""

from __future__ import annotations

import json
from typing import Any

MAX_ARGS_CHARS = 600


def call_line(server: str, tool: str, arguments: dict[str, Any]) -> str:
    """`notes.add_note({"name": "trip"})`: the server, the tool and its arguments, one line."""
    args = json.dumps(arguments, ensure_ascii=False, sort_keys=True)
    if len(args) > MAX_ARGS_CHARS:
        args = args[: MAX_ARGS_CHARS - 1] + "…"
    return f"{server}.{tool}({args})"


def held(line: str) -> str:
    return (
        f"{line} has an effect: it waits for an operator's Approve (a card is posted) and runs "
        "once if approved. You cannot approve it. Its result will be posted in the thread."
    )


def effect_result(line: str, text: str, is_error: bool) -> str:
    head = "failed" if is_error else "done"
    return f"Tool {head}: {line}\n{text}"


def unknown_outcome(line: str) -> str:
    return (
        f"Tool outcome unknown: {line} was started but the worker stopped during the call. "
        "It is not repeated; check the tool's own records."
    )


def capped(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    return text[:most] + f"\n[… cut: {len(text) - most} more characters]"


def result_field(status: str, size: int) -> str:
    return f"{status} ({size} characters)"
