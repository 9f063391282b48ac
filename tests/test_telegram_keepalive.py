"""The Telegram sender reuses its HTTP connections: python-telegram-bot's `HTTPXRequest` keeps
one `httpx.AsyncClient` (a connection pool) per Bot, and the sender keeps one Bot a process
(`bot.telegram_sender._BotThread`). The stand-in speaks HTTP/1.1 keep-alive and counts the
connections it accepted."""

from __future__ import annotations

from bot.telegram_sender import TelegramSender
from orchestrator.canonical import Post
from orchestrator.outbound import Destination
from tests.helpers import make_settings
from tests.telegram_support import OPERATOR, TOKEN, fake_telegram


def test_posts_reuse_the_bots_connections() -> None:
    """Ten posts (and the Bot's getMe) travel over fewer than ten connections."""
    with fake_telegram() as tg:
        sender = TelegramSender(
            make_settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.base_url)
        )
        try:
            for n in range(10):
                sender.send(Post(text=f"post {n}"), Destination(str(OPERATOR)), key=f"ev{n}:0")
        finally:
            sender.close()
        assert len(tg.calls("sendMessage")) == 10
        assert tg.connections < 10, f"{tg.connections} connections for 10 posts"
