"""The PTB `Bot` as this project builds it, and what its errors mean for delivery.

Every Bot API call goes to `TELEGRAM_API_URL` (PTB appends the token). The token is part of
every request URL, and httpx and PTB log URLs, so `hide_token` installs a filter that blanks
it out of those loggers' records before any handler sees them.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from orchestrator.outbound import PermanentFailure, RetryLater, Unconfirmed
from orchestrator.settings import Settings, SettingsError

NETWORK_RETRY = 2.0  # seconds before retrying after a network error
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_LOGGERS = (
    "httpx", "httpcore.http11", "httpcore.connection",
    "telegram", "telegram.Bot", "telegram.BaseRequest", "telegram.HTTPXRequest",
)  # fmt: skip
MASK = "<token>"
OFFICIAL_API_HOST = "api.telegram.org"  # TELEGRAM_API_URL's default host


_TOKEN_FORMAT = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def token_of(settings: Settings) -> str:
    """The bot token; SettingsError (naming the setting, not its value) when malformed."""
    if settings.telegram_bot_token is None:
        raise SettingsError("setting TELEGRAM_BOT_TOKEN is required here but not set")
    token = settings.telegram_bot_token.get_secret_value()
    if not _TOKEN_FORMAT.match(token):
        raise SettingsError(
            "setting TELEGRAM_BOT_TOKEN is invalid: should look like 123456789:AAE… (BotFather)"
        )
    return token


def is_official_api(settings: Settings) -> bool:
    """TELEGRAM_API_URL names Telegram's own Bot API (not a local Bot API server)."""
    return urlsplit(settings.telegram_api_url).hostname == OFFICIAL_API_HOST


def check_webhook_settings(settings: Settings) -> None:
    """PUBLIC_URL must be https for the official Bot API (a local Bot API server also takes
    http, CONTRACT §3); the secret is 1-256 of A-Z a-z 0-9 _ -.

    Start-up (`TelegramAdapter`) and `parallelos doctor` both call this, so they agree.
    """
    url = settings.public_url
    if url is not None and not url.startswith("https://") and is_official_api(settings):
        raise SettingsError(
            "setting PUBLIC_URL is invalid: Telegram webhooks need https:// "
            "(http:// only with TELEGRAM_API_URL pointing at a local Bot API server)"
        )
    secret = settings.telegram_webhook_secret
    if secret is not None and not _SECRET_FORMAT.match(secret.get_secret_value()):
        raise SettingsError(
            "setting TELEGRAM_WEBHOOK_SECRET is invalid: use 1-256 letters, digits, '_' or '-'"
        )


def make_bot(settings: Settings, *, read_timeout: float = 15.0) -> Bot:
    """A Bot with its own connection pool (pass `get_updates_request` for long polling)."""
    token = token_of(settings)
    hide_token(token)
    request = HTTPXRequest(connection_pool_size=16, read_timeout=read_timeout, pool_timeout=5.0)
    polling = HTTPXRequest(connection_pool_size=1, read_timeout=10.0)
    return Bot(
        token,
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_api_url.replace("/bot", "/file/bot"),
        request=request,
        get_updates_request=polling,
    )


class _HideToken(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, MASK), None
        return True


def hide_token(token: str) -> None:
    """Blank the token out of httpx's and PTB's log records (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideToken) and f.token == token for f in logger.filters):
            logger.addFilter(_HideToken(token))


def redact(text: str, token: str) -> str:
    return text.replace(token, MASK) if token else text


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds (PTB warns about its int/timedelta migration; we accept both)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and "not modified" in exc.message.lower()


def is_stale_query(exc: TelegramError) -> bool:
    """answerCallbackQuery for a click already answered or too old: nothing left to do."""
    text = exc.message.lower()
    return isinstance(exc, BadRequest) and ("query is too old" in text or "query id" in text)


def is_bad_entities(exc: TelegramError) -> bool:
    """Telegram refused the message's HTML ("Bad Request: can't parse entities: ...")."""
    return isinstance(exc, BadRequest) and "can't parse entities" in exc.message.lower()


def delivery_error(exc: TelegramError, *, token: str, sending: bool = False) -> Exception:
    """The outbox's view of a Bot API error.

    `sending`: the call creates a message, so a connection that broke after the request went
    out leaves its outcome unknown (`Unconfirmed`: never sent again) rather than retryable.
    """
    reason = redact(f"{type(exc).__name__}: {exc.message}", token)
    if isinstance(exc, RetryAfter):
        return RetryLater(retry_seconds(exc), reason)
    if isinstance(exc, ChatMigrated):
        return PermanentFailure(f"{reason} (the group is now chat {exc.new_chat_id})")
    if isinstance(exc, BadRequest | Forbidden | InvalidToken):
        return PermanentFailure(reason)
    if isinstance(exc, NetworkError | TimedOut):
        cause = exc.__cause__
        if sending and cause is not None and not isinstance(cause, _NOT_SENT):
            return Unconfirmed(reason)
        return RetryLater(NETWORK_RETRY, reason)
    return RetryLater(NETWORK_RETRY, reason)
