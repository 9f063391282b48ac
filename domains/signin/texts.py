"""What the `login` command says."""

from __future__ import annotations

LINK_TITLE = "Sign in to the ParallelOS dashboard"
LOCAL = (
    "You are on this machine already: the dashboard is open to you here, no sign-in needed. "
    "`login` sends a sign-in link from Slack or Telegram."
)
NOT_OPERATOR = "Only an operator can sign in to the dashboard. Nothing was sent."
NO_PUBLIC_URL = (
    "Signing in from elsewhere needs the setting PUBLIC_URL (the address this server is "
    "reached at, e.g. https://pos.example.com). Nothing was sent."
)


def link(url: str, minutes: int) -> str:
    return (
        f"Open this link to sign in to the dashboard:\n{url}\n"
        f"It works once, within {minutes} minutes. If you did not ask for it, ignore it: "
        "nobody can use it without opening it."
    )


def sent(*, in_dm: bool, minutes: int, telegram: bool) -> str:
    if in_dm:
        return f"Your sign-in link is on its way in this chat (once, within {minutes} minutes)."
    hint = ""
    if telegram:
        hint = " If it does not arrive, open a private chat with me, press Start, and ask again."
    return (
        f"I sent you a sign-in link in a direct message (it works once, within {minutes} "
        f"minutes).{hint}"
    )
