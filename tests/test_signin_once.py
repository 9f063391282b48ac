"""A sign-in link is used once even when two presses race (PostgreSQL, two connections)."""

from __future__ import annotations

import threading

from orchestrator.signin import LinkState, WebSession, redeem_link
from tests.signin_support import ask_for_link, signin_services


def test_two_presses_at_once_open_one_session(pg_db):
    """Both redemptions start together; exactly one gets a session, the other is told used."""
    svc, sender = signin_services(pg_db)
    token = ask_for_link(pg_db, sender).removeprefix("/login/")
    start, results = threading.Barrier(2), []

    def press() -> None:
        with pg_db.session() as s:
            start.wait(timeout=10)
            results.append(redeem_link(s, token, svc.settings.is_operator))

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    opened = [r for r in results if isinstance(r, WebSession)]
    assert len(opened) == 1 and results.count(LinkState.USED) == 1
