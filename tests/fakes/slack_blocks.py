"""Block Kit limits the fake Slack enforces, so renderer bugs fail tests as they fail in Slack.

Numbers from FACTS §1.5 (slack_sdk's models and the Block Kit reference).
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_TEXT = 40_000  # chat.postMessage `text`: msg_too_long beyond
LIMITS = {
    "section_text": 3000,
    "section_fields": 10,
    "field_text": 2000,
    "header_text": 150,
    "actions_elements": 25,
    "context_elements": 10,
    "block_id": 255,
    "action_id": 255,
    "button_text": 75,
    "button_value": 2000,
}
KNOWN_TYPES = {
    "section", "header", "context", "actions", "divider", "image", "input", "rich_text",
    "markdown", "file", "video", "context_actions",
}  # fmt: skip
CONTEXT_ACTIONS = frozenset({"feedback_buttons", "icon_button"})


def block_errors(blocks: Any) -> list[str]:
    """Every limit `blocks` breaks, as Slack's `response_metadata.messages` words it."""
    if not isinstance(blocks, list):
        return ["[ERROR] blocks must be a list"]
    errors = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"[ERROR] no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    seen_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, dict) or block.get("type") not in KNOWN_TYPES:
            errors.append(f"[ERROR] unsupported type {where}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_ids:
                errors.append(f"[ERROR] duplicate block_id {where}")
            if len(block_id) > LIMITS["block_id"]:
                errors.append(f"[ERROR] block_id too long {where}")
            seen_ids.add(block_id)
        errors.extend(f"{e} {where}" for e in _check(block))
    return errors


def _check(block: dict[str, Any]) -> list[str]:
    kind = block["type"]
    if kind == "section":
        return _check_section(block)
    if kind == "header":
        text = block.get("text") or {}
        if text.get("type") != "plain_text":
            return ["[ERROR] header text must be plain_text"]
        return _too_long(text.get("text", ""), LIMITS["header_text"], "text")
    if kind == "actions":
        return _check_actions(block.get("elements") or [])
    if kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > LIMITS["context_elements"]:
            return ["[ERROR] context needs 1 to 10 elements"]
    if kind == "context_actions":
        return _check_context_actions(block.get("elements") or [])
    return []


def _check_context_actions(elements: list[Any]) -> list[str]:
    """1 to 5 feedback_buttons / icon_button elements; feedback needs both buttons' values."""
    if not 0 < len(elements) <= 5:
        return ["[ERROR] context_actions needs 1 to 5 elements"]
    for element in elements:
        if not isinstance(element, dict) or element.get("type") not in CONTEXT_ACTIONS:
            return ["[ERROR] unsupported context_actions element"]
        if len(str(element.get("action_id") or "")) > LIMITS["action_id"]:
            return ["[ERROR] action_id too long"]
        if element["type"] == "feedback_buttons" and not all(
            isinstance(element.get(b), dict) and element[b].get("value")
            for b in ("positive_button", "negative_button")
        ):
            return ["[ERROR] feedback_buttons need a positive and a negative button"]
    return []


def _check_section(block: dict[str, Any]) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if not text and not fields:
        return ["[ERROR] section needs text or fields"]
    errors = []
    if text:
        errors += _too_long(text.get("text", ""), LIMITS["section_text"], "text")
        if not text.get("text"):
            errors.append("[ERROR] must be more than 0 characters [text]")
    if fields:
        if len(fields) > LIMITS["section_fields"]:
            errors.append("[ERROR] no more than 10 items allowed [fields]")
        for field in fields:
            errors += _too_long(field.get("text", ""), LIMITS["field_text"], "fields")
    return errors


def _check_actions(elements: list[dict[str, Any]]) -> list[str]:
    errors = []
    if not elements or len(elements) > LIMITS["actions_elements"]:
        errors.append("[ERROR] actions needs 1 to 25 elements")
    action_ids: set[str] = set()
    for element in elements:
        action_id = element.get("action_id", "")
        if action_id in action_ids:
            errors.append(f"[ERROR] duplicate action_id {action_id!r}")
        action_ids.add(action_id)
        errors += _too_long(action_id, LIMITS["action_id"], "action_id")
        if element.get("type") == "button":
            errors += _too_long((element.get("text") or {}).get("text", ""), 75, "text")
            errors += _too_long(element.get("value", ""), LIMITS["button_value"], "value")
            if element.get("style") not in (None, "primary", "danger"):
                errors.append("[ERROR] style must be primary or danger")
    return errors


def _too_long(text: str, limit: int, name: str) -> list[str]:
    if len(text) > limit:
        return [f"[ERROR] must be less than {limit + 1} characters [{name}]"]
    return []
