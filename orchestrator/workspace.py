"""Provisioning the workspace: every domain's channel or topic, and the hub (CONTRACT §2, §5).

`provision` finds or creates each place on each configured platform, remembers it, furnishes
it (operators, topic, purpose) and pins a short guide once (an outbox post with a fixed key, so
two racing runs queue it once and it is delivered exactly once). `inspect` only looks, for
`parallelos doctor`. Both are idempotent; run them on every start.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from orchestrator import outbox, texts
from orchestrator.canonical import Post, Target
from orchestrator.channels import HUB, channel_name
from orchestrator.handoff import deliver_channel
from orchestrator.outbound import PermanentFailure, RetryLater
from orchestrator.provisioning import Found, Place, PlaceState, Provisioner, Report
from orchestrator.services import Services

log = logging.getLogger(__name__)

Remembered = tuple[str, str | None] | None


def places(svc: Services) -> list[Place]:
    """The hub first, then every charter's domain (a domain added by a file included)."""
    hub = Place(HUB, channel_name(svc.settings, HUB), texts.HUB_MISSION)
    return [hub] + [
        Place(name, channel_name(svc.settings, name), svc.charters.get(name).mission)
        for name in svc.charters.names()
    ]


def provision(svc: Services) -> list[Report]:
    """Find or create, furnish and remember every place; one report a place and platform."""
    reports: list[Report] = []
    for provisioner in svc.provisioners.values():
        wanted = places(svc)
        remembered = svc.directory.remembered(provisioner.platform)
        found = provisioner.locate(wanted, remembered)
        for place in wanted:
            if place.domain in found:
                seen = remembered.get(place.domain)
                reports.append(_provision(svc, provisioner, place, found[place.domain], seen))
        provisioner.configure()
    return reports


def inspect(svc: Services) -> list[Report]:
    """What each platform shows for every place now; creates nothing."""
    reports: list[Report] = []
    for provisioner in svc.provisioners.values():
        wanted = places(svc)
        found = provisioner.locate(wanted, svc.directory.remembered(provisioner.platform))
        reports += [
            _report(provisioner, place, found[place.domain])
            for place in wanted
            if place.domain in found
        ]
    return reports


def _provision(
    svc: Services, provisioner: Provisioner, place: Place, found: Found, seen: Remembered
) -> Report:
    try:
        if found.state is PlaceState.ARCHIVED:
            log.warning("%s %s was archived by a person: not recreated", provisioner.platform,
                        found.name or place.name)  # fmt: skip
            return _report(provisioner, place, found)
        found = _settle(svc, provisioner, place, found, seen)
        provisioner.furnish(place, found)
        _pin_guide(svc, provisioner, place)
    except (RetryLater, PermanentFailure) as exc:
        log.warning("provisioning %s %s failed: %s", provisioner.platform, place.name, exc)
        return Report(provisioner.platform, place, PlaceState.FAILED, note=str(exc))
    return _report(provisioner, place, found)


def _settle(
    svc: Services, provisioner: Provisioner, place: Place, found: Found, seen: Remembered
) -> Found:
    """Create a missing place (once, even when racing) or remember where it was found.

    `seen` is what was remembered when the platform was looked at: a place remembered since
    was made by a racing process meanwhile; one still remembered as seen is gone for good."""
    platform, directory = provisioner.platform, svc.directory
    remembered = directory.remembered(platform).get(place.domain)
    if found.state is PlaceState.MISSING:
        if remembered is not None and remembered != seen:
            return Found(PlaceState.READY, remembered[0], remembered[1], place.name)
        if remembered is not None:  # its old channel is gone: forget it, then create anew
            directory.forget(platform, place.domain, *remembered)
        channel, thread = directory.ensure(
            platform, place.domain, place.name, lambda: provisioner.create(place)
        )
        created = remembered is None or (channel, thread) != remembered
        state = PlaceState.CREATED if created else PlaceState.READY
        return Found(state, channel, thread, place.name)
    assert found.channel is not None
    if remembered != (found.channel, found.thread):
        directory.relocate(platform, place.domain, found.channel, found.thread, place.name)
    return found


def _pin_guide(svc: Services, provisioner: Provisioner, place: Place) -> None:
    """Queue the place's guide once (a fixed outbox key) and deliver it now."""
    platform = provisioner.platform
    target = Target(platform=platform, domain=place.domain)
    body = texts.HUB_GUIDE if place.domain == HUB else texts.guide(place.domain, place.mission)
    post = Post(title=texts.guide_title(place.domain), text=body, pin=True)
    try:
        with svc.db.session() as s:
            outbox.add_post(s, key=f"guide:{platform.value}:{place.domain}", target=target,
                            post=post)  # fmt: skip
    except IntegrityError:
        return  # queued before (by an earlier start, or by a racing one)
    deliver_channel(svc, target.channel_key())


def _report(provisioner: Provisioner, place: Place, found: Found) -> Report:
    note = ""
    if found.state is PlaceState.RENAMED:
        note = f"renamed to {found.name}; still used"
    elif found.state is PlaceState.ARCHIVED:
        note = "archived by a person: unarchive it (it is not recreated while archived)"
    elif found.state is PlaceState.MISSING:
        note = "run `parallelos setup` (or start the web process) to create it"
    return Report(provisioner.platform, place, found.state, found.channel, found.name, note)
