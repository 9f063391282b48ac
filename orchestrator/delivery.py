"""Delivery of outbox posts: in order per channel, retried with backoff, never twice."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orchestrator import logs, metrics, outbox
from orchestrator.canonical import Platform, Post, SentRef, Target
from orchestrator.channels import ChannelDirectory
from orchestrator.db import Database, utcnow
from orchestrator.eventlog import record
from orchestrator.outbound import (
    Destination,
    PermanentFailure,
    RetryLater,
    Sender,
    Unconfirmed,
    Unknown,
    Unsettled,
)
from orchestrator.statuses import OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 50  # posts one job delivers before handing the channel to a fresh job
HEADS = 10  # posts claimed at once at a channel's head (one transaction a batch)


class Waiting(RetryLater):
    """The post depends on an earlier one still on its way; not a failed attempt."""


class InDoubt(RetryLater):
    """Recovery's check (`find_sent`) failed for now: the post may be there; check again."""


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter: attempt 1 → up to 1 s, 2 → 2 s, … capped."""
    return random.uniform(0.5, 1.0) * min(cap, base * 2 ** max(0, attempt - 1))


@dataclass
class Deliverer:
    db: Database
    senders: Mapping[Platform, Sender]
    directory: ChannelDirectory

    def drain(self, channel_key: str) -> float | None:
        """Deliver what is due on one channel; return seconds until it needs another run."""
        return self.drain_all([channel_key])[channel_key]

    def drain_all(self, channel_keys: Sequence[str]) -> dict[str, float | None]:
        """Deliver what is due on these channels; for each, seconds until it needs another run
        (None: nothing left, or another worker holds it).

        Posts are claimed a batch at a time (`HEADS` at each channel's head, all the channels
        in one transaction); the outcomes of a batch are committed with the claim of the next
        one (the delivered posts marked in one statement), and the last batch's with the claim
        that finds the channels empty or busy. A post not sent (retry, failure) gives back the
        rest of its channel's batch unsent, so nothing behind it overtakes it; the other
        channels go on.
        """
        waits: dict[str, float | None] = {}
        claimed = dict.fromkeys(channel_keys, 0)
        done: list[outbox.Outcome] = []
        unsent: list[outbox.Claim] = []
        refs: dict[int, SentRef | None] = {}  # posts sent in this drain, not yet committed
        active = list(claimed)
        while active:
            found = outbox.claim_channels(
                self.db, {k: min(HEADS, BATCH - claimed[k]) for k in active}, record=done,
                release=unsent,
            )  # fmt: skip
            done, unsent = [], []
            still = []
            for key in active:
                claims = found.get(key)
                if claims is None:
                    waits[key] = None
                    continue
                if isinstance(claims, outbox.Busy):
                    waits[key] = (
                        None  # another worker holds the channel and will drain it
                        if claims.retry_at is None
                        else max(0.0, (claims.retry_at - utcnow()).total_seconds())
                    )
                    continue
                claimed[key] += len(claims)
                for n, claim in enumerate(claims):
                    outcome = self._deliver(claim, refs)
                    if outcome is None:  # recorded already (retry, failure): the rest waits
                        unsent += claims[n + 1 :]
                        break
                    done.append(outcome)
                    refs[claim.row.id] = _ref_of(outcome)
                if claimed[key] >= BATCH:
                    waits[key] = 0.0  # more may wait: a fresh job takes the channel on
                else:
                    still.append(key)
            active = still
        if done or unsent:
            outbox.claim_channels(self.db, {}, record=done, release=unsent)
        return waits

    def _deliver(
        self, claim: outbox.Claim, refs: dict[int, SentRef | None] | None = None
    ) -> outbox.Outcome | None:
        """One post, logged under the correlation id of the event that caused it."""
        source = claim.row.source_event_id
        with logs.correlation(logs.event_correlation(source) if source is not None else None):
            outcome = self._deliver_one(claim, refs or {})
        return outcome

    def _deliver_one(
        self, claim: outbox.Claim, refs: dict[int, SentRef | None]
    ) -> outbox.Outcome | None:
        """Send one post; a success is returned to record, anything else is recorded here."""
        row = claim.row
        try:
            ref = self._send(claim, refs)
        except Waiting as exc:
            outbox.mark_retry(self.db, claim, delay=exc.seconds, error=str(exc), count=False)
        except (InDoubt, Unsettled) as exc:
            self._recheck(claim, exc.seconds, str(exc))
        except RetryLater as exc:
            self._retry(claim, exc.seconds, str(exc))
        except PermanentFailure as exc:
            self._fail(claim, str(exc))
        except Unconfirmed as exc:  # may have arrived: a second copy is worse than none
            self._log(row.id, "outbox.unconfirmed", row.platform, error=str(exc))
            _count(row, "unconfirmed")
            return outbox.sent(claim, None)
        except Exception as exc:  # network errors and the unexpected: retry, then give up
            log.warning("outbox %s: %s", row.id, type(exc).__name__)
            self._retry(claim, 0.0, f"{type(exc).__name__}: {exc}")
        else:
            _count(row, "sent")
            log.info("post %s delivered on %s (%d attempts)", row.id, row.platform, row.attempts)
            return outbox.sent(claim, ref)
        return None

    def _send(self, claim: outbox.Claim, refs: dict[int, SentRef | None]) -> SentRef | None:
        row = claim.row
        sender = self.senders.get(Platform(row.platform))
        if sender is None:
            raise PermanentFailure(f"{row.platform} is not configured")
        post = Post.model_validate(row.post)
        target = Target.model_validate(row.target)
        if row.kind == "update":
            earlier = self._earlier(row.update_of, refs=refs)
            assert earlier is not None  # _earlier raises rather than return None here
            return sender.edit(post, earlier)
        dest = self._destination(target, refs)
        if row.kind == "answer":
            if claim.recovering:  # an answer cannot be looked up: never show it twice
                self._log(row.id, "outbox.unconfirmed", row.platform)
                return None
            sender.answer(post, target.thread or "", post.ephemeral_to or "", dest)
            return None
        if claim.recovering:
            try:
                found = sender.find_sent(dest, key=row.key, since=row.created_at)
            except Exception as exc:  # any failure to check leaves the post in doubt, unsent
                seconds = exc.seconds if isinstance(exc, RetryLater) else 0.0
                raise InDoubt(seconds, f"{type(exc).__name__}: {exc}") from None
            if isinstance(found, Unknown):
                self._log(row.id, "outbox.unconfirmed", row.platform)
                return None  # cannot verify: never risk a second copy
            if found is not None:
                return found
        return sender.send(post, dest, key=row.key)

    def _destination(
        self, target: Target, refs: dict[int, SentRef | None] | None = None
    ) -> Destination:
        dest = self.directory.resolve(target)
        if target.reply_to_post is None:
            return dest
        parent = self._earlier(target.reply_to_post, allow_missing=True, refs=refs)
        if parent is None:
            return dest
        thread = parent.thread or parent.message_id
        if target.platform is Platform.TELEGRAM:
            return Destination(dest.channel, thread=parent.thread, reply_to=parent.message_id)
        return Destination(dest.channel, thread=thread, reply_to=dest.reply_to)

    def _earlier(
        self,
        outbox_id: int | None,
        *,
        allow_missing: bool = False,
        refs: dict[int, SentRef | None] | None = None,
    ) -> SentRef | None:
        """The platform reference of an earlier post; wait while it is still on its way.

        `refs`: posts this drain sent whose outcome is not committed yet (the same batch).
        """
        assert outbox_id is not None
        if refs and outbox_id in refs:
            status, ref = OutboxStatus.SENT.value, refs[outbox_id]
        else:
            status, ref = outbox.sent_ref(self.db, outbox_id)
        if status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            raise Waiting(1.0, f"waiting for post {outbox_id}")
        if ref is None and not allow_missing:
            raise PermanentFailure(f"post {outbox_id} was never delivered")
        return ref

    def _retry(self, claim: outbox.Claim, seconds: float, error: str) -> None:
        attempts = claim.row.attempts
        if attempts >= MAX_ATTEMPTS:
            self._fail(claim, f"gave up after {attempts} attempts: {error}")
            return
        delay = max(seconds, backoff(attempts))
        outbox.mark_retry(self.db, claim, delay=delay, error=error)
        _count(claim.row, "retry")
        metrics.RETRIES.labels("post").inc()

    def _recheck(self, claim: outbox.Claim, seconds: float, error: str) -> None:
        if claim.row.attempts >= MAX_ATTEMPTS:  # still unknown: never risk a second copy
            self._log(claim.row.id, "outbox.unconfirmed", claim.row.platform, error=error)
            outbox.mark_sent(self.db, claim, None)
            return
        delay = max(seconds, backoff(claim.row.attempts))
        outbox.mark_in_doubt(self.db, claim, delay=delay, error=error)
        _count(claim.row, "in_doubt")

    def _fail(self, claim: outbox.Claim, error: str) -> None:
        if outbox.mark_failed(self.db, claim, error=error):
            _count(claim.row, "failed")
            log.error("outbox %s failed: %s", claim.row.id, error)
            self._log(claim.row.id, "outbox.failed", claim.row.platform, error=error)

    def _log(self, outbox_id: int, kind: str, platform: str, **data: str) -> None:
        with self.db.session() as s:
            record(
                s,
                kind=kind,
                actor="system",
                subject=f"outbox:{outbox_id}",
                data={"platform": platform, **data},
            )


def _ref_of(outcome: outbox.Outcome) -> SentRef | None:
    """The platform reference a `sent` outcome records (None: sent, but not known where)."""
    message_id = outcome.values.get("sent_message_id")
    if not isinstance(message_id, str) or not message_id:
        return None
    channel, thread = outcome.values.get("sent_channel"), outcome.values.get("sent_thread")
    return SentRef(
        channel=channel if isinstance(channel, str) else "",
        message_id=message_id,
        thread=thread if isinstance(thread, str) else None,
    )


def _count(row: outbox.PostRow, status: str) -> None:
    """A post's outcome; a post that reached the platform also gives its latency."""
    metrics.POSTS_OUT.labels(row.platform, status).inc()
    if status in ("sent", "unconfirmed"):
        waited = max(0.0, (utcnow() - row.created_at).total_seconds())
        metrics.DELIVERY_SECONDS.labels(row.platform).observe(waited)
