"""The action webhook: one signed JSON POST per approved action (docs/action-webhook.md).

    POST ACTION_WEBHOOK_URL
    Content-Type: application/json
    Idempotency-Key: <approval public id>
    X-ParallelOS-Timestamp: <unix seconds when sent>
    X-ParallelOS-Signature: sha256=<hex HMAC-SHA256(ACTION_WEBHOOK_SECRET, raw body)>

The body carries `sent_at` equal to the timestamp header, so the signature covers the time too
and a receiver can refuse old replays. A retry sends a new body (new `sent_at`) under the same
Idempotency-Key: the receiver acts once per key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx

IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_HEADER = "X-ParallelOS-Signature"
TIMESTAMP_HEADER = "X-ParallelOS-Timestamp"
TIMEOUT = 10.0
RETRYABLE = {408, 409, 425, 429}
MAX_RETRY_AFTER = 3600.0


class Result(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    result: Result
    detail: str = ""
    retry_after: float | None = None  # the receiver's Retry-After, in seconds


@dataclass(frozen=True)
class ActionPayload:
    approval_id: str  # the public id, also the Idempotency-Key
    domain: str
    action: str
    decided_by: str
    decided_at: datetime  # naive UTC (the database's convention)

    def body(self, sent_at: int) -> bytes:
        data: dict[str, Any] = {
            "approval_id": self.approval_id,
            "domain": self.domain,
            "action": self.action,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.replace(microsecond=0).isoformat() + "Z",
            "sent_at": sent_at,
        }
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes, secret: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the raw body bytes with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str, secret: str) -> bool:
    """What a receiver does: recompute over the raw bytes and compare in constant time."""
    return hmac.compare_digest(signature(body, secret), header)


def request(payload: ActionPayload, secret: str, *, now: float | None = None) -> tuple[bytes, dict]:
    """The body and headers of one delivery attempt."""
    sent_at = int(time.time() if now is None else now)
    body = payload.body(sent_at)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ParallelOS-action-webhook",
        IDEMPOTENCY_HEADER: payload.approval_id,
        TIMESTAMP_HEADER: str(sent_at),
        SIGNATURE_HEADER: signature(body, secret),
    }
    return body, headers


def deliver(url: str, payload: ActionPayload, secret: str) -> Outcome:
    """POST once; 2xx is delivered, timeouts, 408/409/425/429 and 5xx retry, the rest fail."""
    body, headers = request(payload, secret)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return Outcome(Result.RETRY, f"{type(exc).__name__}")
    return classify(response.status_code, response.headers.get("retry-after"))


def classify(status: int, retry_after: str | None = None) -> Outcome:
    if 200 <= status < 300:
        return Outcome(Result.DELIVERED, f"HTTP {status}")
    if status in RETRYABLE or status >= 500:
        return Outcome(Result.RETRY, f"HTTP {status}", _seconds(retry_after))
    return Outcome(Result.FAILED, f"HTTP {status}")


def _seconds(value: str | None) -> float | None:
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value))) if value else None
    except ValueError:
        return None  # an HTTP date: use our own backoff
