"""One typed Settings object, built once by a factory and passed down (CONTRACT §3)."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, IPvAnyNetwork, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A current model: the SDK lists claude-sonnet-4-5 as deprecated (end of life 2026-11-30).
DEFAULT_MODEL = "claude-sonnet-5-5"
SHIPPED_CHARTERS = Path(__file__).resolve().parent.parent / "domains" / "charters"

_IDENTITY = re.compile(r"^(slack|telegram|local):[A-Za-z0-9_.@-]+$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def _parse_identities(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    out = []
    for position, item in enumerate(items, start=1):
        item = str(item).strip()
        if not item:
            continue
        if not _IDENTITY.match(item):
            raise ValueError(f"entry {position} should look like slack:U123 or telegram:4567")
        out.append(item)
    return tuple(out)


class Settings(BaseSettings):
    """Environment variables (and `.env`) as the contract names them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = Field("sqlite:///./parallelos.db", alias="DATABASE_URL")
    redis_url: str = Field("redis://localhost:6379/0", alias="REDIS_URL")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_url: str = Field("https://api.telegram.org/bot", alias="TELEGRAM_API_URL")
    telegram_chat_id: int | None = Field(None, alias="TELEGRAM_CHAT_ID")
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    model: str = Field(DEFAULT_MODEL, alias="PARALLELOS_MODEL")
    # A cheaper model for routing and brief summaries; unset: PARALLELOS_MODEL.
    light_model: str | None = Field(None, alias="PARALLELOS_LIGHT_MODEL")
    operators: Annotated[tuple[str, ...], NoDecode] = Field((), alias="PARALLELOS_OPERATORS")
    users: Annotated[tuple[str, ...] | None, NoDecode] = Field(None, alias="PARALLELOS_USERS")
    timezone: str = Field("UTC", alias="PARALLELOS_TIMEZONE")
    channel_prefix: str = Field("pos", alias="PARALLELOS_CHANNEL_PREFIX")
    domains_dir: Path = Field(SHIPPED_CHARTERS, alias="PARALLELOS_DOMAINS_DIR")
    action_webhook_url: str | None = Field(None, alias="ACTION_WEBHOOK_URL")
    action_webhook_secret: SecretStr | None = Field(None, alias="ACTION_WEBHOOK_SECRET")
    public_url: str | None = Field(None, alias="PUBLIC_URL")
    port: int = Field(8000, alias="PORT", ge=1, le=65535)  # the web process's (Procfile)
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For the local
    # chat and dashboard believe; a request through any other proxy is refused (CONTRACT §6).
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        (), alias="PARALLELOS_TRUSTED_PROXIES"
    )

    # Observability (docs/reliability.md): JSON log lines, and where processes share metrics.
    log_format: Literal["text", "json"] = Field("text", alias="LOG_FORMAT")
    metrics_dir: Path | None = Field(None, alias="PROMETHEUS_MULTIPROC_DIR")

    @field_validator("operators", mode="before")
    @classmethod
    def _operators(cls, v: object) -> tuple[str, ...]:
        return _parse_identities(v)

    @field_validator("users", mode="before")
    @classmethod
    def _users(cls, v: object) -> tuple[str, ...] | None:
        return None if v in (None, "") else _parse_identities(v)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, v: object) -> object:
        return tuple(p.strip() for p in v.split(",") if p.strip()) if isinstance(v, str) else v

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", v):
            raise ValueError(
                "should be a database URL such as sqlite:///./parallelos.db or "
                "postgresql://user:password@host:5432/dbname"
            )
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if not re.match(r"^(redis|rediss|unix)://", v):
            raise ValueError("should be a Redis URL such as redis://localhost:6379/0")
        return v

    @field_validator("telegram_chat_id", mode="before")
    @classmethod
    def _chat_id(cls, v: object) -> object:
        if v in (None, ""):
            return None
        if not re.fullmatch(r"-?\d+", str(v).strip()):
            raise ValueError("should be the forum supergroup's numeric id, like -1001234567890")
        return int(str(v).strip())

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("should be an IANA zone such as Europe/London") from None
        return v

    @field_validator("channel_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", v):
            raise ValueError("should be lowercase letters, digits, '-' or '_' (at most 40)")
        return v

    @field_validator("slack_api_url", "telegram_api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError("should be an http(s) URL")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("should be an app-level token starting with xapp-")
        return v

    @field_validator("public_url", "action_webhook_url")
    @classmethod
    def _optional_url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not re.match(r"^https?://", v):
            raise ValueError("should be an http(s) URL")
        return v.rstrip("/")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def allowed_users(self) -> tuple[str, ...]:
        """Who may talk to the bot: PARALLELOS_USERS, else the operators."""
        return self.users if self.users is not None else self.operators

    def is_operator(self, identity: str) -> bool:
        return identity in self.operators

    def is_allowed(self, identity: str) -> bool:
        return identity.startswith("local:") or identity in self.allowed_users

    @property
    def offline(self) -> bool:
        return self.anthropic_api_key is None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation error into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][0] if err["loc"] else "settings"
        name = Settings.model_fields[loc].alias if loc in Settings.model_fields else loc
        msg = err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"setting {name} is invalid: {msg}") from None


def require(settings: Settings, *names: str) -> None:
    """Stop a component that needs these settings, naming the first one missing."""
    for name in names:
        field = next(f for f, info in Settings.model_fields.items() if info.alias == name)
        if getattr(settings, field) in (None, ""):
            raise SettingsError(f"setting {name} is required here but not set")


def redacted(text: str) -> str:
    """`text` with the password of any URL in it hidden (`redis://:***@host`), for logs."""
    return re.sub(r"//[^@/\s]*@", "//***@", text)
