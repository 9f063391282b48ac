"""The platforms' `FileFetcher`s: a file id back to bytes, with the bot's token, capped.

Used by the worker at turn time (never in a web request). The bytes are returned, never logged;
the token travels only to the platform's own hosts, and log lines name the file's kind and
size, not its URL (Telegram's file URLs contain the token; `hide_token` blanks it out of
httpx's own log records too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_sdk import WebClient

from bot import telegram_client
from orchestrator.attachments import Fetched, FileTooLarge
from orchestrator.canonical import Attachment
from orchestrator.settings import Settings

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
CHUNK = 64 * 1024
SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com")


class FileUnavailable(Exception):
    """The platform did not give the file (unknown id, refused, or not a URL we trust)."""


def download(url: str, *, max_bytes: int, headers: dict[str, str] | None = None) -> bytes:
    """GET `url`, reading at most `max_bytes` (FileTooLarge past them, without reading on)."""
    with (
        httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=3) as http,
        http.stream("GET", url, headers=headers or {}) as response,
    ):
        if response.status_code != 200:
            raise FileUnavailable(f"HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FileTooLarge(f"{declared} bytes")
        data = bytearray()
        for chunk in response.iter_bytes(CHUNK):
            data += chunk
            if len(data) > max_bytes:
                raise FileTooLarge(f"over {max_bytes} bytes")
        return bytes(data)


class TelegramFiles:
    """getFile, then the file's URL (`…/file/bot<token>/<path>`); a local Bot API server in
    `--local` mode answers an absolute path on its disk instead, read directly."""

    def __init__(self, settings: Settings) -> None:
        self.token = telegram_client.token_of(settings)
        telegram_client.hide_token(self.token)
        self.api = settings.telegram_api_url
        self.files = self.api.replace("/bot", "/file/bot")

    def fetch(self, attachment: Attachment, *, max_bytes: int) -> Fetched:
        info = self._get_file(attachment.file_id)
        size, path = info.get("file_size"), info.get("file_path")
        if isinstance(size, int) and size > max_bytes:
            raise FileTooLarge(f"{size} bytes")
        if not isinstance(path, str) or not path:
            raise FileUnavailable("getFile gave no file_path")
        if path.startswith("/"):
            return Fetched(_read_local(Path(path), max_bytes), attachment.mime)
        return Fetched(download(self.files + self.token + "/" + path, max_bytes=max_bytes),
                       attachment.mime)  # fmt: skip

    def _get_file(self, file_id: str) -> dict[str, Any]:
        with httpx.Client(timeout=TIMEOUT) as http:
            response = http.post(f"{self.api}{self.token}/getFile", json={"file_id": file_id})
        body = response.json() if response.headers.get("content-type", "").startswith(
            "application/json") else {}  # fmt: skip
        if response.status_code != 200 or not body.get("ok"):
            raise FileUnavailable(f"getFile: HTTP {response.status_code}")
        result = body.get("result")
        return result if isinstance(result, dict) else {}


def _read_local(path: Path, max_bytes: int) -> bytes:
    if not path.is_file():
        raise FileUnavailable("the local Bot API server's file is not on this machine")
    if path.stat().st_size > max_bytes:
        raise FileTooLarge(f"{path.stat().st_size} bytes")
    return path.read_bytes()


class SlackFiles:
    """`files.info`, then `url_private_download` with the bot token (scope `files:read`)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.slack_bot_token is not None
        self.token = settings.slack_bot_token.get_secret_value()
        self.client = WebClient(token=self.token, base_url=settings.slack_api_url)
        self.api_host = urlsplit(settings.slack_api_url).hostname or ""

    def fetch(self, attachment: Attachment, *, max_bytes: int) -> Fetched:
        info = self.client.files_info(file=attachment.file_id).get("file") or {}
        size = info.get("size")
        if isinstance(size, int) and size > max_bytes:
            raise FileTooLarge(f"{size} bytes")
        url = info.get("url_private_download") or info.get("url_private")
        if not isinstance(url, str) or not self._trusted(url):
            raise FileUnavailable("files.info gave no Slack file URL")
        data = download(url, max_bytes=max_bytes, headers={"Authorization": f"Bearer {self.token}"})
        mime = info.get("mimetype")
        return Fetched(data, mime if isinstance(mime, str) else attachment.mime)

    def _trusted(self, url: str) -> bool:
        """Only Slack's own hosts (or the configured API host, a test server) get the token."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == self.api_host and host:
            return parts.scheme in ("https", "http")
        slack = any(host == h or host.endswith("." + h) for h in SLACK_FILE_HOSTS)
        return parts.scheme == "https" and slack
