"""What the versions feature says to people: CLI lines, chat answers, the report card."""

from __future__ import annotations

ROLLBACK_WHY = "rolled back to the previous version"
FILE_ACTOR = "file"


def unknown_domain(domain: str) -> str:
    return f"'{domain}' is not a domain with a recorded charter (see `parallelos charter list`)."


def no_such_version(domain: str, number: int) -> str:
    return f"{domain} has no version {number} (see `parallelos charter history {domain}`)."


def already_active(domain: str, number: int) -> str:
    return f"{domain}: version {number} is already the active version."


def nothing_to_roll_back(domain: str, number: int) -> str:
    return f"{domain}: version {number} is the only version that was ever active."


def shadow_is_active(domain: str, number: int) -> str:
    return f"{domain}: version {number} is the active version; a shadow must be another one."


def no_shadow(domain: str) -> str:
    return f"{domain}: no shadow candidate is running."


def stored_broken(domain: str, number: int, error: str) -> str:
    return f"{domain}: stored version {number} no longer loads: {error}"


def switched(domain: str, old: int | None, new: int) -> str:
    return f"{domain}: version {new} is now active (was {old})."


def shadow_started(domain: str, number: int, active: int, replaced: int | None) -> str:
    tail = f"; it replaces the shadow version {replaced}" if replaced else ""
    return (
        f"{domain}: version {number} is running as a shadow beside active version {active}{tail}."
        f" Nothing it decides is posted or applied. See `parallelos charter report {domain}`."
    )


def candidate_failed(path: str, count: int) -> str:
    return f"{path}: {count} test case(s) failed; not recorded, nothing changed."


def noted(domain: str, number: int) -> str:
    return f"{domain}: note added to version {number}."


def rejected(error: str, domain: str, active: int) -> str:
    """The hub's message when an edited charter file is kept out."""
    return (
        f"⚠️ The charter file for *{domain}* was not loaded: {error}\n"
        f"Version {active} keeps running. Fix the file; it is checked again at the next start "
        f"and by `parallelos charter list`."
    )


def chat_charter(domain: str, active: str, shadow: str | None) -> str:
    return active + ("\n" + shadow if shadow else f"\nNo shadow candidate runs for {domain}.")


def chat_usage(known: list[str]) -> str:
    return "Usage: `charter <domain>`. Domains: " + ", ".join(known)


def operators_only() -> str:
    return "Only an operator can switch a charter version."


def stale_card() -> str:
    return "That report is out of date: the shadow it describes no longer runs."


def card_activated(domain: str, number: int, who: str) -> str:
    return f"✅ {domain}: version {number} activated by {who}."


def card_stopped(domain: str, number: int, who: str) -> str:
    return f"⏹ {domain}: shadow version {number} stopped by {who}."
