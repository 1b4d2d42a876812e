"""The HTTP side of the web test, on every address of the web host.

Per address: the first HTTPS answer to ``/`` (its headers: HSTS, security headers,
HTTP compression — asked with ``Accept-Encoding``), the first answer on port 80 and
the redirects that follow it, and ``/.well-known/security.txt`` over HTTPS (RFC 9116
§3, which allows redirects; those are followed over HTTPS only). On the first address
of each family also the page at ``/`` itself (``site``), to compare IPv4 with IPv6.

The HTTPS requests of an address go one after the other on one kept connection where
the server allows it (``http.Keeper``): security.txt and its redirects, the page, then
``/`` with ``Accept-Encoding``. The request to port 80 goes at the same time on a
connection of its own; its HTTPS redirects take their turn on the kept connection.

Every request has one deadline and reads a bounded body; a redirect chain stops
after ``MAX_HOPS`` redirects, at a URL it saw before, or when its own deadline
passes. A hop to another host name is resolved through the scanner's resolver,
preferring the address family of the address under test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from meting.probe.dns import DnsClient
from meting.probe.evidence import Evidence
from meting.probe.http import HttpResponse, Keeper, fetch

MAX_HOPS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
SECURITY_TXT_PATH = "/.well-known/security.txt"
SECURITY_TXT_LIMIT = 64 * 1024
ACCEPT_ENCODING = (("Accept-Encoding", "gzip, deflate, br"),)

# A host name and "IPv6?" -> addresses of that name, the preferred family first.
Resolve = Callable[[str, bool], Awaitable[list[str]]]


@dataclass(frozen=True)
class Hop(Evidence):
    """One request of a redirect chain and its answer."""

    url: str
    address: str
    status: int  # 0: no answer (see failure)
    location: str | None
    failure: str  # as HttpResponse.failure
    error: str | None
    kept: bool = False  # as HttpResponse.kept


@dataclass(frozen=True)
class Chain:
    hops: tuple[Hop, ...]
    # "answer" (a non-redirect answer), "failure" (no answer), "loop", "too_many_redirects",
    # "bad_location", "insecure_redirect", "no_address", "deadline"
    end: str
    last: HttpResponse | None  # the last answer, with its headers and bounded body

    def to_dict(self, body: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"hops": [h.to_dict() for h in self.hops], "end": self.end}
        if body and self.last is not None:
            data["status"] = self.last.status
            data["content_type"] = ", ".join(self.last.header("content-type"))
            data["body"] = self.last.body
            data["truncated"] = self.last.truncated
        return data


def is_v6(address: str) -> bool:
    return ipaddress.ip_address(address).version == 6


def hop_of(url: str, response: HttpResponse) -> Hop:
    location = response.header("location")
    return Hop(url, response.address, response.status, location[0] if location else None,
               response.failure, response.error, response.kept)


def target(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path?query) of an absolute http(s) URL; None if it is not one."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname.lower().rstrip("."), port, path


async def follow(address: str, url: str, resolve: Resolve, *, timeout: float, limit: int,
                 https_only: bool = False, keeper: Keeper | None = None) -> Chain:
    """GET ``url`` at ``address`` and follow its redirects, bounded in hops and time;
    HTTPS hops go on ``keeper``'s connection where they can."""
    deadline = time.monotonic() + timeout * 3
    hops: list[Hop] = []
    seen: set[str] = set()
    last: HttpResponse | None = None
    current = target(url)
    assert current is not None, url
    while True:
        scheme, host, port, path = current
        seen.add(url)
        left = deadline - time.monotonic()
        if left <= 0:
            return Chain(tuple(hops), "deadline", last)
        last = await fetch(address, host, tls=scheme == "https", path=path, port=port,
                           timeout=min(timeout, left), limit=limit, keeper=keeper,
                           last=keeper is None)
        hop = hop_of(url, last)
        hops.append(hop)
        if last.status not in REDIRECTS or hop.location is None:
            return Chain(tuple(hops), "failure" if last.status == 0 else "answer", last)
        end, url = next_url(url, hop.location, seen, https_only)
        if end:
            return Chain(tuple(hops), end, last)
        if len(hops) > MAX_HOPS:
            return Chain(tuple(hops), "too_many_redirects", last)
        following = target(url)
        assert following is not None
        if following[1] != host:
            found = await addresses_of(following[1], is_v6(address), resolve)
            if not found:
                return Chain(tuple(hops), "no_address", last)
            address = found[0]
        current = following


async def addresses_of(host: str, v6: bool, resolve: Resolve) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]  # a literal address in the Location
    except ValueError:
        return await resolve(host, v6)


def next_url(url: str, location: str, seen: set[str], https_only: bool) -> tuple[str, str]:
    """("", next URL), or (why the chain ends, "")."""
    following = urljoin(url, location.strip())
    found = target(following)
    if found is None:
        return "bad_location", ""
    if https_only and found[0] != "https":
        return "insecure_redirect", ""
    if following in seen:
        return "loop", ""
    return "", following


async def one_address(address: str, host: str, resolve: Resolve, timeout: float,
                      site: bool | None = None) -> dict[str, Any]:
    """The HTTP evidence of one address; ``site``: also fetch the page at ``/`` (over
    HTTPS when True, HTTP when False) for ``site``. The HTTPS hops of the chain from
    port 80 take their turn on the same kept connection."""
    async with Keeper() as keeper:
        plain, (security_txt, page, https) = await asyncio.gather(
            follow(address, f"http://{host}/", resolve, timeout=timeout, limit=0,
                   keeper=keeper),
            https_in_turn(address, host, resolve, timeout, site, keeper))
    fetched = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    # The time of the fetch, so that Expires is judged against it when judged again later
    found = {"https": https.to_dict(), "http": plain.to_dict(body=False),
             "security_txt": security_txt.to_dict(body=True) | {"fetched_at": fetched}}
    return found | ({"site": page.to_dict()} if page is not None else {})


def requests_in_turn(security_txt_status: int | None) -> bool:
    """Whether the page and ``/`` follow security.txt in turn on its connection: when the
    first request for security.txt got an answer (any status). ``run.model`` counts round
    trips by this rule too."""
    return bool(security_txt_status)


async def https_in_turn(address: str, host: str, resolve: Resolve, timeout: float,
                        site: bool | None, keeper: Keeper
                        ) -> tuple[Chain, HttpResponse | None, HttpResponse]:
    """security.txt, the page (``site``) and ``/`` with Accept-Encoding, one after the
    other, on ``keeper``'s connection where the server keeps it open. When security.txt
    got no answer at all, the page and ``/`` go at once on connections of their own: a
    server that does not answer would otherwise hold them up one after the other."""
    security_txt = await follow(address, f"https://{host}{SECURITY_TXT_PATH}", resolve,
                                timeout=timeout, limit=SECURITY_TXT_LIMIT, https_only=True,
                                keeper=keeper)
    first = security_txt.hops[0].status if security_txt.hops else None
    turn = keeper if requests_in_turn(first) else None

    async def page() -> HttpResponse | None:
        if site is None:
            return None
        return await fetch(address, host, tls=site, timeout=timeout, keeper=turn, last=False)

    def root() -> Awaitable[HttpResponse]:
        return fetch(address, host, tls=True, timeout=timeout, limit=0,
                     headers=ACCEPT_ENCODING, keeper=turn)

    if turn is None:
        found, https = await asyncio.gather(page(), root())
        return security_txt, found, https
    found = await page()
    return security_txt, found, await root()


def resolver(client: DnsClient) -> Resolve:
    async def resolve(name: str, v6: bool) -> list[str]:
        a, aaaa = await asyncio.gather(client.query(name, "A"), client.query(name, "AAAA"))
        found = [list(x.answers) if x.rcode == "NOERROR" else [] for x in (a, aaaa)]
        return found[1] + found[0] if v6 else found[0] + found[1]
    return resolve


async def collect_http(host: str, addresses: list[str], client: DnsClient, timeout: float,
                       site: dict[str, bool] | None = None) -> dict[str, dict[str, Any]]:
    """``{address: {"https": ..., "http": ..., "security_txt": ...}}`` for every address;
    ``site``: the addresses where the page is fetched too (``"site": ...``), and whether
    over HTTPS."""
    resolve = resolver(client)
    site = site or {}
    found = await asyncio.gather(*(one_address(a, host, resolve, timeout, site.get(a))
                                   for a in addresses))
    return dict(zip(addresses, found, strict=True))
