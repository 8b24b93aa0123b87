"""The client's network address: the one function that reads it, for the login lockout
(django-axes, AXES_CLIENT_IP_CALLABLE), any rate limit keyed by address, and the records that
keep an address (axes' login records).

Behind a reverse proxy every connection comes from the proxy, so REMOTE_ADDR is the proxy's
address and the real client is in X-Forwarded-For, which each proxy extends with the address
it saw. But anyone can send that header, so it is believed only as far as our own proxies
wrote it, as GUANJIA_TRUSTED_PROXIES says (docs/deploy.md, "Behind a proxy"):

- empty (the default): no proxy is trusted; the address is REMOTE_ADDR and the header is ignored;
- a number N: N proxies of ours stand in front of the app; the address is the hop the
  outermost of them saw, N places from the right of X-Forwarded-For + REMOTE_ADDR;
- a comma-separated list of addresses and networks (`10.0.0.0/8, 2001:db8::1`): hops are
  skipped from the right while they are one of these; the first other hop is the client.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TrustedProxies:
    count: int = 0
    networks: tuple[Network, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.count or self.networks)

    def includes(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def trusted_proxies() -> TrustedProxies:
    return _parse_setting(str(getattr(settings, "GUANJIA_TRUSTED_PROXIES", "") or "").strip())


@lru_cache(maxsize=8)
def _parse_setting(value: str) -> TrustedProxies:
    if not value:
        return TrustedProxies()
    if value.isdigit():
        return TrustedProxies(count=int(value))
    try:
        networks = tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise ImproperlyConfigured(
            f"GUANJIA_TRUSTED_PROXIES: {error}. Give the number of proxies in front of the app, "
            "or their addresses and networks separated by commas (docs/deploy.md)."
        ) from None
    return TrustedProxies(networks=networks)


def parse_address(hop: str) -> Address | None:
    """An address as a proxy writes it, possibly with a port (`1.2.3.4:5678`, `[::1]:443`);
    None for anything else (`unknown`, an obfuscated name, junk)."""
    hop = hop.strip()
    if hop.startswith("[") and "]" in hop:
        hop = hop[1 : hop.index("]")]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent the request, as far as our own proxies vouch for it."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    proxies = trusted_proxies()
    if not proxies:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = forwarded.split(",") if forwarded else []
    if proxies.count:
        return _by_count(hops, remote, proxies.count)
    return _by_networks(hops, remote, proxies)


def _by_count(hops: list[str], remote: str, count: int) -> str:
    # hops + [remote], right to left: proxy N (remote), proxy N-1, ..., proxy 1, then the
    # client as proxy 1 saw it. Fewer hops than that: the leftmost is still one ours wrote.
    chain = [*hops, remote]
    chosen = parse_address(chain[max(len(chain) - 1 - count, 0)])
    return str(chosen) if chosen is not None else remote


def _by_networks(hops: list[str], remote: str, proxies: TrustedProxies) -> str:
    nearest = parse_address(remote)
    if nearest is None or not proxies.includes(nearest):
        return remote  # not sent by a proxy of ours: its header says nothing
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break  # a trusted proxy would not write this: keep the last hop it vouched for
        nearest = address
        if not proxies.includes(address):
            break
    return str(nearest)
