"""FakeAnthropic: a local Messages API server the real anthropic SDK talks to.

with FakeAnthropic() as api:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.origin)
    api.tools(("update_status", {"phase": "Booking"}))   # first answer: one tool call
    api.text("Done — phase set.")                          # second answer
    ...
    assert api.requests()[0]["system"][0]["cache_control"] == {"type": "ephemeral"}

Answers are served in the order scripted; when none is left, a plain text answer. Failures
(`fail`, `rate_limited`, `overloaded`) come before answers (`fail_in_order` puts one among them) and carry `retry-after-ms: 1`, so
the SDK's own retries do not wait. Usage is computed from the request: a request whose
`tools` + `system` carry a `cache_control` breakpoint writes that prefix to the cache the
first time and reads it afterwards, like the real API.

A request with `"stream": true` is answered with server-sent events, as the real API streams:
`message_start`, then per content block `content_block_start`, its deltas (`text_delta` in
pieces of a few words, `input_json_delta` in pieces of the tool input's JSON, `thinking_delta`
and `signature_delta`) and `content_block_stop`, then `message_delta` (stop reason, output
tokens) and `message_stop`. `pause(after=n, seconds=s)` makes the last scripted answer stop for
`s` seconds after its `n`-th event (a model that hangs mid-answer; a killed worker's stream);
`pace(s)` sends its events `s` seconds apart (a model writing at its own speed).
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http import FakeHTTPServer, Reply

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class Answer:
    content: list[dict[str, Any]]
    stop_reason: str = "end_turn"
    usage: dict[str, int] | None = None  # overrides the computed usage
    model: str | None = None
    status: int = 200  # an error in the scripted order (`fail_in_order`)
    pause_after: int = -1  # streamed: stop after this many events ...
    pause: float = 0.0  # ... for this many seconds
    gap: float = 0.0  # streamed: seconds between events


@dataclass
class _Cache:
    seen: set[str] = field(default_factory=set)


class FakeAnthropic(FakeHTTPServer):
    """Messages API stand-in: scripted answers, scripted failures, recorded requests."""

    def __init__(self, default_text: str = "Noted.") -> None:
        super().__init__()
        self.default_text = default_text
        self._answers: deque[Answer] = deque()
        self._ids = itertools.count(1)
        self._cache = _Cache()

    # scripting ---------------------------------------------------------------------------
    def text(self, text: str, *, stop_reason: str = "end_turn", **usage: int) -> None:
        content = [{"type": "text", "text": text}] if text else []
        self._answers.append(Answer(content, stop_reason, usage or None))

    def tools(
        self, *calls: tuple[str, Any], text: str = "", thinking: str = "",
        stop_reason: str = "tool_use", **usage: int,
    ) -> None:  # fmt: skip
        """One answer with these tool calls (name, input), after some thinking and text."""
        content: list[dict[str, Any]] = []
        if thinking:
            content.append({"type": "thinking", "thinking": thinking, "signature": "sig-1"})
        if text:
            content.append({"type": "text", "text": text})
        for name, tool_input in calls:
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{next(self._ids):04d}",
                    "name": name,
                    "input": tool_input,
                }  # fmt: skip
            )
        self._answers.append(Answer(content, stop_reason, usage or None))

    def refusal(self) -> None:
        self._answers.append(Answer([], "refusal"))

    def empty(self) -> None:
        self._answers.append(Answer([], "end_turn"))

    def pause(self, *, after: int, seconds: float) -> None:
        """The last scripted answer, when streamed, stops `seconds` after `after` events."""
        with self._lock:
            self._answers[-1].pause_after, self._answers[-1].pause = after, seconds

    def pace(self, seconds: float) -> None:
        """The last scripted answer, when streamed, sends its events `seconds` apart."""
        with self._lock:
            self._answers[-1].gap = seconds

    def fail(
        self, status: int, times: int = 1, *, retry_after_ms: int = 1,
        retry_after: int | None = None,
    ) -> None:  # fmt: skip
        """`times` answers of `status`; `retry_after` (seconds) replaces the short default."""
        body = {
            "type": "error",
            "error": {
                "type": ERROR_TYPES.get(status, "api_error"),
                "message": f"scripted {status}",
            },
        }
        headers = {"retry-after-ms": str(retry_after_ms)}
        if retry_after is not None:
            headers = {"retry-after": str(retry_after)}
        self._script("messages", Reply(body, status=status, headers=headers), times)

    def fail_in_order(self, status: int, times: int = 1) -> None:
        """Like `fail`, but in the order of the scripted answers: after those scripted so far."""
        self._answers.extend(Answer([], status=status) for _ in range(times))

    def rate_limited(self, times: int = 1) -> None:
        self.fail(429, times)

    def overloaded(self, times: int = 1) -> None:
        self.fail(529, times)

    @property
    def pending(self) -> int:
        """Scripted answers not served yet."""
        with self._lock:
            return len(self._answers)

    # inspection --------------------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        """The bodies of the Messages calls that were answered 200, oldest first."""
        return [c.params for c in self.calls("messages") if c.status == 200]

    # serving -----------------------------------------------------------------------------
    def _route(self, path: str) -> str | None:
        return {"/v1/messages": "messages"}.get(path.rstrip("/"))

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        if not (headers.get("x-api-key") or headers.get("authorization", "").startswith("Bearer ")):
            return Reply({"type": "error", "error": {"type": "authentication_error",
                                                     "message": "no key"}}, status=401)  # fmt: skip
        answer = self._answers.popleft() if self._answers else self._default()
        if answer.status != 200:
            error = {"type": ERROR_TYPES.get(answer.status, "api_error"),
                     "message": f"scripted {answer.status}"}  # fmt: skip
            return Reply({"type": "error", "error": error}, status=answer.status,
                         headers={"retry-after-ms": "1"})  # fmt: skip
        message = {
            "id": f"msg_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": answer.model or params.get("model", "claude-test"),
            "content": answer.content,
            "stop_reason": answer.stop_reason,
            "stop_sequence": None,
            "usage": answer.usage or self._usage(params, answer),
        }
        if not params.get("stream"):
            return Reply(message)
        events = tuple(sse_events(message))
        return Reply(message, events=events, pause_after=answer.pause_after, pause=answer.pause,
                     gap=answer.gap)  # fmt: skip

    def _default(self) -> Answer:
        return Answer([{"type": "text", "text": self.default_text}])

    def _usage(self, params: dict[str, Any], answer: Answer) -> dict[str, int]:
        """Tokens ≈ characters / 4; the cached prefix is `tools` + `system` when marked."""
        total = max(1, len(json.dumps(params)) // 4)
        prefix = json.dumps([params.get("tools"), params.get("system")], sort_keys=True)
        cached = 0
        read = write = 0
        if "cache_control" in prefix:
            cached = len(prefix) // 4
            if prefix in self._cache.seen:
                read = cached
            else:
                write = cached
                self._cache.seen.add(prefix)
        output = max(1, len(json.dumps(answer.content)) // 4)
        return {
            "input_tokens": max(1, total - cached),
            "output_tokens": output,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
        }


PIECE = 12  # characters of text or tool JSON per delta


def sse_events(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The real API's stream of one message: start, blocks with their deltas, delta, stop."""
    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None,
             "usage": {**usage, "output_tokens": 1}}  # fmt: skip
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for index, block in enumerate(message["content"]):
        events += _block_events(index, block)
    events.append((
        "message_delta",
        {"type": "message_delta", "usage": {"output_tokens": usage["output_tokens"]},
         "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None}},
    ))  # fmt: skip
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _block_events(index: int, block: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    kind = block["type"]
    if kind == "text":
        empty, deltas = (
            {"type": "text", "text": ""},
            [{"type": "text_delta", "text": p} for p in _pieces(block["text"])],
        )
    elif kind == "tool_use":
        empty = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p}
                  for p in _pieces(json.dumps(block["input"]))]  # fmt: skip
    elif kind == "thinking":
        empty = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        empty, deltas = block, []
    out: list[tuple[str, dict[str, Any]]] = [
        ("content_block_start",
         {"type": "content_block_start", "index": index, "content_block": empty})
    ]  # fmt: skip
    out += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
            for d in deltas]  # fmt: skip
    out.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return out


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)]
