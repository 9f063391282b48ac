"""What the orchestrator says to people: one place for tone and wording."""

from __future__ import annotations

HELP = """*ParallelOS* runs each area of your life as a domain with its own channel.
• Message me anywhere and I route it to the right domain.
• In a domain's channel, status lines update its doc: `Phase:`, `Sprint:`, `Decision:`, `Next: a; b; c`, `Blocker:`, `KPI name: value`, `Headline: green|yellow|red text`, `Ask <domain> [high|normal|low]: … -- context to share`, `Propose: …` (an operator's click decides), `Remind <when>: …` (e.g. `Remind friday 17:00: call the consulate`).
Commands: `help`, `board`, `status <domain> [history]`, `inbox [domain]`, `brief <name>`, `approvals`, `domains`, `reminders [domain]`, `memory <domain>`, `charter <domain>`, `login` (a sign-in link for the dashboard, sent to your DM)."""


def routed(domain: str, reason: str) -> str:
    return f"→ *{domain}*: {reason}"


def answered_for(domain: str, copy_at: str | None) -> str:
    """The title of an answer given where it was asked (plain text: Slack shows it as a header)."""
    return f"→ {domain} · copy in {copy_at}" if copy_at else f"→ {domain}"


def mirrored(who: str, where: str, text: str) -> str:
    return f"*{who}* ({where}):\n{text}"


def declined(reason: str) -> str:
    return f"I can't take this one. {reason}"


def unsure(candidates: list[str]) -> str:
    names = ", ".join(candidates) if candidates else "any domain"
    return f"I'm not sure where this belongs ({names}). Which domain should take it?"


def files_wait(files: str) -> str:
    return f"I kept {files}; it goes with the message to the domain you pick."


def chosen(domain: str) -> str:
    return f"Got it — *{domain}* takes this one."


def unknown_command(name: str) -> str:
    return f"I don't know the command `{name}`. Try `help`."


def unknown_domain(name: str, known: list[str]) -> str:
    return f"`{name}` is not a domain. Domains: {', '.join(known)}."


def domain_gone(name: str, known: list[str]) -> str:
    """The answer in a removed domain's channel (its charter file is gone)."""
    return (
        f"The *{name}* domain no longer exists (its charter file was removed), so nothing "
        "said here is handled. Write to me in a direct message and I route it; "
        f"the domains now are: {', '.join(known)}."
    )


def noted(domain: str) -> str:
    return (
        f"Noted for *{domain}*. Status lines such as `Next: …` or `Blocker: …` update its doc; "
        "without a language model I keep free text as a note."
    )


def answered_in(domain: str) -> str:
    return f"Answered in the {domain} topic: a domain's state stays in its own place."


def stale_action() -> str:
    return "That button is no longer active."


def status_usage(known: list[str]) -> str:
    return f"Usage: `status <domain>` or `status <domain> history`. Domains: {', '.join(known)}."


# -- cross-domain inbox ---------------------------------------------------------------------
INBOX_EMPTY = "Nothing open in the inbox."
CONTEXT_HINT = "Only the ask was shared; put context to share after ` -- ` on the Ask line."


def ask_own_domain(domain: str) -> str:
    return (
        f"`Ask {domain}` was not sent: an ask goes to another domain's inbox. "
        f"For *{domain}*'s own to-dos use `Next:`."
    )


def ask_sent(to_domain: str, priority: str, entry_id: int, shared_context: bool) -> str:
    line = f"Asked *{to_domain}* ({priority}): inbox #{entry_id}."
    return line if shared_context else f"{line} {CONTEXT_HINT}"


def privacy_note(from_domain: str, shared_context: bool, other_lines: int) -> str:
    shared = "the ask and the context it chose to share" if shared_context else "only the ask"
    withheld = f"{from_domain}'s status doc"
    if other_lines:
        withheld += f" and {other_lines} other line{'s' if other_lines > 1 else ''} of its message"
    return f"{from_domain} shared {shared}; withheld: {withheld}."


def inbox_card_title(from_domain: str, to_domain: str) -> str:
    return f"Ask from {from_domain} → {to_domain}"


def inbox_cannot(status: str, wanted: str) -> str:
    if status in ("done", "declined"):
        return f"This ask is already {status}. Nothing changed."
    if wanted == "done":
        return "Accept this ask first, then mark it done. Nothing changed."
    return f"This ask is already {status}. Nothing changed."


def ask_finished(entry_id: int, to_domain: str, status: str, title: str, who: str) -> str:
    verb = "did" if status == "done" else "declined"
    return f"*{to_domain}* {verb} your ask #{entry_id}: “{title}” ({who})."


def inbox_heading(domain: str | None) -> str:
    return f"Inbox · {domain}" if domain else "Inbox"


# -- approvals --------------------------------------------------------------------------------
APPROVALS_EMPTY = "No approvals waiting."
NOT_OPERATOR = "Only an operator can decide this. Nothing changed."
NOT_OPERATOR_RETRY = "Only an operator can retry a delivery. Nothing changed."


def proposed(public_id: str, days: int) -> str:
    return (
        f"Proposed as approval `{public_id}`: it waits for an operator's click "
        f"(expires in {days} day{'s' if days != 1 else ''})."
    )


def approval_title(status: str, domain: str, delivery_failed: bool = False) -> str:
    if delivery_failed:
        return f"Approved, delivery failed · {domain}"
    heads = {"pending": "Approval needed", "approved": "Approved", "rejected": "Rejected"}
    return f"{heads.get(status, 'Expired')} · {domain}"


def decided_line(status: str, who: str, when: str) -> str:
    return f"{status.capitalize()} by {who} at {when}"


def expired_line(when: str) -> str:
    return f"Expired at {when}: nobody decided in time"


def already_decided(status: str, who: str | None, when: str | None) -> str:
    if status == "expired":
        return f"This approval expired at {when}. Nothing changed."
    return f"Already {status} by {who} at {when}. Nothing changed."


def approval_effect(domain: str, host: str | None, body: str | None) -> str:
    """What approving will do, on the pending card."""
    decision = f"It becomes *{domain}*'s latest decision"
    if host is None or body is None:
        return f"{decision}. Nothing is sent outside: `ACTION_WEBHOOK_URL` is not set."
    return f"{decision}, then it is POSTed to `{host}` as signed JSON: `{body}`"


def delivery_line(status: str, host: str | None, attempts: int, detail: str | None) -> str:
    """The action webhook's result on the card: sending, retrying (after what), sent, failed."""
    where = f" at {host}" if host else ""
    tries = f"attempt {attempts}" if attempts == 1 else f"{attempts} attempts"
    if status == "delivered":
        return f"sent to the action webhook{where}: {detail or 'OK'} ({tries})"
    if status == "failed":
        return f"delivery to the action webhook{where} failed: {detail or 'unknown'} ({tries})"
    if attempts and detail:  # a passing failure, retried with backoff
        return f"attempt {attempts} got {detail}; sending again to the action webhook{where}…"
    return f"sending to the action webhook{where}…"


def delivery_failed(domain: str, public_id: str, action: str, error: str) -> str:
    return (
        f"Approved action `{public_id}` for *{domain}* could not be delivered to the action "
        f"webhook ({error}): “{action}”. An operator can press Retry on its card."
    )


def cannot_retry() -> str:
    return "This delivery is not waiting for a retry. Nothing changed."


def approval_line(domain: str, public_id: str, action: str, age: str, expires: str) -> str:
    return f"• *{domain}* `{public_id}` — {action} (proposed {age} ago; expires in {expires})"


def failed_delivery_line(domain: str, public_id: str, action: str) -> str:
    return f"• *{domain}* `{public_id}` — {action} (approved, delivery failed: Retry on its card)"


def operators_only() -> str:
    return "Only an operator can use these buttons. Nothing changed."


NO_HISTORY = "No changes yet."


def history_title(title: str) -> str:
    return f"{title} — status history (newest first, UTC)"


def history_line(when: str, actor: str, field: str, old: str, new: str) -> str:
    return f"• {when} · {actor} · {field}: {old or '—'} → {new or '—'}"


# -- provisioning (the pinned "how to use this channel" post) --------------------------------
HUB_MISSION = "Cross-domain briefs and the headline board of every domain."


def guide_title(domain: str) -> str:
    return f"How to use this channel — {domain}"


def guide(domain: str, mission: str) -> str:
    return (
        f"*{domain}*: {mission}\n"
        "Everything written here belongs to this domain. Status lines update its doc:\n"
        "• `Phase:` `Sprint:` `Decision:` `Headline: green|yellow|red …`\n"
        "• `Next: a; b; c` — `Blocker: …` (or `Blocker: none`) — `KPI name: value`\n"
        "• `Ask <domain> [high|normal|low]: …` — `Propose: …` — `Remind <when>: …`\n"
        f"Commands: `status {domain}`, `board`, `inbox {domain}`, `reminders {domain}`, "
        f"`charter {domain}`, `memory {domain}`, `help`."
    )


HUB_GUIDE = (
    "*hub*: cross-domain briefs land here (`brief weekly`), with every domain's headline.\n"
    "Message me anywhere else and I route it to the right domain's channel.\n"
    "Commands: `board`, `domains`, `inbox`, `approvals`, `brief weekly`, `help`."
)


def unsupported(what: str) -> str:
    """The answer to something sent that nothing here can use (a sticker, a location...)."""
    if what == "an edit":
        return "I do not apply edits; nothing changed. Please send the change as a new message."
    return f"I cannot use {what} here; nothing changed. Please write it as a message."


ANONYMOUS = (
    "This was posted anonymously, as the group, so I cannot tell which operator wrote it: "
    'nothing changed. Please post as yourself (turn off "Remain anonymous" in your admin '
    "rights) and send it again."
)
