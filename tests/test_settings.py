"""Settings: contract names and defaults; a bad setting is one line naming it, never its value."""

from __future__ import annotations

import pytest

from orchestrator.settings import SettingsError, load_settings, require
from parallelos.cli import main


def settings(**env):
    return load_settings(_env_file=None, **env)


def test_defaults_follow_the_contract():
    s = settings()
    assert s.database_url == "sqlite:///./parallelos.db"
    assert s.redis_url == "redis://localhost:6379/0"
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.telegram_api_url == "https://api.telegram.org/bot"
    assert (s.timezone, s.channel_prefix, s.offline) == ("UTC", "pos", True)
    assert s.domains_dir.name == "charters"


def test_users_default_to_operators_and_local_is_always_allowed():
    s = settings(PARALLELOS_OPERATORS="slack:U1, telegram:42")
    assert s.operators == ("slack:U1", "telegram:42")
    assert s.is_allowed("telegram:42") and not s.is_allowed("slack:U2")
    assert s.is_allowed("local:operator")
    s = settings(PARALLELOS_OPERATORS="slack:U1", PARALLELOS_USERS="slack:U1,slack:U2")
    assert s.is_allowed("slack:U2") and not s.is_operator("slack:U2")


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("DATABASE_URL", "nonsense", "database URL"),
        ("REDIS_URL", "http://x", "Redis URL"),
        ("PARALLELOS_OPERATORS", "bob", "slack:U123"),
        ("PARALLELOS_TIMEZONE", "Mars/Olympus", "IANA"),
        ("PARALLELOS_CHANNEL_PREFIX", "Bad Prefix", "lowercase"),
        ("TELEGRAM_CHAT_ID", "abc", "numeric id"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "xapp-"),
        ("PUBLIC_URL", "example.com", "http"),
    ],
)
def test_a_bad_setting_names_itself_in_one_line(name, value, hint):
    with pytest.raises(SettingsError) as err:
        settings(**{name: value})
    message = str(err.value)
    assert name in message and hint in message and "\n" not in message
    assert value not in message  # values (which may be secrets) are never echoed


def test_a_required_setting_that_is_missing_is_named():
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        require(settings(SLACK_BOT_TOKEN="xoxb-1"), "SLACK_SIGNING_SECRET")


def test_secrets_are_not_in_the_settings_repr():
    s = settings(SLACK_BOT_TOKEN="xoxb-very-secret", ANTHROPIC_API_KEY="sk-ant-secret")
    assert "very-secret" not in repr(s) and "sk-ant-secret" not in repr(s)


def test_the_cli_stops_with_one_line(monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", "http://nope")
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "REDIS_URL" in err
