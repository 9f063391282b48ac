"""The small pages of signing in: the link's confirmation, and why a link cannot be used.

Opening a link shows a Sign in button rather than signing in at once: link previews (Telegram
fetches links it shows) would otherwise use the one-time link before the operator does, and a
`SameSite=Strict` cookie set on a page reached from Slack or Telegram would not be sent on the
redirect that follows. Pressing the button is a request from this page, so the cookie holds.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from orchestrator.signin import LINK_TTL, LinkState

__all__ = ["refusal_page"]

MINUTES = int(LINK_TTL.total_seconds() // 60)
NEW_LINK = "Send <code>login</code> to the bot (Slack: <code>/pos login</code>) for a new one."
WHY = {
    LinkState.USED: (410, "This sign-in link has already been used. " + NEW_LINK),
    LinkState.EXPIRED: (
        410,
        f"This sign-in link has expired (links work for {MINUTES} minutes). " + NEW_LINK,
    ),  # fmt: skip
    LinkState.UNKNOWN: (404, "This is not a sign-in link. " + NEW_LINK),
    LinkState.REFUSED: (403, "This link belongs to someone who is no longer an operator."),
}
NO_OPERATORS = (
    "Signing in from elsewhere is off: no operators are configured (PARALLELOS_OPERATORS). "
    "The dashboard is open on the machine it runs on."
)
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:10vh auto;padding:0 1rem;"
    "color:#1d1c1d}button{font-size:16px;padding:.6rem 1.4rem;border-radius:6px;border:0;"
    "background:#1164a3;color:#fff;cursor:pointer}"
)


def _page(status: int, heading: str, body: str) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading} — ParallelOS</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{heading}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def refusal_page(state: LinkState | None) -> HTMLResponse:
    """Why the link cannot sign anyone in; `None`: no operators are configured."""
    status, text = (403, NO_OPERATORS) if state is None else WHY[state]
    return _page(status, "Cannot sign in", f"<p>{text}</p>")
