"""One streamed Messages API call, and the answer it has given so far.

`stream_once` runs `client.messages.stream` and feeds every event to an `Answer`, which keeps
the text the user should see while the model writes: the `text` of a `reply` tool call as its
JSON arrives (parsed with jiter's `trailing-strings` mode, so a half-written string shows), or
else the message's plain text. `on_text` gets the whole answer so far whenever it grows; what
the user finally sees is still the turn's one durable post (`domains.agent.finish`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import jiter
from anthropic.types import Message

__all__ = ["Answer", "stream_once"]

REPLY_TOOL = "reply"
CONNECT_TIMEOUT = 3.0  # seconds: an unreachable API is known quickly (issue 11, point 8)


class Answer:
    """The visible answer of one model call, rebuilt from its stream events."""

    def __init__(self, on_text: Callable[[str], None]) -> None:
        self.on_text = on_text
        self.texts: dict[int, str] = {}  # plain text blocks by index
        self.reply: dict[int, bytes] = {}  # `reply` tool input JSON by index
        self.shown = ""

    def feed(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "content_block_start":
            block = event.content_block
            if block.type == "tool_use" and block.name == REPLY_TOOL:
                self.reply[event.index] = b""
        elif kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                self.texts[event.index] = self.texts.get(event.index, "") + delta.text
            elif delta.type == "input_json_delta" and event.index in self.reply:
                self.reply[event.index] += delta.partial_json.encode()
            else:
                return
            self._show()

    def text(self) -> str:
        """The reply tool's text when the model is writing one, else its plain text."""
        for raw in reversed(self.reply.values()):
            if not raw:
                continue
            try:
                parsed = jiter.from_json(raw, partial_mode="trailing-strings")
            except ValueError:
                continue
            if isinstance(parsed, dict) and isinstance(parsed.get("text"), str):
                return str(parsed["text"])
        return "\n".join(self.texts[i] for i in sorted(self.texts)).strip()

    def _show(self) -> None:
        text = self.text()
        if text and text != self.shown:
            self.shown = text
            self.on_text(text)


def stream_once(
    client: anthropic.Anthropic,
    request: dict[str, Any],
    seconds: float,
    *,
    on_text: Callable[[str], None],
    on_start: Callable[[], None] = lambda: None,
) -> Message:
    """One try, streamed, without the SDK's own retries (the caller owns the schedule)."""
    timeout = anthropic.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds))
    answer = Answer(on_text)
    once = client.with_options(max_retries=0)
    with once.messages.stream(**request, timeout=timeout) as stream:
        on_start()
        for event in stream:
            answer.feed(event)
        return stream.get_final_message()
