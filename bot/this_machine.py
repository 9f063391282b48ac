"""The this-machine way into the local chat, the dashboard and /metrics (CONTRACT §6).

bot/web_guard.py is the guard itself: it lets in these clients, or an operator signed in.

Three checks, all of which must pass:
- the `Host` header names this machine (localhost, 127.0.0.1 or [::1], any port), so a page
  elsewhere whose name was rebound to 127.0.0.1 is refused (DNS rebinding);
- a changing request's `Origin`, when present, names this machine too (cross-site forms);
- the client is on this machine. A request carrying a proxy header (X-Forwarded-For,
  Forwarded, X-Real-IP) came through a proxy, so it is refused unless PARALLELOS_TRUSTED_PROXIES
  names the proxy; then the client is the last X-Forwarded-For hop that is not a trusted proxy.
  The decision reads the raw headers, so it holds whatever uvicorn's own proxy-header rewrite
  (FORWARDED_ALLOW_IPS, 127.0.0.1 by default) did to the client address.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from starlette.requests import Request

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_LOCAL = r"(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?"
_LOCAL_HOST = re.compile(_LOCAL, re.IGNORECASE)
_LOCAL_ORIGIN = re.compile(r"https?://" + _LOCAL, re.IGNORECASE)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
REFUSED = "the local chat and dashboard answer only on this machine"


def refusal(request: Request, trusted_proxies: Sequence[IPNetwork] = ()) -> str | None:
    """Why this request may not open a this-machine-only page, or None when it may."""
    if not is_local_host(request.headers.get("host", "")):
        return f"{REFUSED} (Host must be localhost, 127.0.0.1 or [::1])"
    origin = request.headers.get("origin")
    changing = request.method not in SAFE_METHODS
    if changing and origin is not None and not is_local_origin(origin):
        return f"{REFUSED} (Origin must be this machine)"
    if not _client_is_local(request, trusted_proxies):
        return REFUSED
    return None


def is_local_host(host: str) -> bool:
    """A `Host` header naming this machine (any port)."""
    return _LOCAL_HOST.fullmatch(host) is not None


def is_local_origin(origin: str) -> bool:
    """An `Origin` naming this machine (http or https, any port)."""
    return _LOCAL_ORIGIN.fullmatch(origin) is not None


def _client_is_local(request: Request, trusted: Sequence[IPNetwork]) -> bool:
    peer = request.client.host if request.client else ""
    if not any(name in request.headers for name in _PROXY_HEADERS):
        return peer == "localhost" or _is_loopback(peer)
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for"))
    if not trusted or not forwarded_for:
        return False  # through a proxy that no setting names
    hops = [hop.strip() for hop in forwarded_for.split(",")] + [peer]
    for hop in reversed(hops):  # each proxy appends the address that connected to it
        if not _is_in(hop, trusted):
            return _is_loopback(hop)
    return _is_loopback(hops[0])


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_loopback(text: str) -> bool:
    address = _address(text)
    return address is not None and address.is_loopback


def _is_in(text: str, networks: Sequence[IPNetwork]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)
