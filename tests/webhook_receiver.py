"""A local action-webhook receiver for tests: records each POST (raw body and headers)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from tests.fakes.http import Call, FakeHTTPServer, Reply

SECRET = "action-webhook-secret-0123456789"


class ActionReceiver(FakeHTTPServer):
    """Answers 200 at `/actions` unless told to fail the next posts (`fail_next`)."""

    PATH = "/actions"

    @property
    def url(self) -> str:
        return self.origin + self.PATH

    def posts(self) -> list[Call]:
        return self.calls("action")

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._script("action", Reply({"ok": False}, status, headers), times)

    def _route(self, path: str) -> str | None:
        return "action" if path == self.PATH else None

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        return Reply({"ok": True})


def verified(call: Call, secret: str = SECRET) -> dict[str, Any]:
    """The JSON body of a POST whose signature checks out (computed here, independently)."""
    expected = "sha256=" + hmac.new(secret.encode(), call.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(call.headers["x-parallelos-signature"], expected), "bad signature"
    body = json.loads(call.body)
    assert str(body["sent_at"]) == call.headers["x-parallelos-timestamp"]
    assert call.headers["idempotency-key"] == body["approval_id"]
    return body
