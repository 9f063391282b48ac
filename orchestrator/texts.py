"""What the orchestrator says to people: one place for tone and wording."""

from __future__ import annotations

HELP = """*ParallelOS* runs each area of your life as a domain with its own channel.
• Message me anywhere and I route it to the right domain.
• In a domain's channel, status lines update its doc: `Phase:`, `Sprint:`, `Decision:`, `Next: a; b; c`, `Blocker:`, `KPI name: value`, `Headline: green|yellow|red text`, `Ask <domain> [high|normal|low]: …`, `Propose: …`.
Commands: `help`, `board`, `status <domain>`, `inbox [domain]`, `brief <name>`, `approvals`, `domains`."""


def routed(domain: str, reason: str) -> str:
    return f"→ *{domain}*: {reason}"


def mirrored(who: str, where: str, text: str) -> str:
    return f"*{who}* ({where}):\n{text}"


def declined(reason: str) -> str:
    return f"I can't take this one. {reason}"


def unsure(candidates: list[str]) -> str:
    names = ", ".join(candidates) if candidates else "any domain"
    return f"I'm not sure where this belongs ({names}). Which domain should take it?"


def chosen(domain: str) -> str:
    return f"Got it — *{domain}* takes this one."


def unknown_command(name: str) -> str:
    return f"I don't know the command `{name}`. Try `help`."


def unknown_domain(name: str, known: list[str]) -> str:
    return f"`{name}` is not a domain. Domains: {', '.join(known)}."


def noted(domain: str) -> str:
    return (
        f"Noted for *{domain}*. Status lines such as `Next: …` or `Blocker: …` update its doc; "
        "without a language model I keep free text as a note."
    )


def stale_action() -> str:
    return "That button is no longer active."


def coming_soon(what: str) -> str:
    return f"`{what}` lines are understood, but the inbox and approvals are not switched on yet."


def status_usage(known: list[str]) -> str:
    return f"Usage: `status <domain>`. Domains: {', '.join(known)}."
