"""Files the stand-ins hold: Telegram's getFile and `/file/bot<token>/<path>`, Slack's
`files.info` and `url_private_download` (which wants the bot token), as the real APIs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tests.fakes.http import Reply


@dataclass
class StoredFile:
    file_id: str
    data: bytes
    name: str | None
    mime: str | None

    @property
    def path(self) -> str:
        return f"documents/{self.file_id}"


class FileStore:
    """The files a stand-in serves, by id; `downloads` counts each file's fetches."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._ids = itertools.count(1)
        self.downloads: dict[str, int] = {}

    def add(self, data: bytes, *, prefix: str, name: str | None = None,
            mime: str | None = None) -> StoredFile:  # fmt: skip
        stored = StoredFile(f"{prefix}{next(self._ids):05d}", data, name, mime)
        self._files[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(str(file_id))

    def by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self._files.values() if f.path == path), None)

    def download(self, stored: StoredFile | None) -> Reply:
        if stored is None:
            return Reply({"ok": False, "error": "file_not_found"}, 404)
        self.downloads[stored.file_id] = self.downloads.get(stored.file_id, 0) + 1
        return Reply({}, raw=stored.data)


def telegram_file(stored: StoredFile) -> dict[str, Any]:
    """getFile's File object."""
    return {"file_id": stored.file_id, "file_unique_id": "u" + stored.file_id,
            "file_size": len(stored.data), "file_path": stored.path}  # fmt: skip


def slack_file(stored: StoredFile, origin: str) -> dict[str, Any]:
    """files.info's file object (its download URL on the stand-in itself)."""
    name = stored.name or stored.file_id
    url = f"{origin}/files-pri/T111-{stored.file_id}/download/{name}"
    return {"id": stored.file_id, "name": name, "title": name, "mimetype": stored.mime,
            "size": len(stored.data), "mode": "hosted", "url_private": url,
            "url_private_download": url}  # fmt: skip
