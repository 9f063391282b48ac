"""What a model call costs: a price table by model family, and the cost of one call's usage.

An ESTIMATE for budgets and reports, not an invoice. Prices in USD per million tokens, from
Anthropic's pricing page (platform.claude.com/docs/en/about-claude/pricing, "Model pricing"
and "Prompt caching"), as quoted in public copies read in November 2026; FACTS.md §6 gives
the multipliers: 5-minute cache writes 1.25× base input, 1-hour writes 2×, cache reads 0.1×
(0.05× for the 5.5 generation). Batch, US-only inference and long-prompt tiers are ignored.
An unknown model is priced at the highest known rate (family "unknown").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRICES_AS_OF = "2026-11"
PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    """USD per million tokens for one model family."""

    family: str
    input: float
    output: float
    cache_read_ratio: float = 0.1

    @property
    def cache_write_5m(self) -> float:
        return self.input * 1.25

    @property
    def cache_write_1h(self) -> float:
        return self.input * 2.0

    @property
    def cache_read(self) -> float:
        return self.input * self.cache_read_ratio


# First match wins: specific generations before the generic family. Every id the installed
# SDK lists (`anthropic.types.Model`) matches a row; tests/test_agent_prices.py checks that.
# Fable 5.1/5.2 (and Mythos, "same specifications and pricing") read the cache at 0.025x.
_TABLE: tuple[tuple[str, Price], ...] = (
    (r"(fable|mythos)-5-2", Price("fable-5.2", 8.0, 40.0, 0.025)),
    (r"(fable|mythos)-5-1", Price("fable-5.1", 10.0, 50.0, 0.025)),
    (r"(fable|mythos)-5", Price("fable-5", 10.0, 50.0)),
    # No published price read for the Mythos preview: the highest rate known (Opus 4).
    (r"mythos-preview", Price("mythos-preview", 15.0, 75.0)),
    (r"opus-5-5", Price("opus-5.5", 4.0, 20.0, 0.05)),
    (r"opus-(4-[5-9]|5)", Price("opus-4.5+", 5.0, 25.0)),
    (r"opus", Price("opus-4", 15.0, 75.0)),
    (r"sonnet-5-5", Price("sonnet-5.5", 2.0, 10.0, 0.05)),
    (r"sonnet-5", Price("sonnet-5", 2.0, 10.0)),
    (r"sonnet", Price("sonnet-4", 3.0, 15.0)),
    (r"haiku-5", Price("haiku-5.5", 0.10, 0.50)),
    (r"haiku-3-5|3-5-haiku", Price("haiku-3.5", 0.80, 4.0)),
    (r"haiku", Price("haiku-4.5", 1.0, 5.0)),
)
# An id no row matches (a preview, a new family) is priced at the highest known rate, so a
# budget is never looser than it should be; `doctor`-style checks can name PARALLELOS_MODEL.
_HIGHEST = max((p for _, p in _TABLE), key=lambda p: (p.output, p.input))
UNKNOWN = Price("unknown", _HIGHEST.input, _HIGHEST.output)

# The shortest prefix the API caches (tokens): below it a breakpoint does nothing (no error,
# no cost). The docs give 4096 for Opus 4.5+ and Haiku 4.5, 1024 for Sonnet 4.x and Opus
# 4/4.1. For families not read yet the smallest known minimum is assumed: a breakpoint set
# too early only does nothing, while one left out would forgo every cache read.
_MIN_CACHE = ((r"opus-4-[5-9]|haiku-4-5", 4096),)
MIN_CACHE_DEFAULT = 1024


def min_cache_tokens(model: str) -> int:
    name = model.lower()
    return next((n for pattern, n in _MIN_CACHE if re.search(pattern, name)), MIN_CACHE_DEFAULT)


def price_for(model: str) -> Price:
    """The price of a model id (`claude-sonnet-4-5-20250929`, `claude-haiku-4-5`, ...)."""
    name = model.lower()
    return next((price for pattern, price in _TABLE if re.search(pattern, name)), UNKNOWN)


def is_known(model: str) -> bool:
    return price_for(model) is not UNKNOWN


@dataclass(frozen=True)
class Tokens:
    """One call's usage, from the response's `usage` fields."""

    input: int = 0  # not cached (after the last cache breakpoint)
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def prompt(self) -> int:
        """All input tokens: total = cache read + cache write + uncached input (FACTS §6)."""
        return self.input + self.cache_read + self.cache_write

    def as_json(self) -> dict[str, int]:
        return {
            "input_tokens": self.input,
            "output_tokens": self.output,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation_input_tokens": self.cache_write,
            "cache_creation_1h_input_tokens": self.cache_write_1h,
        }


def cost_usd(model: str, tokens: Tokens) -> float:
    """The estimated cost of one call, in USD."""
    p = price_for(model)
    total = (
        tokens.input * p.input
        + tokens.output * p.output
        + tokens.cache_read * p.cache_read
        + tokens.cache_write_5m * p.cache_write_5m
        + tokens.cache_write_1h * p.cache_write_1h
    )
    return round(total / PER_MILLION, 8)
