"""The bounded tool loop: call, run the tools, call again — until a reply or a limit.

Limits, each with its own `stop`: the charter's `max_tool_iterations` (model calls per turn),
its `job_timeout_seconds` (a deadline for the whole loop), the monthly budget (checked before
every call), a refusal, and an answer cut at `max_tokens` (its tool calls are not run: a cut
call's input is incomplete). `pause_turn` continues the turn with the paused content.

After every completed tool step the loop hands a `Checkpoint` (the conversation so far and
what it cost) to `save`; a retry of the turn starts from it instead of from the first call,
so the calls already made are neither repeated nor paid twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
from anthropic.types import Message

from domains.agent import llm, texts
from domains.agent.files import FILE_BLOCKS
from domains.agent.prompt import CACHE, worth_caching
from domains.agent.toolbox import Toolbox
from orchestrator.db import Database

MAX_TOKENS = 4096  # room for adaptive thinking (on by default on 5.x models) and the reply
clock = time.monotonic  # the deadline's clock (tests replace it)


@dataclass
class Request:
    """The fixed part of every call in the turn."""

    model: str
    system: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    first: dict[str, Any]


@dataclass
class Checkpoint:
    """The turn after its last completed tool step (JSON in `agent_turns.data`)."""

    messages: list[dict[str, Any]]
    calls: int = 0
    cost_usd: float = 0.0
    tokens: list[dict[str, int]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "calls": self.calls, "cost_usd": self.cost_usd,
                "tokens": self.tokens}  # fmt: skip


@dataclass
class LoopResult:
    stop: str  # reply | end_turn | refusal | limit | timeout | budget | max_tokens | unavailable
    #            | misconfigured (then `setting` names what to fix)
    text: str = ""  # the model's last plain text
    calls: int = 0
    cost_usd: float = 0.0
    tokens: list[dict[str, int]] = field(default_factory=list)
    setting: str | None = None


@dataclass
class Loop:
    client: anthropic.Anthropic
    db: Database
    info: llm.CallInfo
    request: Request
    toolbox: Toolbox
    max_calls: int
    deadline: float  # a `clock()` value
    allows: Callable[[], bool]  # the budget: may one more call start?
    save: Callable[[Checkpoint], None] = lambda _: None
    resume: Checkpoint | None = None
    progress: Callable[[str], None] = lambda _: None  # a status line per tool step, best effort
    answer: Callable[[str], None] | None = None  # the answer so far, while it streams
    arm: Callable[[], None] = lambda: None  # before each call (the slow-model timer) ...
    started: Callable[[], None] = lambda: None  # ... and once the API began to answer it

    def run(self) -> LoopResult:
        result = LoopResult(stop="limit")
        messages = [self.request.first]
        if self.resume is not None:  # the saved turn, with the files fetched anew
            first, *rest = self.resume.messages
            messages = [with_files_of(first, self.request.first), *rest]
            result.calls, result.cost_usd = self.resume.calls, self.resume.cost_usd
            result.tokens = list(self.resume.tokens)
        while result.calls < self.max_calls:
            if not self.allows():
                result.stop = "budget"
                return result
            remaining = self.deadline - clock()
            if remaining <= 0:
                result.stop = "timeout"
                return result
            message = self._call(messages, remaining, result)
            if message.stop_reason == "pause_turn":
                messages = [*messages, _assistant(message)]
                continue
            if self._finished(message, result):
                return result
            results = self._results(message)
            if self.toolbox.effects.reply is not None:
                result.stop = "reply"
                return result
            messages = _drop_cache_marks(messages)
            messages += [_assistant(message), results]
            if worth_caching(self.request.model, self.request.tools, self.request.system, messages):
                results["content"][-1]["cache_control"] = CACHE
            kept = [text_only(messages[0]), *messages[1:]]  # no file bytes in the database
            self.save(Checkpoint(kept, result.calls, result.cost_usd, list(result.tokens)))
        return result

    def _call(
        self, messages: list[dict[str, Any]], remaining: float, result: LoopResult
    ) -> Message:
        self.arm()
        message, cost = llm.call(
            self.client,
            self.db,
            self.info,
            timeout=remaining,
            on_text=self.answer,
            on_start=self.started,
            model=self.request.model,
            max_tokens=MAX_TOKENS,
            system=self.request.system,
            tools=self.request.tools,
            messages=messages,
        )
        result.calls += 1
        result.cost_usd += cost
        result.tokens.append(llm.tokens_of(message).as_json())
        return message

    def _finished(self, message: Message, result: LoopResult) -> bool:
        result.text = "\n".join(b.text for b in message.content if b.type == "text").strip()
        if message.stop_reason in ("refusal", "max_tokens"):
            result.stop = str(message.stop_reason)
            return True
        if not any(b.type == "tool_use" for b in message.content):
            result.stop = "end_turn"
            return True
        return False

    def _results(self, message: Message) -> dict[str, Any]:
        """Run every tool call of the message; the tool_result blocks, last one cached."""
        blocks = []
        for block in message.content:
            if block.type != "tool_use":
                continue
            self.progress(texts.step(block.name))
            content, is_error = self.toolbox.run(block.name, block.input, block.id)
            blocks.append(
                {
                    "type": "tool_result",
                    "tool_use_id": block.id,
                    "content": content,
                    "is_error": is_error,
                }  # fmt: skip
            )
        return {"role": "user", "content": blocks}


def _assistant(message: Message) -> dict[str, Any]:
    """The assistant turn as request params (only the block types we send back)."""
    content: list[dict[str, Any]] = []
    for b in message.content:
        if b.type == "text" and b.text:
            content.append({"type": "text", "text": b.text})
        elif b.type == "tool_use":
            content.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
        elif b.type in ("thinking", "redacted_thinking"):
            content.append(b.model_dump(exclude_none=True))
    return {"role": "assistant", "content": content}


def text_only(message: dict[str, Any]) -> dict[str, Any]:
    """The user turn without its image and document blocks (what a checkpoint keeps)."""
    content = [b for b in message["content"] if b.get("type") not in FILE_BLOCKS]
    return {**message, "content": content}


def with_files_of(saved: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's user turn with the file blocks of `fresh` back after its context."""
    files = [b for b in fresh["content"] if b.get("type") in FILE_BLOCKS]
    saved = text_only(saved)
    if not files:
        return saved
    context, *rest = saved["content"]
    return {**saved, "content": [context, *files, *rest]}


def _drop_cache_marks(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the cache breakpoints at most four: drop those on earlier tool results."""
    for message in messages[1:]:
        for block in message["content"]:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                block.pop("cache_control", None)
    return messages


def replay(toolbox: Toolbox, messages: list[dict[str, Any]]) -> None:
    """Run a checkpoint's tool calls again on a fresh toolbox: its effects, no model call."""
    for message in messages:
        if message["role"] != "assistant":
            continue
        for block in message["content"]:
            if block.get("type") == "tool_use":
                toolbox.run(block["name"], block["input"], block.get("id"))
