"""The installed SDKs have what the code calls (pyproject.toml's lower bounds are honest)."""

from __future__ import annotations

import anthropic
from anthropic.types import CacheCreation, Message, Usage


def test_the_anthropic_sdk_has_every_name_the_agent_uses():
    """anthropic>=0.73: transform_schema (tools.py) first appears in 0.73.0; 0.72.1 lacks it."""
    used = ("Anthropic", "APIConnectionError", "RateLimitError", "APIStatusError")
    assert [name for name in (*used, "transform_schema") if not hasattr(anthropic, name)] == []
    assert {"cache_creation", "cache_creation_input_tokens"} <= set(Usage.model_fields)
    assert "ephemeral_1h_input_tokens" in CacheCreation.model_fields
    assert "stop_reason" in Message.model_fields
